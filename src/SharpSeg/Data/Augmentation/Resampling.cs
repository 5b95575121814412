using System.Runtime.CompilerServices;
using SharpSeg.Imaging;
using SharpSeg.Data.Loading;

namespace SharpSeg.Data.Augmentation;

/// <summary>
/// Geometric resampling with pixel centres at (x + 0.5, y + 0.5) (the convention of torch interpolate with
/// align_corners=false and OpenCV), bilinear for images and nearest for masks, so both stay aligned.
/// </summary>
internal static class Resampling
{
    public static RgbImage ResizeBilinear(RgbImage src, int width, int height)
    {
        if (width == src.Width && height == src.Height) return src;
        return ResizeBilinearWindow(src, width, height, 0, 0, width, height, [0]);
    }

    /// <summary>
    /// The window [x0, x0 + outW) × [y0, y0 + outH) of <paramref name="src"/> resized to fullW × fullH, computed without
    /// making the full resized image (a scale followed by a crop). Window pixels outside the resized image get
    /// <paramref name="pad"/> (one byte per channel, or one for all). Pixel values equal those of the full resize.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // pixel loop: skip the slow first JIT tier
    public static RgbImage ResizeBilinearWindow(RgbImage src, int fullW, int fullH, int x0, int y0, int outW, int outH, IReadOnlyList<byte> pad)
    {
        int c = src.Channels, sw = src.Width, sh = src.Height;
        var dst = new RgbImage(outW, outH, c);
        var s = src.Pixels; var d = dst.Pixels;
        FillPad(d, c, pad, x0, y0, outW, outH, fullW, fullH);
        int ox0 = Math.Max(0, x0), ox1 = Math.Min(fullW, x0 + outW), oy0 = Math.Max(0, y0), oy1 = Math.Min(fullH, y0 + outH);
        if (ox1 <= ox0 || oy1 <= oy0) return dst;
        double fx = (double)sw / fullW, fy = (double)sh / fullH;
        int n = ox1 - ox0;
        var x0s = new int[n]; var x1s = new int[n]; var wxs = new float[n];
        for (int i = 0; i < n; i++)
        {
            double sx = Math.Clamp((ox0 + i + 0.5) * fx - 0.5, 0, sw - 1);
            int xa = (int)sx;
            x0s[i] = xa * c; x1s[i] = Math.Min(xa + 1, sw - 1) * c; wxs[i] = (float)(sx - xa);
        }
        for (int y = oy0; y < oy1; y++)
        {
            double sy = Math.Clamp((y + 0.5) * fy - 0.5, 0, sh - 1);
            int ya = (int)sy, yb = Math.Min(ya + 1, sh - 1);
            float wy = (float)(sy - ya);
            int r0 = ya * sw * c, r1 = yb * sw * c, o = ((y - y0) * outW + (ox0 - x0)) * c;
            BlendRow(s, d, o, r0, r1, x0s, x1s, wxs, n, c, wy);
        }
        return dst;
    }

    public static LabelMask ResizeNearest(LabelMask src, int width, int height)
    {
        if (width == src.Width && height == src.Height) return src;
        return ResizeNearestWindow(src, width, height, 0, 0, width, height);
    }

    /// <summary>The mask counterpart of <see cref="ResizeBilinearWindow"/>: nearest, padding = <see cref="LabelMask.Ignore"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // pixel loop: skip the slow first JIT tier
    public static LabelMask ResizeNearestWindow(LabelMask src, int fullW, int fullH, int x0, int y0, int outW, int outH)
    {
        int sw = src.Width, sh = src.Height;
        var dst = new LabelMask(outW, outH);
        var s = src.Labels; var d = dst.Labels;
        int ox0 = Math.Max(0, x0), ox1 = Math.Min(fullW, x0 + outW), oy0 = Math.Max(0, y0), oy1 = Math.Min(fullH, y0 + outH);
        if (ox0 > x0 || oy0 > y0 || ox1 < x0 + outW || oy1 < y0 + outH) Array.Fill(d, LabelMask.Ignore);
        if (ox1 <= ox0 || oy1 <= oy0) return dst;
        int n = ox1 - ox0;
        var xs = new int[n];
        for (int i = 0; i < n; i++) xs[i] = Math.Min((int)((ox0 + i + 0.5) * sw / fullW), sw - 1);
        for (int y = oy0; y < oy1; y++)
        {
            int sy = Math.Min((int)((y + 0.5) * sh / fullH), sh - 1);
            int r = sy * sw, o = (y - y0) * outW + (ox0 - x0);
            for (int i = 0; i < n; i++) d[o + i] = s[r + xs[i]];
        }
        return dst;
    }

    /// <summary>
    /// The source rectangle <paramref name="box"/> (continuous pixels, may be fractional) resized to
    /// <paramref name="outW"/> × <paramref name="outH"/>, bilinear: output pixel (u, v) samples source point
    /// (box.X + (u + 0.5)·box.Width/outW, box.Y + (v + 0.5)·box.Height/outH), borders clamped. For a box of the whole
    /// image this equals <see cref="ResizeBilinear"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // pixel loop: skip the slow first JIT tier
    public static RgbImage ResizeBilinearBox(RgbImage src, CropBox box, int outW, int outH)
    {
        int c = src.Channels, sw = src.Width, sh = src.Height;
        var dst = new RgbImage(outW, outH, c);
        var s = src.Pixels; var d = dst.Pixels;
        double fx = box.Width / outW, fy = box.Height / outH;
        var x0s = new int[outW]; var x1s = new int[outW]; var wxs = new float[outW];
        for (int i = 0; i < outW; i++)
        {
            double sx = Math.Clamp(box.X + (i + 0.5) * fx - 0.5, 0, sw - 1);
            int xa = (int)sx;
            x0s[i] = xa * c; x1s[i] = Math.Min(xa + 1, sw - 1) * c; wxs[i] = (float)(sx - xa);
        }
        int o = 0;
        for (int y = 0; y < outH; y++)
        {
            double sy = Math.Clamp(box.Y + (y + 0.5) * fy - 0.5, 0, sh - 1);
            int ya = (int)sy, yb = Math.Min(ya + 1, sh - 1);
            float wy = (float)(sy - ya);
            int r0 = ya * sw * c, r1 = yb * sw * c;
            o = BlendRow(s, d, o, r0, r1, x0s, x1s, wxs, outW, c, wy);
        }
        return dst;
    }

    /// <summary>The mask counterpart of <see cref="ResizeBilinearBox"/>: nearest source pixel of each output pixel's centre.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // pixel loop: skip the slow first JIT tier
    public static LabelMask ResizeNearestBox(LabelMask src, CropBox box, int outW, int outH)
    {
        int sw = src.Width, sh = src.Height;
        var dst = new LabelMask(outW, outH);
        var s = src.Labels; var d = dst.Labels;
        var xs = new int[outW];
        for (int i = 0; i < outW; i++) xs[i] = Math.Clamp((int)Math.Floor(box.X + (i + 0.5) * box.Width / outW), 0, sw - 1);
        for (int y = 0; y < outH; y++)
        {
            int sy = Math.Clamp((int)Math.Floor(box.Y + (y + 0.5) * box.Height / outH), 0, sh - 1);
            int r = sy * sw, o = y * outW;
            for (int i = 0; i < outW; i++) d[o + i] = s[r + xs[i]];
        }
        return dst;
    }

    /// <summary>Fills the window pixels that fall outside the fullW × fullH image with the pad bytes.</summary>
    static void FillPad(byte[] d, int c, IReadOnlyList<byte> pad, int x0, int y0, int outW, int outH, int fullW, int fullH)
    {
        bool inside = x0 >= 0 && y0 >= 0 && x0 + outW <= fullW && y0 + outH <= fullH;
        if (inside) return;
        var p = new byte[c];
        for (int k = 0; k < c; k++) p[k] = pad[pad.Count == 1 ? 0 : Math.Min(k, pad.Count - 1)];
        if (p.All(v => v == 0)) return; // new arrays are already zero
        for (int y = 0; y < outH; y++)
            for (int x = 0; x < outW; x++)
            {
                int sx = x0 + x, sy = y0 + y;
                if (sx >= 0 && sy >= 0 && sx < fullW && sy < fullH) continue;
                for (int k = 0; k < c; k++) d[(y * outW + x) * c + k] = p[k];
            }
    }

    /// <summary>Checks the sample's image and mask agree in size; augmentations rely on it.</summary>
    public static void RequireSameSize(SegmentationSample s)
    {
        if (s.Image.Width != s.Mask.Width || s.Image.Height != s.Mask.Height)
            throw new SharpSegException($"sample '{s.Id}': image is {s.Image.Width}x{s.Image.Height} but its mask is {s.Mask.Width}x{s.Mask.Height}; image and mask must have the same size.");
    }

    /// <summary>One output row of bilinear resampling: <paramref name="n"/> pixels blended from source rows starting at
    /// <paramref name="r0"/> and <paramref name="r1"/> (row weight <paramref name="wy"/>) with precomputed column offsets
    /// and weights, written to <paramref name="d"/> from <paramref name="o"/>. Returns the next output index.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    static int BlendRow(byte[] s, byte[] d, int o, int r0, int r1, int[] x0s, int[] x1s, float[] wxs, int n, int c, float wy)
    {
        for (int i = 0; i < n; i++)
        {
            int a = r0 + x0s[i], b = r0 + x1s[i], e = r1 + x0s[i], f = r1 + x1s[i];
            float wx = wxs[i];
            for (int k = 0; k < c; k++)
            {
                float top = s[a + k] + (s[b + k] - s[a + k]) * wx;
                float bot = s[e + k] + (s[f + k] - s[e + k]) * wx;
                d[o++] = (byte)(top + (bot - top) * wy + 0.5f);
            }
        }
        return o;
    }
}
