using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace SharpSeg.Imaging;

/// <summary>
/// Edge refinement of a soft mask with the image as guide: the guided filter of He, Sun and Tang (ECCV 2010,
/// <i>Guided Image Filtering</i>, algorithm 1), on the image's luminance. In each window the output is a linear function
/// of the guide, q = a·I + b, fitted to the mask by least squares with regularisation <c>eps</c>, so the mask's
/// edges snap to the image's edges (hair, shoulders) while flat regions keep the mask's values. O(pixels) for any
/// radius (box means by running sums, and subsampled coefficients for large radii).
/// </summary>
public static class GuidedFilter
{
    /// <summary>The default window radius for an image: about 1/80 of its shorter side, at least 2 (9 at 720p).</summary>
    public static int DefaultRadius(int width, int height) => Math.Max(2, (int)Math.Round(Math.Min(width, height) / 80.0));

    /// <summary>The default regularisation, on intensities in [0, 1]: edges weaker than about √eps = 0.03 are smoothed over.</summary>
    public const float DefaultEps = 1e-3f;

    /// <summary>Refines <paramref name="mask"/> (one value in [0, 1] per pixel of <paramref name="image"/>) and returns
    /// the refined mask, clamped to [0, 1].</summary>
    /// <remarks>For radii of 4 and more this is the <i>fast</i> guided filter (He and Sun, 2015): the coefficients a, b
    /// are fitted on the guide and mask subsampled by s = radius / 2 (area means) with radius 2, then upsampled
    /// bilinearly and applied to the full-resolution guide, q = A·I + B, so the cost at full resolution is a few passes
    /// whatever the radius; the edges still follow the full-resolution image, which is the point.</remarks>
    public static float[] Refine(RgbImage image, float[] mask, int? radius = null, float eps = DefaultEps)
    {
        ArgumentNullException.ThrowIfNull(image);
        return AlphaField.Refined(image, mask, image.Width, image.Height, radius ?? DefaultRadius(image.Width, image.Height), eps).Evaluate(image);
    }

    /// <summary>The paper's mean coefficients (ā, b̄) of q = ā·I + b̄ for guide <paramref name="guide"/> and input
    /// <paramref name="mask"/> (both <paramref name="w"/>×<paramref name="h"/>), window radius <paramref name="r"/>.</summary>
    public static (float[] A, float[] B) Coefficients(float[] guide, float[] mask, int w, int h, int r, float eps)
    {
        int m = w * h;
        var ip = new float[m]; var ii = new float[m];
        for (int i = 0; i < m; i++) { ip[i] = guide[i] * mask[i]; ii[i] = guide[i] * guide[i]; }
        var meanI = BoxMean(guide, w, h, r); var meanP = BoxMean(mask, w, h, r);
        var corrIp = BoxMean(ip, w, h, r); var corrII = BoxMean(ii, w, h, r);
        var a = ip; var b = ii; // reused
        for (int i = 0; i < m; i++)
        {
            float varI = corrII[i] - meanI[i] * meanI[i], covIp = corrIp[i] - meanI[i] * meanP[i];
            a[i] = covIp / (varI + eps);
            b[i] = meanP[i] - a[i] * meanI[i];
        }
        return (BoxMean(a, w, h, r), BoxMean(b, w, h, r));
    }

    /// <summary>The mean over the (2r+1)² window around each pixel, the window cut at the image border (so the mean is
    /// over the pixels inside), as the paper's box filter with its normalisation N.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)] // pixel loop
    static float[] BoxMean(float[] src, int w, int h, int r)
    {
        var tmp = new float[src.Length];
        var dst = new float[src.Length];
        var inverseX = InverseCounts(w, r);
        int head = Math.Min(r, w - 1);
        for (int y = 0; y < h; y++)
        {
            var row = src.AsSpan(y * w, w);
            var o = tmp.AsSpan(y * w, w);
            double sum = 0;
            for (int x = 0; x <= head; x++) sum += row[x];
            // The window [x − r, x + r] slides right: in the middle one value enters and one leaves; at the left edge
            // (x < r) only one enters, at the right edge (x + r ≥ w − 1) only one leaves.
            int x1 = Math.Min(w, r), x2 = Math.Max(x1, w - r - 1);
            int xx = 0;
            for (; xx < x1; xx++) { o[xx] = (float)(sum * inverseX[xx]); if (xx + r + 1 < w) sum += row[xx + r + 1]; }
            for (; xx < x2; xx++) { o[xx] = (float)(sum * inverseX[xx]); sum += (double)row[xx + r + 1] - row[xx - r]; }
            for (; xx < w; xx++) { o[xx] = (float)(sum * inverseX[xx]); if (xx + r + 1 < w) sum += row[xx + r + 1]; if (xx - r >= 0) sum -= row[xx - r]; }
        }
        // The vertical pass runs along rows too (a running sum per column), which keeps memory access sequential.
        var sums = new double[w];
        for (int y = 0; y <= Math.Min(r, h - 1); y++) AddRow(tmp.AsSpan(y * w, w), sums, 1);
        var inverseY = InverseCounts(h, r);
        for (int y = 0; y < h; y++)
        {
            var o = dst.AsSpan(y * w, w);
            double inv = inverseY[y];
            for (int x = 0; x < w; x++) o[x] = (float)(sums[x] * inv);
            if (y + r + 1 < h) AddRow(tmp.AsSpan((y + r + 1) * w, w), sums, 1);
            if (y - r >= 0) AddRow(tmp.AsSpan((y - r) * w, w), sums, -1);
        }
        return dst;
    }

    /// <summary><c>sums[x] += sign·row[x]</c> in double precision.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)] // pixel loop: optimised from the first call, not after tiering
    static void AddRow(ReadOnlySpan<float> row, Span<double> sums, double sign)
    {
        int n = row.Length, x = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref float r = ref MemoryMarshal.GetReference(row);
            ref double s = ref MemoryMarshal.GetReference(sums[..n]);
            var vs = Vector256.Create(sign);
            for (; x + 8 <= n; x += 8)
            {
                var (lo, hi) = Vector256.Widen(Vector256.LoadUnsafe(ref r, (nuint)x));
                (Vector256.LoadUnsafe(ref s, (nuint)x) + lo * vs).StoreUnsafe(ref s, (nuint)x);
                (Vector256.LoadUnsafe(ref s, (nuint)(x + 4)) + hi * vs).StoreUnsafe(ref s, (nuint)(x + 4));
            }
        }
        for (; x < n; x++) sums[x] += sign * row[x];
    }

    /// <summary>1 / (pixels inside the window) at each position of a line of <paramref name="n"/>, window radius <paramref name="r"/>.</summary>
    static double[] InverseCounts(int n, int r)
    {
        var inv = new double[n];
        for (int i = 0; i < n; i++) inv[i] = 1.0 / (Math.Min(n - 1, i + r) - Math.Max(0, i - r) + 1);
        return inv;
    }
}
