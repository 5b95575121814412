using SharpSeg.Metrics;

namespace SharpSeg.Reports;

/// <summary>Views of a <see cref="ConfusionMatrix"/> for reading by eye: row-normalised shares and the largest confusions.</summary>
public static class ConfusionAnalysis
{
    /// <summary>
    /// Each row divided by its sum: [truth, predicted] = share (0..1) of class truth's ground-truth pixels predicted as
    /// class predicted, so every row with pixels sums to 1. A row whose class has no ground-truth pixels is all null.
    /// </summary>
    public static double?[,] RowNormalized(ConfusionMatrix matrix)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        int c = matrix.NumClasses;
        var result = new double?[c, c];
        for (int t = 0; t < c; t++)
        {
            long sum = 0;
            for (int p = 0; p < c; p++) sum += matrix[t, p];
            for (int p = 0; p < c; p++) result[t, p] = sum > 0 ? matrix[t, p] / (double)sum : null;
        }
        return result;
    }

    /// <summary>
    /// The <paramref name="count"/> off-diagonal cells with the largest share of their ground-truth class (ties: more
    /// pixels first, then lower indices); cells with fewer than <paramref name="minPixels"/> pixels are left out.
    /// </summary>
    public static IReadOnlyList<Confusion> Largest(ConfusionMatrix matrix, int count, long minPixels = 1)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        var shares = RowNormalized(matrix);
        var cells = new List<Confusion>();
        for (int t = 0; t < matrix.NumClasses; t++)
            for (int p = 0; p < matrix.NumClasses; p++)
                if (t != p && matrix[t, p] >= Math.Max(1, minPixels) && shares[t, p] is double s)
                    cells.Add(new Confusion(t, p, matrix[t, p], s));
        return cells.OrderByDescending(x => x.ShareOfTruth).ThenByDescending(x => x.Pixels).ThenBy(x => x.Truth).ThenBy(x => x.Predicted)
            .Take(Math.Max(0, count)).ToList();
    }
}
