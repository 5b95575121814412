using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

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

    /// <summary>Bilinear resize of a plane, pixel centres at +0.5 (as torch's align_corners=false), edges clamped: the rows
    /// of <see cref="StretchedRows"/>, one after the other.</summary>
    public static float[] ResizeBilinear(float[] src, int ws, int hs, int w, int h)
    {
        var dst = new float[w * h];
        var rows = new StretchedRows(src, ws, hs, 1, w, h);
        for (int y = 0; y < h; y++) rows.Row(y, dst.AsSpan(y * w, w));
        return dst;
    }

    /// <summary>Means over <paramref name="factor"/>² blocks (partial blocks at the right and bottom edges).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)] // pixel loop
    public static RgbImage DownsampleArea(RgbImage image, int factor)
    {
        int w = image.Width, h = image.Height, c = image.Channels, ws = (w + factor - 1) / factor, hs = (h + factor - 1) / factor, n = w * c;
        var columns = new int[n]; // per value of a row, its sum over the block's rows
        var small = new RgbImage(ws, hs, c);
        var px = image.Pixels; var dst = small.Pixels;
        for (int ys = 0; ys < hs; ys++)
        {
            Array.Clear(columns);
            int y0 = ys * factor, y1 = Math.Min(h, y0 + factor);
            for (int y = y0; y < y1; y++) AddTo(px.AsSpan(y * n, n), columns);
            ref int col = ref MemoryMarshal.GetArrayDataReference(columns);
            for (int xs = 0, p = 0; xs < ws; xs++)
            {
                int end = Math.Min(w, (xs + 1) * factor) * c, count = (y1 - y0) * (Math.Min(w, (xs + 1) * factor) - xs * factor), o = (ys * ws + xs) * c;
                if (c == 3)
                {
                    int s0 = 0, s1 = 0, s2 = 0;
                    for (; p < end; p += 3) { s0 += Unsafe.Add(ref col, p); s1 += Unsafe.Add(ref col, p + 1); s2 += Unsafe.Add(ref col, p + 2); }
                    dst[o] = (byte)((s0 + count / 2) / count); dst[o + 1] = (byte)((s1 + count / 2) / count); dst[o + 2] = (byte)((s2 + count / 2) / count);
                }
                else
                    for (int k = 0; k < c; k++)
                    {
                        int sum = 0;
                        for (int q = p + k; q < end; q += c) sum += Unsafe.Add(ref col, q);
                        dst[o + k] = (byte)((sum + count / 2) / count);
                    }
                p = end;
            }
        }
        return small;
    }

    /// <summary><c>sums[i] += row[i]</c>.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)] // pixel loop: optimised from the first call, not after tiering
    static void AddTo(ReadOnlySpan<byte> row, Span<int> sums)
    {
        int n = row.Length, i = 0;
        ref byte r = ref MemoryMarshal.GetReference(row);
        ref int s = ref MemoryMarshal.GetReference(sums);
        if (sums.Length < n) throw new ArgumentException("fewer sums than values", nameof(sums));
        if (Vector256.IsHardwareAccelerated)
            for (; i + 32 <= n; i += 32)
            {
                var (u0, u1) = Vector256.Widen(Vector256.LoadUnsafe(ref r, (nuint)i));
                var (q0, q1) = Vector256.Widen(u0);
                var (q2, q3) = Vector256.Widen(u1);
                (Vector256.LoadUnsafe(ref s, (nuint)i) + q0.AsInt32()).StoreUnsafe(ref s, (nuint)i);
                (Vector256.LoadUnsafe(ref s, (nuint)(i + 8)) + q1.AsInt32()).StoreUnsafe(ref s, (nuint)(i + 8));
                (Vector256.LoadUnsafe(ref s, (nuint)(i + 16)) + q2.AsInt32()).StoreUnsafe(ref s, (nuint)(i + 16));
                (Vector256.LoadUnsafe(ref s, (nuint)(i + 24)) + q3.AsInt32()).StoreUnsafe(ref s, (nuint)(i + 24));
            }
        for (; i < n; i++) Unsafe.Add(ref s, i) += Unsafe.Add(ref r, i);
    }
}
