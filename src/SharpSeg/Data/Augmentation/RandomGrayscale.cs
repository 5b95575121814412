using SharpSeg.Imaging;
using SharpSeg.Data.Loading;

namespace SharpSeg.Data.Augmentation;

/// <summary>
/// With probability <see cref="Probability"/>, replaces an RGB image by its luma (ITU-R BT.601: 0.299 R + 0.587 G +
/// 0.114 B) in all three channels, as torchvision's RandomGrayscale. The mask and one-channel images are untouched.
/// </summary>
public sealed class RandomGrayscale : IAugmentation
{
    public RandomGrayscale(double probability)
    {
        if (!(probability >= 0 && probability <= 1)) throw new SharpSegException($"grayscale: {probability} must be a probability in [0, 1].");
        Probability = probability;
    }

    public double Probability { get; }

    public SegmentationSample Apply(SegmentationSample sample, Random rng)
    {
        if (!rng.Chance(Probability) || sample.Image.Channels != 3) return sample;
        return sample with { Image = ToGray(sample.Image) };
    }

    /// <summary>The luma of an RGB image, replicated to three channels (always; no randomness).</summary>
    public static RgbImage ToGray(RgbImage src)
    {
        var img = new RgbImage(src.Width, src.Height, src.Channels);
        var s = src.Pixels; var d = img.Pixels;
        for (int i = 0; i < s.Length; i += 3)
        {
            byte g = (byte)((299 * s[i] + 587 * s[i + 1] + 114 * s[i + 2] + 500) / 1000);
            d[i] = g; d[i + 1] = g; d[i + 2] = g;
        }
        return img;
    }
}
