using Xunit;
using SharpSeg.Curation.Embedding;
using SharpSeg.Curation.Scoring;
using SharpSeg.Curation.Selection;

namespace SharpSeg.Tests.Curation;

public sealed class CurationSelectorTests
{
    static readonly string[] Classes = ["road", "sky", "pole"];

    static ImageScoreFile Scores(EmbeddingSet set, double[] uncertainty, float[][]? shares = null) =>
        ImageScoreFile.FromRows(set.ImageRoot, Classes, Enumerable.Range(0, set.Count).Select(i => new ImageScores(set.Paths[i],
            new UncertaintyScores(uncertainty[i], uncertainty[i], uncertainty[i], uncertainty[i], uncertainty[i], uncertainty[i]),
            shares?[i] ?? [0.6f, 0.4f, 0f])).ToList());

    /// <summary>Two tight clusters of 5 (around e1 and e2) and 5 spread points; the most uncertain images are all in cluster A.</summary>
    static (EmbeddingSet Set, double[] Uncertainty) Clusters()
    {
        var rng = new Random(4);
        float J() => (float)(rng.NextDouble() - 0.5) * 0.4f;
        var rows = new List<float[]>();
        for (int i = 0; i < 5; i++) rows.Add([1 + J(), J(), J(), J()]);
        for (int i = 0; i < 5; i++) rows.Add([J(), 1 + J(), J(), J()]);
        for (int i = 0; i < 5; i++) rows.Add([J(), J(), 1 + J(), 1 + J()]);
        var unc = new double[15];
        for (int i = 0; i < 15; i++) unc[i] = i < 5 ? 0.9 - 0.01 * i : 0.1 + 0.01 * i;
        return (CurationTestData.Set(rows.ToArray()), unc);
    }

    [Fact]
    public void UncertaintyAlonePicksTheMostUncertainInOrder()
    {
        var (set, unc) = Clusters();
        var r = CurationSelector.Select(set, new CurationOptions { Budget = 4, Strategy = StrategyMix.Parse("uncertainty"), Scores = Scores(set, unc), DedupeThreshold = null });
        Assert.Equal(new[] { 0, 1, 2, 3 }, r.Selected.Select(s => s.Row));
        Assert.Equal(new[] { 1, 2, 3, 4 }, r.Selected.Select(s => s.Rank));
        Assert.StartsWith("uncertain: entropy (top pixels) 0.9 (rank 1 of 15)", r.Selected[0].Reasons);
    }

    [Fact]
    public void WeightingDiversityIntoUncertaintySpreadsThePicks()
    {
        var (set, unc) = Clusters();
        int ClustersHit(CurationResult r) => r.Selected.Select(s => s.Row / 5).Distinct().Count();
        var u = CurationSelector.Select(set, new CurationOptions { Budget = 3, Strategy = StrategyMix.Parse("uncertainty:1"), Scores = Scores(set, unc), DedupeThreshold = null });
        var mixed = CurationSelector.Select(set, new CurationOptions { Budget = 3, Strategy = StrategyMix.Parse("uncertainty:0.5,diversity:0.5"), Scores = Scores(set, unc), DedupeThreshold = null });
        Assert.Equal(1, ClustersHit(u));
        Assert.Equal(3, ClustersHit(mixed));
        Assert.Equal(0, mixed.Selected[0].Row); // first pick: diversity is equal for all, so uncertainty decides
        Assert.All(mixed.Selected.Skip(1), s => Assert.NotNull(s.Distance));
        Assert.True(mixed.CoverageAfter!.MaxDistance < u.CoverageAfter!.MaxDistance);
        // The score is the weighted sum of the terms it reports.
        Assert.All(mixed.Selected, s => Assert.InRange(s.Score, 0, 1.000001));
    }

    [Fact]
    public void ClusterStrategiesTakeOneImagePerUncoveredCluster()
    {
        var (set, unc) = Clusters();
        var t = CurationSelector.Select(set, new CurationOptions { Budget = 3, Strategy = StrategyMix.Parse("typiclust"), DedupeThreshold = null, Seed = 2 });
        Assert.Equal(3, t.Selected.Select(s => s.Row / 5).Distinct().Count()); // one per cluster
        Assert.Contains("the most typical", t.Selected[0].Reasons);
        Assert.Equal(t.Selected.Select(s => s.Row), CurationSelector.Select(set, new CurationOptions { Budget = 3, Strategy = StrategyMix.Parse("typiclust"), DedupeThreshold = null, Seed = 2 }).Selected.Select(s => s.Row));
        // Cluster A labelled: the most uncertain image of each of the two other clusters, not A's uncertain ones.
        var u = CurationSelector.Select(set, new CurationOptions { Budget = 2, Strategy = StrategyMix.Parse("cluster-uncertainty"), Scores = Scores(set, unc), Labelled = [0], DedupeThreshold = null });
        Assert.Equal(new[] { 9, 14 }, u.Selected.Select(s => s.Row).Order());
        Assert.Contains("the most uncertain", u.Selected[0].Reasons);
        var ex = Assert.Throws<SharpSegException>(() => StrategyMix.Parse("typiclust,diversity"));
        Assert.Contains("not mixed", ex.Message);
        Assert.Throws<SharpSegException>(() => CurationSelector.Select(set, new CurationOptions { Budget = 2, Strategy = StrategyMix.Parse("cluster-uncertainty"), DedupeThreshold = null }));
    }

    [Fact]
    public void LabelledImagesAreExcludedAndCountAsCovered()
    {
        var (set, _) = Clusters();
        // Cluster A is labelled: a diversity pick must come from B or C, never A.
        var r = CurationSelector.Select(set, new CurationOptions { Budget = 2, Strategy = StrategyMix.Parse("diversity"), Labelled = [0, 1, 2, 3, 4], DedupeThreshold = null });
        Assert.All(r.Selected, s => Assert.True(s.Row >= 5));
        Assert.Equal(2, r.Selected.Select(s => s.Row / 5).Distinct().Count());
        Assert.Equal(10, r.Candidates);
        Assert.NotNull(r.CoverageBefore);
        Assert.True(r.CoverageAfter!.MaxDistance < r.CoverageBefore!.MaxDistance);
        Assert.Equal(7, r.CoverageAfter.Chosen);
        // Every strategy respects the exclusion.
        foreach (var mix in new[] { "random", "typicality", "uncertainty", "class-balance" })
        {
            var any = CurationSelector.Select(set, new CurationOptions { Budget = 10, Strategy = StrategyMix.Parse(mix), Labelled = [0, 1, 2, 3, 4], Scores = Scores(set, new double[15]), DedupeThreshold = null });
            Assert.Equal(10, any.Selected.Count);
            Assert.All(any.Selected, s => Assert.True(s.Row >= 5, mix));
        }
    }

    [Fact]
    public void SameSeedSameSelectionOtherSeedOtherRandomDraw()
    {
        var set = CurationTestData.Set(CurationTestData.Random(60, 6, 9));
        CurationResult Run(string mix, int seed) => CurationSelector.Select(set, new CurationOptions { Budget = 8, Strategy = StrategyMix.Parse(mix), Seed = seed, DedupeThreshold = 0.9 });
        foreach (var mix in new[] { "random", "diversity", "typicality:0.5,diversity:0.5" })
        {
            var a = Run(mix, 3); var b = Run(mix, 3);
            Assert.Equal(a.Selected.Select(s => (s.Row, s.Reasons)), b.Selected.Select(s => (s.Row, s.Reasons)));
        }
        Assert.NotEqual(Run("random", 3).Selected.Select(s => s.Row), Run("random", 4).Selected.Select(s => s.Row));
        // The CSV is byte-identical too.
        string dir = TestPaths.NewTempDir("curate-determinism");
        SelectionCsv.Write(Path.Combine(dir, "a.csv"), Run("diversity", 1));
        SelectionCsv.Write(Path.Combine(dir, "b.csv"), Run("diversity", 1));
        Assert.Equal(File.ReadAllText(Path.Combine(dir, "a.csv")), File.ReadAllText(Path.Combine(dir, "b.csv")));
    }

    [Fact]
    public void ClassBalancePrefersRareClassesAndMovesTheDistribution()
    {
        var set = CurationTestData.Set(CurationTestData.Random(10, 4, 2));
        var shares = new float[10][];
        for (int i = 0; i < 10; i++) shares[i] = [0.7f, 0.3f, 0f];
        shares[6] = [0.6f, 0.3f, 0.1f];
        shares[2] = [0.5f, 0.3f, 0.2f];
        var r = CurationSelector.Select(set, new CurationOptions { Budget = 2, Strategy = StrategyMix.Parse("class-balance"), Scores = Scores(set, new double[10], shares), DedupeThreshold = null });
        Assert.Equal(new[] { 2, 6 }, r.Selected.Select(s => s.Row));
        Assert.Contains("pole 20.0 %", r.Selected[0].Reasons);
        Assert.True(r.ClassSharesSelected![2] > r.ClassSharesPool![2]);
        // A target that wants no pole at all gives the pole images no edge (sky is short instead: all tie, lowest jitter wins).
        var noPole = CurationSelector.Select(set, new CurationOptions { Budget = 1, Strategy = StrategyMix.Parse("class-balance"), Scores = Scores(set, new double[10], shares), DedupeThreshold = null, ClassTarget = ClassTargets.Parse("pole=0,road=0", Classes) });
        Assert.Contains("sky", noPole.Selected[0].Reasons);
    }

    [Fact]
    public void DedupeRemovesCopiesBeforeSelectingAndDedupeAloneListsRepresentatives()
    {
        var rows = CurationTestData.Random(8, 5, 1).ToList();
        rows.Add(rows[0].Select(v => v * 1.001f).ToArray()); // 8 = copy of 0
        rows.Add(rows[0].Select(v => v + 0.001f).ToArray()); // 9 = copy of 0
        var set = CurationTestData.Set(rows.ToArray());
        var r = CurationSelector.Select(set, new CurationOptions { Budget = 10, Strategy = StrategyMix.Parse("random") });
        Assert.Equal(8, r.Candidates);
        Assert.Equal(8, r.Selected.Count);
        Assert.Equal(1, r.Selected.Count(s => s.Row is 0 or 8 or 9));
        var d = CurationSelector.Select(set, new CurationOptions { Strategy = StrategyMix.Parse("dedupe") });
        Assert.Equal(8, d.Selected.Count);
        Assert.Equal(2, d.Selected[0].Duplicates);
        Assert.StartsWith("represents 2 near-duplicates", d.Selected[0].Reasons);
    }

    [Fact]
    public void DedupeCanUseOtherEmbeddingsOfTheSameImages()
    {
        // Features say 0 and 1 differ; thumbnails (a second set over the same paths, in another order) say they are copies.
        var features = CurationTestData.Set([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 1]]);
        var thumbs = new EmbeddingSet([0, 1, 1, 0, 1, 0.01f, 0.6f, 0.8f], 2, ["img003.png", "img001.png", "img000.png", "img002.png"], "/data");
        EmbeddingSet.Normalize(thumbs.Vectors, 2);
        var r = CurationSelector.Select(features, new CurationOptions { Budget = 4, Strategy = StrategyMix.Parse("diversity"), DedupeWith = thumbs });
        var group = Assert.Single(r.Dedupe!.Groups);
        Assert.Equal(new[] { 0, 1 }, new[] { group.Representative }.Concat(group.Members).Order());
        Assert.Equal(3, r.Selected.Count);
        // With 1 labelled, its copy 0 is removed and never selected.
        var labelled = CurationSelector.Select(features, new CurationOptions { Budget = 4, Strategy = StrategyMix.Parse("diversity"), DedupeWith = thumbs, Labelled = [1] });
        Assert.Equal(new[] { 2, 3 }, labelled.Selected.Select(s => s.Row).Order());
        Assert.Equal(1, labelled.Dedupe!.Groups.Single().Representative);
    }

    [Fact]
    public void StrategyMixParsesWeightsAndRejectsMistakes()
    {
        var m = StrategyMix.Parse("uncertainty:3, diversity:1");
        Assert.Equal(0.75, m.Weight(SelectionStrategy.Uncertainty), 9);
        Assert.Equal(0.25, m.Weight(SelectionStrategy.Diversity), 9);
        Assert.Equal("uncertainty:0.75,diversity:0.25", m.Text);
        Assert.True(m.NeedsScores);
        Assert.Equal("diversity", StrategyMix.Parse("coreset").Text);
        Assert.True(StrategyMix.Parse("dedupe").DedupeOnly);
        Assert.Contains("did you mean 'diversity'", Assert.Throws<SharpSegException>(() => StrategyMix.Parse("diversty")).Message);
        Assert.Contains("≥ 0", Assert.Throws<SharpSegException>(() => StrategyMix.Parse("random:-1")).Message);
        Assert.Contains("twice", Assert.Throws<SharpSegException>(() => StrategyMix.Parse("random,random:2")).Message);
        Assert.Contains("sum to 0", Assert.Throws<SharpSegException>(() => StrategyMix.Parse("random:0")).Message);
        var set = CurationTestData.Set(CurationTestData.Random(5, 3, 1));
        Assert.Contains("--checkpoint", Assert.Throws<SharpSegException>(() => CurationSelector.Select(set, new CurationOptions { Budget = 2, Strategy = StrategyMix.Parse("uncertainty") })).Message);
        Assert.Contains("--budget", Assert.Throws<SharpSegException>(() => CurationSelector.Select(set, new CurationOptions { Strategy = StrategyMix.Parse("random") })).Message);
    }
}
