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

    /// <summary>out = alpha·frame + (1 − alpha)·background, per pixel (alpha in [0, 1], one per pixel).</summary>
    public static RgbImage Blend(RgbImage frame, RgbImage background, float[] alpha)
    {
        if (background.Width != frame.Width || background.Height != frame.Height) throw new ArgumentException("the background must have the frame's size");
        var result = new RgbImage(frame.Width, frame.Height, 3);
        var f = frame.Pixels; var b = background.Pixels; var o = result.Pixels;
        for (int i = 0; i < alpha.Length; i++)
        {
            float a = Math.Clamp(alpha[i], 0f, 1f);
            for (int k = 0; k < 3; k++) o[3 * i + k] = (byte)(a * f[3 * i + k] + (1 - a) * b[3 * i + k] + 0.5f);
        }
        return result;
    }

    /// <summary>A blurred copy: three passes of a box blur of radius <paramref name="radius"/> per axis (close to a Gaussian of
    /// σ ≈ radius), edges clamped. Radii of 6 and more are blurred on a copy subsampled by radius / 3 (area means) and
    /// resized back bilinearly: the same look for a background blur at a fraction of the cost at 720p.</summary>
    public static RgbImage Blur(RgbImage image, int radius)
    {
        int factor = Math.Min(radius / 3, Math.Min(image.Width, image.Height) / 8);
        if (factor >= 2)
        {
            var small = Planes.DownsampleArea(image, factor);
            var blurred = BoxBlur(small, Math.Max(1, (int)Math.Round((double)radius / factor)));
            return Data.Augmentation.Resampling.ResizeBilinear(blurred, image.Width, image.Height);
        }
        return BoxBlur(image, radius);
    }

    static RgbImage BoxBlur(RgbImage image, int radius)
    {
        int w = image.Width, h = image.Height;
        var a = image.Pixels.Select(v => (float)v).ToArray();
        var tmp = new float[a.Length];
        for (int pass = 0; pass < 3; pass++)
        {
            BoxPass(a, tmp, w, h, radius, horizontal: true);
            BoxPass(tmp, a, w, h, radius, horizontal: false);
        }
        var result = new RgbImage(w, h, 3);
        for (int i = 0; i < a.Length; i++) result.Pixels[i] = (byte)Math.Clamp(a[i] + 0.5f, 0, 255);
        return result;
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
