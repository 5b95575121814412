using SharpSeg.Models.MaskClassification;
using Xunit;

namespace SharpSeg.Tests.Models;

/// <summary>The assignment solver against brute force over every assignment of small matrices (square, wide, tall,
/// with ties and negative costs).</summary>
public sealed class HungarianMatcherTests
{
    static double BruteForce(double[,] cost)
    {
        int rows = cost.GetLength(0), cols = cost.GetLength(1);
        int k = Math.Min(rows, cols);
        double best = double.PositiveInfinity;
        // Choose, for each of the first k rows (rows ≤ cols) or columns (rows > cols), a distinct partner.
        bool wide = rows <= cols;
        int n = wide ? rows : cols, m = wide ? cols : rows;
        var pick = new int[n];
        var taken = new bool[m];
        void Recurse(int i, double sum)
        {
            if (i == n) { best = Math.Min(best, sum); return; }
            for (int j = 0; j < m; j++)
            {
                if (taken[j]) continue;
                taken[j] = true; pick[i] = j;
                Recurse(i + 1, sum + (wide ? cost[i, j] : cost[j, i]));
                taken[j] = false;
            }
        }
        Recurse(0, 0);
        return k == 0 ? 0 : best;
    }

    [Fact]
    public void MatchesBruteForceOnSmallMatrices()
    {
        var rng = new Random(20261204);
        int checkedCases = 0;
        for (int rows = 1; rows <= 6; rows++)
            for (int cols = 1; cols <= 6; cols++)
                for (int trial = 0; trial < 12; trial++)
                {
                    var cost = new double[rows, cols];
                    bool ties = trial % 3 == 0;
                    for (int i = 0; i < rows; i++)
                        for (int j = 0; j < cols; j++)
                            cost[i, j] = ties ? rng.Next(-2, 3) : rng.NextDouble() * 10 - 3;
                    var assignment = HungarianMatcher.Solve(cost);
                    Assert.Equal(rows, assignment.Length);
                    var used = assignment.Where(a => a >= 0).ToList();
                    Assert.Equal(used.Count, used.Distinct().Count());
                    Assert.Equal(Math.Min(rows, cols), used.Count);
                    Assert.True(Math.Abs(HungarianMatcher.Cost(cost, assignment) - BruteForce(cost)) < 1e-9, $"{rows}x{cols} trial {trial}");
                    checkedCases++;
                }
        Assert.Equal(432, checkedCases);
    }

    [Fact]
    public void SolvesTheTextbookExampleAndRefusesNonFiniteCosts()
    {
        // Each worker one job: the optimum is 5 (worker 0 -> job 1, 1 -> 0, 2 -> 2).
        double[,] cost = { { 4, 1, 3 }, { 2, 0, 5 }, { 3, 2, 2 } };
        Assert.Equal(new[] { 1, 0, 2 }, HungarianMatcher.Solve(cost));
        Assert.Equal(5, HungarianMatcher.Cost(cost, HungarianMatcher.Solve(cost)));
        Assert.Empty(HungarianMatcher.Solve(new double[0, 3]));
        Assert.Equal(new[] { -1, -1 }, HungarianMatcher.Solve(new double[2, 0]));
        Assert.Throws<ArgumentException>(() => HungarianMatcher.Solve(new double[,] { { 1, double.NaN } }));
    }

    [Fact]
    public void AHundredQueriesAgainstTwentyMasksStayOptimalUnderPermutation()
    {
        // Permuting the columns must permute the assignment and keep the optimal cost (an invariant brute force cannot reach at this size).
        var rng = new Random(5);
        var cost = new double[100, 20];
        for (int i = 0; i < 100; i++) for (int j = 0; j < 20; j++) cost[i, j] = rng.NextDouble();
        var perm = Enumerable.Range(0, 20).OrderBy(_ => rng.Next()).ToArray();
        var permuted = new double[100, 20];
        for (int i = 0; i < 100; i++) for (int j = 0; j < 20; j++) permuted[i, perm[j]] = cost[i, j];
        double a = HungarianMatcher.Cost(cost, HungarianMatcher.Solve(cost)), b = HungarianMatcher.Cost(permuted, HungarianMatcher.Solve(permuted));
        Assert.Equal(a, b, 9);
        // Greedy (each column its cheapest free row) can only be worse or equal.
        var taken = new HashSet<int>();
        double greedy = 0;
        for (int j = 0; j < 20; j++)
        {
            int best = Enumerable.Range(0, 100).Where(i => !taken.Contains(i)).MinBy(i => cost[i, j]);
            taken.Add(best); greedy += cost[best, j];
        }
        Assert.True(a <= greedy + 1e-12);
    }
}
