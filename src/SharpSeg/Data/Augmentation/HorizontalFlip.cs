using System.Runtime.CompilerServices;
using SharpSeg.Imaging;
using SharpSeg.Data.Loading;

namespace SharpSeg.Data.Augmentation;

/// <summary>Mirrors image and mask left–right with probability <see cref="Probability"/>.</summary>
public sealed class HorizontalFlip : IAugmentation
{
    public HorizontalFlip(double probability = 0.5)
    {
        if (!(probability >= 0 && probability <= 1)) throw new SharpSegException($"hflip: {probability} must be a probability in [0, 1].");
        Probability = probability;
    }

    public double Probability { get; }

    public SegmentationSample Apply(SegmentationSample sample, Random rng)
    {
        Resampling.RequireSameSize(sample);
        return rng.Chance(Probability) ? Flip(sample) : sample;
    }

    /// <summary>The left–right mirror image of a sample (always; no randomness).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // pixel loop: skip the slow first JIT tier
    public static SegmentationSample Flip(SegmentationSample s)
    {
        int w = s.Image.Width, h = s.Image.Height, c = s.Image.Channels;
        var img = new RgbImage(w, h, c); var mask = new LabelMask(w, h);
        var si = s.Image.Pixels; var sm = s.Mask.Labels; var di = img.Pixels; var dm = mask.Labels;
        for (int y = 0; y < h; y++)
        {
            int row = y * w;
            for (int x = 0; x < w; x++)
            {
                int from = row + x, to = row + (w - 1 - x);
                dm[to] = sm[from];
                for (int k = 0; k < c; k++) di[to * c + k] = si[from * c + k];
            }
        }
        return s with { Image = img, Mask = mask };
    }
}
