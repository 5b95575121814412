using System.Runtime.CompilerServices;
using SharpSeg.Imaging;
using SharpSeg.Data.Loading;

namespace SharpSeg.Data.Augmentation;

/// <summary>
/// With probability <see cref="Probability"/>, blurs the image (not the mask) with a separable Gaussian whose sigma, in
/// pixels, is drawn from [<see cref="SigmaMin"/>, <see cref="SigmaMax"/>]; kernel radius ⌈3σ⌉, borders replicated.
/// </summary>
public sealed class GaussianBlur : IAugmentation
{
    public GaussianBlur(double probability, double sigmaMin = 0.1, double sigmaMax = 2.0)
    {
        if (!(probability >= 0 && probability <= 1)) throw new SharpSegException($"blur: {probability} must be a probability in [0, 1].");
        if (!(sigmaMin > 0) || !(sigmaMax >= sigmaMin) || sigmaMax > 50) throw new SharpSegException($"blur_sigma: [{sigmaMin}, {sigmaMax}] must be positive pixels (≤ 50), smallest first.");
        Probability = probability; SigmaMin = sigmaMin; SigmaMax = sigmaMax;
    }

    public double Probability { get; }
    public double SigmaMin { get; }
    public double SigmaMax { get; }

    public SegmentationSample Apply(SegmentationSample sample, Random rng)
    {
        if (!rng.Chance(Probability)) return sample;
        return sample with { Image = Blur(sample.Image, rng.Uniform(SigmaMin, SigmaMax)) };
    }

    /// <summary>Blurs with a fixed sigma (pixels).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // pixel loop: skip the slow first JIT tier
    public static RgbImage Blur(RgbImage src, double sigma)
    {
        int r = Math.Max(1, (int)Math.Ceiling(3 * sigma));
        var k = new float[2 * r + 1];
        double sum = 0;
        for (int i = -r; i <= r; i++) { k[i + r] = (float)Math.Exp(-i * i / (2 * sigma * sigma)); sum += k[i + r]; }
        for (int i = 0; i < k.Length; i++) k[i] = (float)(k[i] / sum);
        int w = src.Width, h = src.Height, c = src.Channels;
        var s = src.Pixels;
        var tmp = new float[s.Length];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                for (int ch = 0; ch < c; ch++)
                {
                    float acc = 0;
                    for (int i = -r; i <= r; i++) acc += k[i + r] * s[(y * w + Math.Clamp(x + i, 0, w - 1)) * c + ch];
                    tmp[(y * w + x) * c + ch] = acc;
                }
        var dst = new RgbImage(w, h, c);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                for (int ch = 0; ch < c; ch++)
                {
                    float acc = 0;
                    for (int i = -r; i <= r; i++) acc += k[i + r] * tmp[(Math.Clamp(y + i, 0, h - 1) * w + x) * c + ch];
                    dst.Pixels[(y * w + x) * c + ch] = RandomDraws.ClampByte(acc);
                }
        return dst;
    }
}
