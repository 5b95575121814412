using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using SharpSeg.Inference;
using SharpSeg.Imaging;

namespace SharpSeg.Video;

/// <summary>Background effects for blur-background and replace-background (<see cref="VideoRender"/>):
/// the frame over a blurred copy of itself or over another picture, weighted per pixel by the foreground alpha.</summary>
public static class Compositing
{
    /// <summary>The blur radius of a blurred background when none is given: 1/40 of the shorter side, at least 2.</summary>
    public static int DefaultBlurRadius(int width, int height) => Math.Max(2, Math.Min(width, height) / 40);

    /// <summary>Per pixel, the summed probability of the <paramref name="foreground"/> classes (<paramref name="probabilities"/>
    /// <c>[C, H, W]</c>); from the mask (1 or 0) when there are no probabilities.</summary>
    public static float[] ForegroundAlpha(float[]? probabilities, LabelMask mask, IReadOnlyList<int> foreground)
    {
        int n = mask.Labels.Length;
        var alpha = new float[n];
        if (probabilities is { } p && p.Length % n == 0)
        {
            foreach (int c in foreground)
                for (int i = 0; i < n; i++) alpha[i] += p[c * n + i];
        }
        else
        {
            var set = foreground.ToHashSet();
            for (int i = 0; i < n; i++) alpha[i] = set.Contains(mask.Labels[i]) ? 1 : 0;
        }
        return alpha;
    }

    /// <summary>The foreground alpha of a model's result on a reduced copy of a frame (<see cref="WorkingResolution.InferReduced"/>),
    /// refined against the frame with the guided filter when <paramref name="refine"/> (window radius
    /// <paramref name="refineRadius"/> in full-size pixels, null: <see cref="GuidedFilter.DefaultRadius"/>).</summary>
    public static AlphaField ForegroundAlpha(ReducedInference reduced, IReadOnlyList<int> foreground, bool refine, int? refineRadius)
    {
        ArgumentNullException.ThrowIfNull(reduced);
        var small = reduced.Image;
        var alpha = ForegroundAlpha(reduced.Result.Probabilities, reduced.Result.Mask, foreground);
        return refine
            ? AlphaField.Refined(small, alpha, reduced.Width, reduced.Height, refineRadius ?? GuidedFilter.DefaultRadius(reduced.Width, reduced.Height))
            : AlphaField.FromMask(alpha, small.Width, small.Height, reduced.Width, reduced.Height);
    }

    /// <summary>out = alpha·frame + (1 − alpha)·behind, per pixel: <paramref name="behind"/> is stretched bilinearly over
    /// the frame and <paramref name="alpha"/> evaluated per row (both may be of a reduced size), so the only full-size
    /// planes are the frame and the result (written into <paramref name="into"/> when given: an array of the frame's size).
    /// <paramref name="frame"/> has 3 channels.</summary>
    public static RgbImage Blend(RgbImage frame, Backdrop behind, AlphaField alpha, byte[]? into = null)
    {
        int w = frame.Width, h = frame.Height;
        if (frame.Channels != 3) throw new ArgumentException("the frame must have 3 channels", nameof(frame));
        if (alpha.Width != w || alpha.Height != h) throw new ArgumentException($"the alpha field covers {alpha.Width}×{alpha.Height}, the frame is {w}×{h}");
        var result = new RgbImage(w, h, 3, into);
        var rows = new StretchedRows(behind.Values, behind.Width, behind.Height, 3, w, h);
        var row = new float[w * 3];
        var a = new float[w];
        var a3 = new float[3 * w];
        var scratch = alpha.NewScratch();
        for (int y = 0; y < h; y++)
        {
            alpha.EvaluateRow(frame, y, a, scratch);
            rows.Row(y, row);
            Triple(a, a3);
            BlendRow(frame.Pixels.AsSpan(3 * y * w, 3 * w), row, a3, result.Pixels.AsSpan(3 * y * w, 3 * w));
        }
        return result;
    }

    /// <summary>Each value of <paramref name="values"/> three times over (one per colour channel): <c>tripled[3x + k] = values[x]</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // pixel loop
    internal static void Triple(ReadOnlySpan<float> values, Span<float> tripled)
    {
        int n = values.Length, x = 0;
        if (tripled.Length < 3 * n) throw new ArgumentException("the tripled row is shorter than three times the values", nameof(tripled));
        if (Avx2.IsSupported)
        {
            // 8 values to 24: three cross-lane permutations of one load.
            var i0 = Vector256.Create(0, 0, 0, 1, 1, 1, 2, 2);
            var i1 = Vector256.Create(2, 3, 3, 3, 4, 4, 4, 5);
            var i2 = Vector256.Create(5, 5, 6, 6, 6, 7, 7, 7);
            ref float v = ref MemoryMarshal.GetReference(values), t = ref MemoryMarshal.GetReference(tripled);
            for (; x + 8 <= n; x += 8)
            {
                var block = Vector256.LoadUnsafe(ref v, (nuint)x);
                Avx2.PermuteVar8x32(block, i0).StoreUnsafe(ref t, (nuint)(3 * x));
                Avx2.PermuteVar8x32(block, i1).StoreUnsafe(ref t, (nuint)(3 * x + 8));
                Avx2.PermuteVar8x32(block, i2).StoreUnsafe(ref t, (nuint)(3 * x + 16));
            }
        }
        for (; x < n; x++) tripled[3 * x] = tripled[3 * x + 1] = tripled[3 * x + 2] = values[x];
    }

    /// <summary><c>into = behind + alpha·(frame − behind)</c> per value, rounded to bytes (values in [0, 255], alpha in [0, 1]).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // pixel loop
    static void BlendRow(ReadOnlySpan<byte> frame, ReadOnlySpan<float> behind, ReadOnlySpan<float> alpha, Span<byte> into)
    {
        int n = into.Length, i = 0;
        if (frame.Length < n || behind.Length < n || alpha.Length < n) throw new ArgumentException("the rows are shorter than the result");
        ref byte f = ref MemoryMarshal.GetReference(frame), o = ref MemoryMarshal.GetReference(into);
        ref float b = ref MemoryMarshal.GetReference(behind), a = ref MemoryMarshal.GetReference(alpha);
        if (Vector256.IsHardwareAccelerated)
        {
            // 32 values at a time, the same arithmetic as the scalar loop: bytes widened to floats, the blend, +0.5 and
            // truncation, narrowed back (the values are within 0..255, so narrowing keeps them).
            for (; i + 32 <= n; i += 32)
            {
                var (u0, u1) = Vector256.Widen(Vector256.LoadUnsafe(ref f, (nuint)i));
                var (q0, q1) = Vector256.Widen(u0);
                var (q2, q3) = Vector256.Widen(u1);
                var s0 = Vector256.Narrow(Mix(q0, ref b, ref a, i), Mix(q1, ref b, ref a, i + 8));
                var s1 = Vector256.Narrow(Mix(q2, ref b, ref a, i + 16), Mix(q3, ref b, ref a, i + 24));
                Vector256.Narrow(s0.AsUInt16(), s1.AsUInt16()).StoreUnsafe(ref o, (nuint)i);
            }
        }
        for (; i < n; i++)
        {
            float bi = Unsafe.Add(ref b, i);
            Unsafe.Add(ref o, i) = (byte)(bi + Unsafe.Add(ref a, i) * (Unsafe.Add(ref f, i) - bi) + 0.5f);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<int> Mix(Vector256<uint> frame, ref float behind, ref float alpha, int i)
    {
        var fv = Vector256.ConvertToSingle(frame.AsInt32());
        var bv = Vector256.LoadUnsafe(ref behind, (nuint)i);
        return Vector256.ConvertToInt32(bv + Vector256.LoadUnsafe(ref alpha, (nuint)i) * (fv - bv) + Vector256.Create(0.5f));
    }

    /// <summary>The frame over a blurred copy of itself (<paramref name="replacement"/> null, blur radius
    /// <paramref name="blurRadius"/> or <see cref="DefaultBlurRadius"/>) or over <paramref name="replacement"/>, weighted
    /// by <paramref name="alpha"/>: the one composition behind <c>sharpseg portrait</c> and the video background effects.
    /// <paramref name="reduced"/>, a reduced copy of this frame already made (the model's input), saves the blur a pass
    /// over the full frame; <paramref name="into"/>, an array of the frame's size, receives the result.</summary>
    public static RgbImage Compose(RgbImage frame, AlphaField alpha, Backdrop? replacement, int? blurRadius, RgbImage? reduced = null, byte[]? into = null) =>
        Blend(frame, replacement ?? BlurredBackdrop(frame, blurRadius ?? DefaultBlurRadius(frame.Width, frame.Height), reduced), alpha, into);

    /// <summary>A blurred copy: three passes of a box blur of radius <paramref name="radius"/> per axis (close to a Gaussian of
    /// σ ≈ radius), edges clamped, at full size (the rounded <see cref="BlurredBackdrop"/>).</summary>
    public static RgbImage Blur(RgbImage image, int radius) =>
        Blend(image.WithChannels(3), BlurredBackdrop(image, radius), AlphaField.FromMask([0f], 1, 1, image.Width, image.Height));

    /// <summary>The blurred background of <see cref="Blur"/> as a <see cref="Backdrop"/>, kept at a reduced size: radii of 6
    /// and more are blurred on a copy subsampled by about radius / 3 (area means), which looks the same once stretched
    /// back bilinearly, at a fraction of the cost at 720p. When <paramref name="reduced"/> (a 3-channel copy of
    /// <paramref name="image"/> reduced by a whole factor) is given, that copy is subsampled instead of the image.</summary>
    public static Backdrop BlurredBackdrop(RgbImage image, int radius, RgbImage? reduced = null)
    {
        var rgb = image.WithChannels(3);
        double r = radius;
        if (reduced is { Channels: 3 } && reduced.Width < image.Width && reduced.Height < image.Height)
        {
            r = radius * (double)reduced.Width / image.Width;
            rgb = reduced;
        }
        int factor = Math.Min((int)(r / 3), Math.Min(rgb.Width, rgb.Height) / 8);
        if (factor >= 2) { rgb = Planes.DownsampleArea(rgb, factor); r /= factor; }
        int rr = Math.Max(1, (int)Math.Round(r));
        var a = Backdrop.Of(rgb).Values;
        var tmp = new float[a.Length];
        for (int pass = 0; pass < 3; pass++)
        {
            BoxPass(a, tmp, rgb.Width, rgb.Height, rr, horizontal: true);
            BoxPass(tmp, a, rgb.Width, rgb.Height, rr, horizontal: false);
        }
        return new Backdrop(a, rgb.Width, rgb.Height);
    }

    /// <summary>One pass of a box blur of radius <paramref name="r"/> over interleaved RGB values, along rows or along
    /// columns, edges clamped (the first and last values repeat beyond the border).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // pixel loop
    static void BoxPass(float[] src, float[] dst, int w, int h, int r, bool horizontal)
    {
        float scale = 1f / (2 * r + 1);
        if (horizontal)
        {
            // A running sum per channel along each row.
            for (int y = 0; y < h; y++)
            {
                var row = src.AsSpan(3 * y * w, 3 * w);
                var o = dst.AsSpan(3 * y * w, 3 * w);
                for (int c = 0; c < 3; c++)
                {
                    float sum = 0;
                    for (int t = -r; t <= r; t++) sum += row[3 * Math.Clamp(t, 0, w - 1) + c];
                    for (int x = 0; x < w; x++)
                    {
                        o[3 * x + c] = sum * scale;
                        sum += row[3 * Math.Min(x + r + 1, w - 1) + c] - row[3 * Math.Max(x - r, 0) + c];
                    }
                }
            }
            return;
        }
        // Along columns: a running sum per value of a row, moved down a row at a time (sequential memory access).
        int n = 3 * w;
        var sums = new float[n];
        for (int t = -r; t <= r; t++)
        {
            var add = src.AsSpan(n * Math.Clamp(t, 0, h - 1), n);
            for (int i = 0; i < n; i++) sums[i] += add[i];
        }
        for (int y = 0; y < h; y++)
        {
            var o = dst.AsSpan(n * y, n);
            var enter = src.AsSpan(n * Math.Min(y + r + 1, h - 1), n);
            var leave = src.AsSpan(n * Math.Max(y - r, 0), n);
            for (int i = 0; i < n; i++)
            {
                o[i] = sums[i] * scale;
                sums[i] += enter[i] - leave[i];
            }
        }
    }

    /// <summary><paramref name="picture"/> scaled to cover <paramref name="width"/>×<paramref name="height"/> (aspect kept,
    /// centred, the overflow cropped), bilinear.</summary>
    public static RgbImage Cover(RgbImage picture, int width, int height)
    {
        double scale = Math.Max((double)width / picture.Width, (double)height / picture.Height);
        double offX = (picture.Width * scale - width) / 2, offY = (picture.Height * scale - height) / 2;
        var result = new RgbImage(width, height, 3);
        int ch = picture.Channels;
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                double sx = Math.Clamp((x + offX + 0.5) / scale - 0.5, 0, picture.Width - 1), sy = Math.Clamp((y + offY + 0.5) / scale - 0.5, 0, picture.Height - 1);
                int x0 = (int)sx, y0 = (int)sy, x1 = Math.Min(x0 + 1, picture.Width - 1), y1 = Math.Min(y0 + 1, picture.Height - 1);
                double fx = sx - x0, fy = sy - y0;
                for (int k = 0; k < 3; k++)
                {
                    int kk = ch == 3 ? k : 0;
                    double v = (1 - fy) * ((1 - fx) * picture.Pixels[(y0 * picture.Width + x0) * ch + kk] + fx * picture.Pixels[(y0 * picture.Width + x1) * ch + kk])
                             + fy * ((1 - fx) * picture.Pixels[(y1 * picture.Width + x0) * ch + kk] + fx * picture.Pixels[(y1 * picture.Width + x1) * ch + kk]);
                    result.Pixels[(y * width + x) * 3 + k] = (byte)Math.Round(v);
                }
            }
        return result;
    }
}

/// <summary>What lies behind the foreground in a composition: RGB values (interleaved floats, 0..255) of any size,
/// stretched bilinearly over the frame by <see cref="Compositing.Blend"/>.</summary>
public sealed record Backdrop(float[] Values, int Width, int Height)
{
    /// <summary>The picture's pixels as a backdrop (gray pictures repeated over R, G and B).</summary>
    public static Backdrop Of(RgbImage picture)
    {
        var rgb = picture.WithChannels(3);
        var v = new float[rgb.Pixels.Length];
        for (int i = 0; i < v.Length; i++) v[i] = rgb.Pixels[i];
        return new Backdrop(v, rgb.Width, rgb.Height);
    }
}
