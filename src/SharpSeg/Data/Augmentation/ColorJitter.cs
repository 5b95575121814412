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
        var f = new float[n * c];
        var s = src.Pixels;
        for (int i = 0; i < f.Length; i++) f[i] = (float)Math.Min(255.0, s[i] * b);
        if (ct != 1)
        {
            double mean = 0;
            if (c == 3) for (int i = 0; i < n; i++) mean += 0.299 * f[3 * i] + 0.587 * f[3 * i + 1] + 0.114 * f[3 * i + 2];
            else for (int i = 0; i < n; i++) mean += f[i];
            mean /= n;
            for (int i = 0; i < f.Length; i++) f[i] = (float)Math.Clamp(mean + (f[i] - mean) * ct, 0, 255);
        }
        if (c == 3 && sat != 1)
        {
            for (int i = 0; i < n; i++)
            {
                double g = 0.299 * f[3 * i] + 0.587 * f[3 * i + 1] + 0.114 * f[3 * i + 2];
                for (int k = 0; k < 3; k++) f[3 * i + k] = (float)Math.Clamp(g + (f[3 * i + k] - g) * sat, 0, 255);
            }
        }
        if (c == 3 && hue != 0)
        {
            for (int i = 0; i < n; i++) ShiftHue(f, 3 * i, hue);
        }
        var img = new RgbImage(src.Width, src.Height, c);
        for (int i = 0; i < f.Length; i++) img.Pixels[i] = RandomDraws.ClampByte(f[i]);
        return sample with { Image = img };
    }

    static void ShiftHue(float[] f, int o, double shift)
    {
        double r = f[o] / 255.0, g = f[o + 1] / 255.0, bl = f[o + 2] / 255.0;
        double max = Math.Max(r, Math.Max(g, bl)), min = Math.Min(r, Math.Min(g, bl)), d = max - min;
        if (d <= 0) return; // grey: hue undefined
        double h = max == r ? ((g - bl) / d) % 6 : max == g ? (bl - r) / d + 2 : (r - g) / d + 4;
        h = h / 6 + shift;
        h -= Math.Floor(h);
        double v = max, sv = d / max;
        double h6 = h * 6; int sector = (int)h6 % 6; double fr = h6 - Math.Floor(h6);
        double p = v * (1 - sv), q = v * (1 - sv * fr), t = v * (1 - sv * (1 - fr));
        (r, g, bl) = sector switch { 0 => (v, t, p), 1 => (q, v, p), 2 => (p, v, t), 3 => (p, q, v), 4 => (t, p, v), _ => (v, p, q) };
        f[o] = (float)(r * 255); f[o + 1] = (float)(g * 255); f[o + 2] = (float)(bl * 255);
    }
}
