namespace SharpSeg.Imaging;

/// <summary>
/// Resampling of float planes (one value per pixel, row-major) and 8-bit images by whole factors, for the
/// full-resolution steps of portrait and video effects: area means down (anti-aliased, cheap), bilinear up with pixel
/// centres at +0.5 (torch's align_corners=false), edges clamped.
/// </summary>
public static class Planes
{
    /// <summary>Means over s×s blocks (the last row/column of blocks may be partial).</summary>
    public static (float[] Values, int Width, int Height) DownsampleArea(float[] src, int w, int h, int s)
    {
        if (s == 1) return (src, w, h);
        int ws = (w + s - 1) / s, hs = (h + s - 1) / s;
        var sum = new float[ws * hs];
        var count = new int[ws * hs];
        for (int y = 0; y < h; y++)
        {
            int row = y / s * ws;
            for (int x = 0; x < w; x++) { sum[row + x / s] += src[y * w + x]; count[row + x / s]++; }
        }
        for (int i = 0; i < sum.Length; i++) sum[i] /= count[i];
        return (sum, ws, hs);
    }

    /// <summary>Where each of <paramref name="dst"/> output positions samples a line of <paramref name="src"/> values
    /// under bilinear resizing: the two source indices and the weight of the second, pixel centres at +0.5 (torch's
    /// align_corners=false), edges clamped.</summary>
    public static (int[] I0, int[] I1, float[] F) BilinearTaps(int src, int dst)
    {
        var i0 = new int[dst]; var i1 = new int[dst]; var f = new float[dst];
        float scale = (float)src / dst;
        for (int x = 0; x < dst; x++)
        {
            float t = Math.Clamp((x + 0.5f) * scale - 0.5f, 0, src - 1);
            i0[x] = (int)t; i1[x] = Math.Min(i0[x] + 1, src - 1); f[x] = t - i0[x];
        }
        return (i0, i1, f);
    }

    /// <summary>Bilinear resize of a plane, pixel centres at +0.5 (as torch's align_corners=false), edges clamped.</summary>
    public static float[] ResizeBilinear(float[] src, int ws, int hs, int w, int h)
    {
        var dst = new float[w * h];
        var (x0s, x1s, fxs) = BilinearTaps(ws, w);
        var (y0s, y1s, fys) = BilinearTaps(hs, h);
        for (int y = 0; y < h; y++)
        {
            int r0 = y0s[y] * ws, r1 = y1s[y] * ws, o = y * w;
            float ly = fys[y];
            for (int x = 0; x < w; x++)
            {
                float top = src[r0 + x0s[x]] + (src[r0 + x1s[x]] - src[r0 + x0s[x]]) * fxs[x];
                float bottom = src[r1 + x0s[x]] + (src[r1 + x1s[x]] - src[r1 + x0s[x]]) * fxs[x];
                dst[o + x] = top + (bottom - top) * ly;
            }
        }
        return dst;
    }

    /// <summary>Row <paramref name="row"/> of <paramref name="src"/> (a <paramref name="width"/> × any plane of
    /// <paramref name="channels"/> interleaved values) interpolated vertically between the two rows that
    /// <paramref name="taps"/> gives for it, into <paramref name="dst"/> (width × channels values).</summary>
    public static void LerpRows(ReadOnlySpan<float> src, int width, int channels, (int[] I0, int[] I1, float[] F) taps, int row, Span<float> dst)
    {
        int n = width * channels;
        var a = src.Slice(taps.I0[row] * n, n); var b = src.Slice(taps.I1[row] * n, n);
        float f = taps.F[row];
        for (int i = 0; i < n; i++) dst[i] = a[i] + (b[i] - a[i]) * f;
    }

    /// <summary>Means over <paramref name="factor"/>² blocks (partial blocks at the right and bottom edges).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)] // pixel loop
    public static RgbImage DownsampleArea(RgbImage image, int factor)
    {
        int w = image.Width, h = image.Height, c = image.Channels, ws = (w + factor - 1) / factor, hs = (h + factor - 1) / factor;
        var sum = new int[ws * c];
        var small = new RgbImage(ws, hs, c);
        var px = image.Pixels; var dst = small.Pixels;
        for (int ys = 0; ys < hs; ys++)
        {
            Array.Clear(sum);
            int y0 = ys * factor, y1 = Math.Min(h, y0 + factor);
            for (int y = y0; y < y1; y++)
            {
                var row = px.AsSpan(y * w * c, w * c);
                for (int xs = 0, p = 0; xs < ws; xs++)
                {
                    int end = Math.Min(w, (xs + 1) * factor) * c, cell = xs * c;
                    if (c == 3)
                    {
                        int s0 = 0, s1 = 0, s2 = 0;
                        for (; p < end; p += 3) { s0 += row[p]; s1 += row[p + 1]; s2 += row[p + 2]; }
                        sum[cell] += s0; sum[cell + 1] += s1; sum[cell + 2] += s2;
                    }
                    else
                        for (; p < end; p += c)
                            for (int k = 0; k < c; k++) sum[cell + k] += row[p + k];
                }
            }
            for (int xs = 0; xs < ws; xs++)
            {
                int count = (y1 - y0) * (Math.Min(w, (xs + 1) * factor) - xs * factor);
                for (int k = 0; k < c; k++) dst[(ys * ws + xs) * c + k] = (byte)((sum[xs * c + k] + count / 2) / count);
            }
        }
        return small;
    }
}
