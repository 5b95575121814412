using SharpSeg.Imaging;
using SharpSeg.Data.Loading;

namespace SharpSeg.Data.Augmentation;

/// <summary>Mirrors image and mask top–bottom with probability <see cref="Probability"/> (opt-in: wrong for street or sky scenes).</summary>
public sealed class VerticalFlip : IAugmentation
{
    public VerticalFlip(double probability)
    {
        if (!(probability >= 0 && probability <= 1)) throw new SharpSegException($"vflip: {probability} must be a probability in [0, 1].");
        Probability = probability;
    }

    public double Probability { get; }

    public SegmentationSample Apply(SegmentationSample sample, Random rng)
    {
        Resampling.RequireSameSize(sample);
        return rng.Chance(Probability) ? Flip(sample) : sample;
    }

    /// <summary>The top–bottom mirror image of a sample (always; no randomness).</summary>
    public static SegmentationSample Flip(SegmentationSample s)
    {
        int w = s.Image.Width, h = s.Image.Height, c = s.Image.Channels;
        var img = new RgbImage(w, h, c); var mask = new LabelMask(w, h);
        for (int y = 0; y < h; y++)
        {
            int to = h - 1 - y;
            Array.Copy(s.Image.Pixels, y * w * c, img.Pixels, to * w * c, w * c);
            Array.Copy(s.Mask.Labels, y * w, mask.Labels, to * w, w);
        }
        return s with { Image = img, Mask = mask };
    }
}
