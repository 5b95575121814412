using TorchSharp;
using Xunit;
using SharpSeg.Curation.Scoring;
using SharpSeg.Curation.Selection;

namespace SharpSeg.Tests.Curation;

public sealed class TypicalityTests
{
    [Fact]
    public void ScoreIsTheMeanSimilarityToTheKNearestOthers()
    {
        var set = CurationTestData.Set(CurationTestData.Random(25, 4, 8));
        using var x = torch.tensor(set.Vectors, new long[] { set.Count, set.Dim });
        var scores = TypicalityScorer.Score(x, k: 3);
        for (int i = 0; i < set.Count; i++)
        {
            var row = set.Row(i).ToArray();
            var sims = Enumerable.Range(0, set.Count).Where(j => j != i)
                .Select(j => row.Zip(set.Row(j).ToArray(), (a, b) => (double)a * b).Sum()).OrderByDescending(v => v).Take(3);
            Assert.Equal(sims.Average(), scores[i], 4);
        }
    }

    [Fact]
    public void DenseRegionsScoreHigherThanOutliers()
    {
        var rng = new Random(1);
        var rows = Enumerable.Range(0, 20).Select(_ => new[] { 1f, (float)rng.NextDouble() * 0.1f, (float)rng.NextDouble() * 0.1f }).ToList();
        rows.Add([0, 1, 0]);
        rows.Add([0, 0, 1]);
        var set = CurationTestData.Set(rows.ToArray());
        var r = CurationSelector.Select(set, new CurationOptions { Budget = 5, Strategy = StrategyMix.Parse("typicality"), DedupeThreshold = null, TypicalityK = 5 });
        Assert.All(r.Selected, s => Assert.True(s.Row < 20));
        Assert.All(r.Selected, s => Assert.StartsWith("typical: mean similarity", s.Reasons));
    }
}
