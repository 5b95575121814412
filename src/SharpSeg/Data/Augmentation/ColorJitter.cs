using SharpSeg.Imaging;
using SharpSeg.Data.Loading;

namespace SharpSeg.Data.Augmentation;

/// <summary>
/// Photometric jitter of the image only (the mask is untouched), with torchvision's meaning of the parameters:
/// brightness factor in [1 − b, 1 + b], contrast factor in [1 − c, 1 + c] (blend with the mean grey level),
/// saturation factor in [1 − s, 1 + s] (blend with the greyscale image), hue shift in [−h, +h] turns of the colour
/// circle (h ≤ 0.5). Applied in that fixed order. Grayscale images get brightness and contrast only. Zero disables a term.
/// </summary>
public sealed class ColorJitter : IAugmentation
{
    public ColorJitter(double brightness = 0, double contrast = 0, double saturation = 0, double hue = 0)
    {
        if (brightness < 0 || contrast < 0 || saturation < 0) throw new SharpSegException($"brightness/contrast/saturation must be ≥ 0 (got {brightness}, {contrast}, {saturation}).");
        if (hue < 0 || hue > 0.5) throw new SharpSegException($"hue: {hue} must be in [0, 0.5] (a fraction of the colour circle).");
        Brightness = brightness; Contrast = contrast; Saturation = saturation; Hue = hue;
    }

    public double Brightness { get; }
    public double Contrast { get; }
    public double Saturation { get; }
    public double Hue { get; }

    public SegmentationSample Apply(SegmentationSample sample, Random rng)
    {
        if (Brightness == 0 && Contrast == 0 && Saturation == 0 && Hue == 0) return sample;
        double b = Brightness > 0 ? rng.Uniform(1 - Brightness, 1 + Brightness) : 1;
        double ct = Contrast > 0 ? rng.Uniform(1 - Contrast, 1 + Contrast) : 1;
        double sat = Saturation > 0 ? rng.Uniform(1 - Saturation, 1 + Saturation) : 1;
        double hue = Hue > 0 ? rng.Uniform(-Hue, Hue) : 0;
        var src = sample.Image; int c = src.Channels, n = src.Width * src.Height;
        var s = src.Pixels;
        // Brightness and contrast act on each value alone, so they are a table over the 256 byte values: the same
        // arithmetic, in the same order, as applying them pixel by pixel (the contrast mean still sums the pixels in
        // order), without a float copy of the image. Saturation and hue mix the channels and stay per pixel.
        Span<float> level = stackalloc float[256];
        for (int v = 0; v < 256; v++) level[v] = (float)Math.Min(255.0, v * b);
        if (ct != 1)
        {
            double mean = 0;
            if (c == 3) for (int i = 0; i < n; i++) mean += 0.299 * level[s[3 * i]] + 0.587 * level[s[3 * i + 1]] + 0.114 * level[s[3 * i + 2]];
            else for (int i = 0; i < n; i++) mean += level[s[i]];
            mean /= n;
            for (int v = 0; v < 256; v++) level[v] = (float)Math.Clamp(mean + (level[v] - mean) * ct, 0, 255);
        }
        var img = new RgbImage(src.Width, src.Height, c);
        var d = img.Pixels;
        if (c != 3 || (sat == 1 && hue == 0))
        {
            Span<byte> table = stackalloc byte[256];
            for (int v = 0; v < 256; v++) table[v] = RandomDraws.ClampByte(level[v]);
            for (int i = 0; i < s.Length; i++) d[i] = table[s[i]];
            return sample with { Image = img };
        }
        Span<float> px = stackalloc float[3];
        for (int i = 0; i < n; i++)
        {
            int o = 3 * i;
            px[0] = level[s[o]]; px[1] = level[s[o + 1]]; px[2] = level[s[o + 2]];
            if (sat != 1)
            {
                double g = 0.299 * px[0] + 0.587 * px[1] + 0.114 * px[2];
                for (int k = 0; k < 3; k++) px[k] = (float)Math.Clamp(g + (px[k] - g) * sat, 0, 255);
            }
            if (hue != 0) ShiftHue(px, hue);
            d[o] = RandomDraws.ClampByte(px[0]); d[o + 1] = RandomDraws.ClampByte(px[1]); d[o + 2] = RandomDraws.ClampByte(px[2]);
        }
        return sample with { Image = img };
    }

    /// <summary>Turns the colour <paramref name="f"/> (r, g, b in 0..255) by <paramref name="shift"/> of the colour circle, in
    /// place; a grey is left as it is.</summary>
    internal static void ShiftHue(Span<float> f, double shift)
    {
        double r = f[0] / 255.0, g = f[1] / 255.0, bl = f[2] / 255.0;
        double max = Math.Max(r, Math.Max(g, bl)), min = Math.Min(r, Math.Min(g, bl)), d = max - min;
        if (d <= 0) return; // grey: hue undefined
        double h = max == r ? ((g - bl) / d) % 6 : max == g ? (bl - r) / d + 2 : (r - g) / d + 4;
        h = h / 6 + shift;
        h -= Math.Floor(h);
        double v = max, sv = d / max;
        double h6 = h * 6; int sector = (int)h6 % 6; double fr = h6 - Math.Floor(h6);
        double p = v * (1 - sv), q = v * (1 - sv * fr), t = v * (1 - sv * (1 - fr));
        (r, g, bl) = sector switch { 0 => (v, t, p), 1 => (q, v, p), 2 => (p, v, t), 3 => (p, q, v), 4 => (t, p, v), _ => (v, p, q) };
        f[0] = (float)(r * 255); f[1] = (float)(g * 255); f[2] = (float)(bl * 255);
    }
}
