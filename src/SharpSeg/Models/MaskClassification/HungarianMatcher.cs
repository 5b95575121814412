namespace SharpSeg.Models.MaskClassification;

/// <summary>
/// Minimum-cost bipartite matching (the assignment problem) for MaskFormer-style training, where N predicted masks are
/// matched to M ground-truth masks (N ≥ M usually; any shape is accepted). The Hungarian method in its O(n²·m)
/// shortest-augmenting-path form with row and column potentials (Kuhn 1955, Munkres 1957; the formulation of
/// Jonker–Volgenant without their initialisation heuristics), on the transposed matrix when there are more rows than
/// columns. Costs must be finite; ties are broken deterministically (the lowest index).
/// </summary>
public static class HungarianMatcher
{
    /// <summary>
    /// Matches rows to columns so that the sum of the chosen costs is smallest. Returns, for each row, its column or −1:
    /// every row is matched when rows ≤ columns, else every column is.
    /// </summary>
    public static int[] Solve(double[,] cost)
    {
        int rows = cost.GetLength(0), cols = cost.GetLength(1);
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++)
                if (!double.IsFinite(cost[i, j])) throw new ArgumentException($"cost[{i}, {j}] is {cost[i, j]}: matching needs finite costs");
        if (rows == 0 || cols == 0) return Enumerable.Repeat(-1, rows).ToArray();
        if (rows <= cols) return SolveWide(cost, rows, cols, transpose: false);
        // More rows than columns: match every column to a row on the transpose, then invert.
        var byColumn = SolveWide(cost, cols, rows, transpose: true);
        var result = Enumerable.Repeat(-1, rows).ToArray();
        for (int j = 0; j < cols; j++) result[byColumn[j]] = j;
        return result;
    }

    /// <summary>The total cost of an assignment from <see cref="Solve"/>.</summary>
    public static double Cost(double[,] cost, int[] assignment)
    {
        double total = 0;
        for (int i = 0; i < assignment.Length; i++) if (assignment[i] >= 0) total += cost[i, assignment[i]];
        return total;
    }

    /// <summary>n ≤ m: every one of the n rows gets a distinct column. 1-based arrays, index 0 is the virtual start.</summary>
    static int[] SolveWide(double[,] a, int n, int m, bool transpose)
    {
        double C(int i, int j) => transpose ? a[j - 1, i - 1] : a[i - 1, j - 1];
        var u = new double[n + 1];
        var v = new double[m + 1];
        var p = new int[m + 1];   // p[j]: the row matched to column j (0 = none)
        var way = new int[m + 1]; // the previous column on the augmenting path
        var minv = new double[m + 1];
        var used = new bool[m + 1];
        for (int i = 1; i <= n; i++)
        {
            p[0] = i;
            int j0 = 0;
            Array.Fill(minv, double.PositiveInfinity);
            Array.Clear(used);
            do
            {
                used[j0] = true;
                int i0 = p[j0], j1 = 0;
                double delta = double.PositiveInfinity;
                for (int j = 1; j <= m; j++)
                {
                    if (used[j]) continue;
                    double cur = C(i0, j) - u[i0] - v[j];
                    if (cur < minv[j]) { minv[j] = cur; way[j] = j0; }
                    if (minv[j] < delta) { delta = minv[j]; j1 = j; }
                }
                for (int j = 0; j <= m; j++)
                {
                    if (used[j]) { u[p[j]] += delta; v[j] -= delta; }
                    else minv[j] -= delta;
                }
                j0 = j1;
            } while (p[j0] != 0);
            do
            {
                int j1 = way[j0];
                p[j0] = p[j1];
                j0 = j1;
            } while (j0 != 0);
        }
        var result = new int[n];
        for (int j = 1; j <= m; j++) if (p[j] != 0) result[p[j] - 1] = j - 1;
        return result;
    }
}
