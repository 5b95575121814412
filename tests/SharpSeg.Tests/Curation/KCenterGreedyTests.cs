using Xunit;
using SharpSeg.Curation.Selection;

namespace SharpSeg.Tests.Curation;

public sealed class KCenterGreedyTests
{
    static double Dist(float[] a, float[] b) => Math.Sqrt(a.Zip(b, (x, y) => (double)(x - y) * (x - y)).Sum());

    static double Radius(float[][] rows, IReadOnlyList<int> centers) =>
        rows.Max(r => centers.Min(c => Dist(r, rows[c])));

    static float[][] Unit(float[][] rows) => rows.Select(r => { var n = Math.Sqrt(r.Sum(v => (double)v * v)); return r.Select(v => (float)(v / n)).ToArray(); }).ToArray();

    static IEnumerable<int[]> Combinations(int n, int k, int start = 0)
    {
        if (k == 0) { yield return []; yield break; }
        for (int i = start; i <= n - k; i++)
            foreach (var rest in Combinations(n, k - 1, i + 1)) yield return [i, .. rest];
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void GreedyRadiusIsAtMostTwiceTheBruteForceOptimum(int seed)
    {
        // Clustered points so the optimum is far below the trivial radius and a bad selection would show.
        var rng = new Random(seed);
        var centres = CurationTestData.Random(4, 3, seed + 100);
        var rows = Unit(Enumerable.Range(0, 14).Select(i => centres[i % 4].Select(v => v + (float)(rng.NextDouble() - 0.5) * 0.3f).ToArray()).ToArray());
        var x = rows.SelectMany(r => r).ToArray();
        for (int k = 1; k <= 4; k++)
        {
            double optimum = Combinations(rows.Length, k).Min(c => Radius(rows, c));
            var greedy = new KCenterGreedySelector(x, 3);
            var picked = greedy.Select(k, seed);
            Assert.Equal(k, picked.Count);
            double radius = Radius(rows, picked);
            Assert.Equal(radius, greedy.Radius, 1e-4); // the running min-distance array agrees with a recomputation
            Assert.True(radius <= 2 * optimum + 1e-5, $"k={k}: greedy radius {radius} > 2 × optimum {optimum}");
        }
    }

    [Fact]
    public void EachPickIsTheFarthestPointAndInitialCentresCount()
    {
        var rows = Unit(CurationTestData.Random(30, 5, 7));
        var x = rows.SelectMany(r => r).ToArray();
        var greedy = new KCenterGreedySelector(x, 5, [3, 17]);
        var picked = greedy.Select(5, seed: 1);
        var centers = new List<int> { 3, 17 };
        foreach (int p in picked)
        {
            Assert.DoesNotContain(p, centers);
            double best = Enumerable.Range(0, rows.Length).Where(i => !centers.Contains(i)).Max(i => centers.Min(c => Dist(rows[i], rows[c])));
            Assert.Equal(best, centers.Min(c => Dist(rows[p], rows[c])), 1e-4);
            centers.Add(p);
        }
        Assert.Equal(new[] { 3, 17 }.Concat(picked), greedy.Centers);
    }

    [Fact]
    public void SameSeedSamePicksAndEligibilityIsRespected()
    {
        var rows = Unit(CurationTestData.Random(40, 8, 3));
        var x = rows.SelectMany(r => r).ToArray();
        var a = new KCenterGreedySelector(x, 8);
        var b = new KCenterGreedySelector(x, 8);
        Assert.Equal(a.Select(6, seed: 5), b.Select(6, seed: 5));
        var firsts = Enumerable.Range(0, 8).Select(s => new KCenterGreedySelector(x, 8).Select(1, s)[0]).Distinct().Count();
        Assert.True(firsts > 1, "the seed should choose the random first centre");
        var eligible = Enumerable.Range(0, 40).Select(i => i % 2 == 0).ToArray();
        var c = new KCenterGreedySelector(x, 8);
        Assert.All(c.Select(10, 0, eligible), i => Assert.True(i % 2 == 0));
    }
}
