using SharpSeg.Imaging;
using SharpSeg.Data.Loading;

namespace SharpSeg.Data.Augmentation;

/// <summary>
/// With probability <see cref="Probability"/>, adds independent Gaussian noise to every image byte (not the mask).
/// <see cref="Std"/> is in intensity units of the [0, 1] range (0.03 ≈ 7.65 grey levels), clipped to [0, 255].
/// </summary>
public sealed class GaussianNoise : IAugmentation
{
    public GaussianNoise(double probability, double std)
    {
        if (!(probability >= 0 && probability <= 1)) throw new SharpSegException($"noise_p: {probability} must be a probability in [0, 1].");
        if (!(std >= 0 && std <= 1)) throw new SharpSegException($"noise: {std} must be a standard deviation in [0, 1] (fraction of full intensity).");
        Probability = probability; Std = std;
    }

    public double Probability { get; }
    public double Std { get; }

    public SegmentationSample Apply(SegmentationSample sample, Random rng)
    {
        if (Std == 0 || !rng.Chance(Probability)) return sample;
        var src = sample.Image;
        var img = new RgbImage(src.Width, src.Height, src.Channels);
        double sd = Std * 255;
        for (int i = 0; i < src.Pixels.Length; i++) img.Pixels[i] = RandomDraws.ClampByte(src.Pixels[i] + rng.Gaussian() * sd);
        return sample with { Image = img };
    }
}
