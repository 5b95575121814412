using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
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
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)] // pixel loop
    public static RgbImage Blend(RgbImage frame, Backdrop behind, AlphaField alpha, byte[]? into = null)
    {
        int w = frame.Width, h = frame.Height;
        if (frame.Channels != 3) throw new ArgumentException("the frame must have 3 channels", nameof(frame));
        if (alpha.Width != w || alpha.Height != h) throw new ArgumentException($"the alpha field covers {alpha.Width}×{alpha.Height}, the frame is {w}×{h}");
        var result = new RgbImage(w, h, 3, into);
        var (x0, x1, fx) = Planes.BilinearTaps(behind.Width, w);
        var tapsY = Planes.BilinearTaps(behind.Height, h);
        var row = new float[behind.Width * 3];
        var a = new float[w];
        var scratch = alpha.NewScratch();
        // Pixel loop without bounds checks: every index below is within the arrays by construction (taps are clamped
        // to the backdrop's width, x < w, rows of 3·w bytes).
        ref int rx0 = ref MemoryMarshal.GetArrayDataReference(x0), rx1 = ref MemoryMarshal.GetArrayDataReference(x1);
        ref float rfx = ref MemoryMarshal.GetArrayDataReference(fx), ra = ref MemoryMarshal.GetArrayDataReference(a), rrow = ref MemoryMarshal.GetArrayDataReference(row);
        for (int y = 0; y < h; y++)
        {
            alpha.EvaluateRow(frame, y, a, scratch);
            Planes.LerpRows(behind.Values, behind.Width, 3, tapsY, y, row);
            ref byte f = ref frame.Pixels[3 * y * w];
            ref byte o = ref result.Pixels[3 * y * w];
            for (int x = 0; x < w; x++)
            {
                float ax = Unsafe.Add(ref ra, x), f1 = Unsafe.Add(ref rfx, x);
                ref float b0 = ref Unsafe.Add(ref rrow, 3 * Unsafe.Add(ref rx0, x));
                ref float b1 = ref Unsafe.Add(ref rrow, 3 * Unsafe.Add(ref rx1, x));
                ref byte fp = ref Unsafe.Add(ref f, 3 * x);
                ref byte op = ref Unsafe.Add(ref o, 3 * x);
                for (int k = 0; k < 3; k++)
                {
                    float bk = Unsafe.Add(ref b0, k), bg = bk + (Unsafe.Add(ref b1, k) - bk) * f1;
                    Unsafe.Add(ref op, k) = (byte)(bg + ax * (Unsafe.Add(ref fp, k) - bg) + 0.5f);
                }
            }
        }
        return result;
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

    static void BoxPass(float[] src, float[] dst, int w, int h, int r, bool horizontal)
    {
        int lines = horizontal ? h : w, length = horizontal ? w : h;
        float scale = 1f / (2 * r + 1);
        for (int line = 0; line < lines; line++)
            for (int c = 0; c < 3; c++)
            {
                int Index(int t) => horizontal ? 3 * (line * w + Math.Clamp(t, 0, length - 1)) + c : 3 * (Math.Clamp(t, 0, length - 1) * w + line) + c;
                float sum = 0;
                for (int t = -r; t <= r; t++) sum += src[Index(t)];
                for (int t = 0; t < length; t++)
                {
                    dst[Index(t)] = sum * scale;
                    sum += src[Index(t + r + 1)] - src[Index(t - r)];
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
