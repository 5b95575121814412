
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
        int w = image.Width, h = image.Height, n = w * h;
        if (mask.Length != n) throw new ArgumentException($"the mask has {mask.Length} values for an image of {n} pixels", nameof(mask));
        int r = radius ?? DefaultRadius(w, h);
        if (r < 1) throw new SharpSegException($"--refine-radius {r}: must be at least 1.");
        if (!(eps > 0)) throw new SharpSegException($"the guided filter's eps must be positive, got {eps}.");
        var guide = new float[n];
        var px = image.Pixels;
        if (image.Channels == 1) for (int i = 0; i < n; i++) guide[i] = px[i] / 255f;
        else for (int i = 0; i < n; i++) guide[i] = (0.299f * px[3 * i] + 0.587f * px[3 * i + 1] + 0.114f * px[3 * i + 2]) / 255f;

        int s = Math.Max(1, Math.Min(r / 2, Math.Min(w, h) / 8));
        var (gs, ws, hs) = Planes.DownsampleArea(guide, w, h, s);
        var (ps, _, _) = Planes.DownsampleArea(mask, w, h, s);
        int rs = Math.Max(1, (int)Math.Round((double)r / s));
        int m = ws * hs;
        var ip = new float[m]; var ii = new float[m];
        for (int i = 0; i < m; i++) { ip[i] = gs[i] * ps[i]; ii[i] = gs[i] * gs[i]; }
        var meanI = BoxMean(gs, ws, hs, rs); var meanP = BoxMean(ps, ws, hs, rs);
        var corrIp = BoxMean(ip, ws, hs, rs); var corrII = BoxMean(ii, ws, hs, rs);
        var a = ip; var b = ii; // reused
        for (int i = 0; i < m; i++)
        {
            float varI = corrII[i] - meanI[i] * meanI[i], covIp = corrIp[i] - meanI[i] * meanP[i];
            a[i] = covIp / (varI + eps);
            b[i] = meanP[i] - a[i] * meanI[i];
        }
        var meanA = BoxMean(a, ws, hs, rs); var meanB = BoxMean(b, ws, hs, rs);
        if (s > 1) { meanA = Planes.ResizeBilinear(meanA, ws, hs, w, h); meanB = Planes.ResizeBilinear(meanB, ws, hs, w, h); }
        var q = new float[n];
        for (int i = 0; i < n; i++) q[i] = Math.Clamp(meanA[i] * guide[i] + meanB[i], 0f, 1f);
        return q;
    }

    /// <summary>The mean over the (2r+1)² window around each pixel, the window cut at the image border (so the mean is
    /// over the pixels inside), as the paper's box filter with its normalisation N.</summary>
    static float[] BoxMean(float[] src, int w, int h, int r)
    {
        var tmp = new float[src.Length];
        var dst = new float[src.Length];
        for (int y = 0; y < h; y++)
        {
            int row = y * w;
            double sum = 0;
            for (int x = 0; x <= Math.Min(r, w - 1); x++) sum += src[row + x];
            for (int x = 0; x < w; x++)
            {
                int lo = Math.Max(0, x - r), hi = Math.Min(w - 1, x + r);
                tmp[row + x] = (float)(sum / (hi - lo + 1));
                if (x + r + 1 < w) sum += src[row + x + r + 1];
                if (x - r >= 0) sum -= src[row + x - r];
            }
        }
        for (int x = 0; x < w; x++)
        {
            double sum = 0;
            for (int y = 0; y <= Math.Min(r, h - 1); y++) sum += tmp[y * w + x];
            for (int y = 0; y < h; y++)
            {
                int lo = Math.Max(0, y - r), hi = Math.Min(h - 1, y + r);
                dst[y * w + x] = (float)(sum / (hi - lo + 1));
                if (y + r + 1 < h) sum += tmp[(y + r + 1) * w + x];
                if (y - r >= 0) sum -= tmp[(y - r) * w + x];
            }
        }
        return dst;
    }
}
