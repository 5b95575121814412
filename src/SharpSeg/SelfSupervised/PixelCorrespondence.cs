using TorchSharp;
using static TorchSharp.torch;

namespace SharpSeg.SelfSupervised;

/// <summary>
/// Which feature cells of two views of one image show the same place, from the views' crop geometry (PixPro/PixContrast,
/// Xie et al. 2021, §3.1): each cell of an h × w feature map is a bin of its view, whose centre maps back to a point of
/// the source image (<see cref="ViewGeometry.ToSource"/>); two cells are a positive pair when the distance between
/// their centres, divided by the larger of the two views' bin diagonals (in source pixels), is below a threshold
/// (0.7 in the paper).
/// </summary>
public static class PixelCorrespondence
{
    /// <summary>PixPro's threshold on the normalised distance.</summary>
    public const double DefaultThreshold = 0.7;

    /// <summary>The source-image centres of the cells of an h × w grid over a view, row-major (index r·w + c).</summary>
    public static (double X, double Y)[] CellCentres(ViewGeometry view, int h, int w)
    {
        if (h < 1 || w < 1) throw new ArgumentOutOfRangeException(nameof(h), $"grid must be at least 1x1, got {h}x{w}");
        var c = new (double, double)[h * w];
        for (int r = 0; r < h; r++)
            for (int k = 0; k < w; k++) c[r * w + k] = view.ToSource((k + 0.5) / w, (r + 0.5) / h);
        return c;
    }

    /// <summary>
    /// Normalised distances <c>[h1·w1, h2·w2]</c> (row-major cells of view 1 × cells of view 2): distance between cell
    /// centres in source pixels divided by the larger bin diagonal of the two views.
    /// </summary>
    public static double[,] NormalizedDistances(ViewGeometry first, int h1, int w1, ViewGeometry second, int h2, int w2)
    {
        var a = CellCentres(first, h1, w1); var b = CellCentres(second, h2, w2);
        double diag1 = Math.Sqrt(Math.Pow(first.Box.Width / w1, 2) + Math.Pow(first.Box.Height / h1, 2));
        double diag2 = Math.Sqrt(Math.Pow(second.Box.Width / w2, 2) + Math.Pow(second.Box.Height / h2, 2));
        double scale = Math.Max(diag1, diag2);
        var d = new double[a.Length, b.Length];
        for (int i = 0; i < a.Length; i++)
            for (int j = 0; j < b.Length; j++)
            {
                double dx = a[i].X - b[j].X, dy = a[i].Y - b[j].Y;
                d[i, j] = Math.Sqrt(dx * dx + dy * dy) / scale;
            }
        return d;
    }

    /// <summary>Positive pairs: normalised distance below <paramref name="threshold"/>; <c>[h1·w1, h2·w2]</c>.</summary>
    public static bool[,] Positives(ViewGeometry first, int h1, int w1, ViewGeometry second, int h2, int w2, double threshold = DefaultThreshold)
    {
        var d = NormalizedDistances(first, h1, w1, second, h2, w2);
        var p = new bool[d.GetLength(0), d.GetLength(1)];
        for (int i = 0; i < d.GetLength(0); i++)
            for (int j = 0; j < d.GetLength(1); j++) p[i, j] = d[i, j] < threshold;
        return p;
    }

    /// <summary>The positives of a batch as a bool tensor <c>[N, h1·w1, h2·w2]</c> on the CPU (image n of both lists paired).</summary>
    public static Tensor PositiveMask(IReadOnlyList<ViewGeometry> first, IReadOnlyList<ViewGeometry> second, int h1, int w1, int h2, int w2,
        double threshold = DefaultThreshold)
    {
        if (first.Count != second.Count) throw new ArgumentException($"{first.Count} first views but {second.Count} second views");
        int p1 = h1 * w1, p2 = h2 * w2;
        var flat = new bool[first.Count * p1 * p2];
        for (int n = 0; n < first.Count; n++)
        {
            var p = Positives(first[n], h1, w1, second[n], h2, w2, threshold);
            for (int i = 0; i < p1; i++)
                for (int j = 0; j < p2; j++) flat[(n * p1 + i) * p2 + j] = p[i, j];
        }
        return torch.tensor(flat).reshape(first.Count, p1, p2);
    }
}
