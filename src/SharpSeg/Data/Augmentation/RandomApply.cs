using SharpSeg.Data.Loading;
namespace SharpSeg.Data.Augmentation;

/// <summary>
/// Applies <see cref="Inner"/> with probability <see cref="Probability"/>, else leaves the sample as it is
/// (torchvision's RandomApply), e.g. colour jitter on 80 % of the views as in SimCLR.
/// </summary>
public sealed class RandomApply : IAugmentation
{
    public RandomApply(IAugmentation inner, double probability)
    {
        ArgumentNullException.ThrowIfNull(inner);
        if (!(probability >= 0 && probability <= 1)) throw new SharpSegException($"probability {probability} must be in [0, 1].");
        Inner = inner; Probability = probability;
    }

    public IAugmentation Inner { get; }
    public double Probability { get; }

    public SegmentationSample Apply(SegmentationSample sample, Random rng) => rng.Chance(Probability) ? Inner.Apply(sample, rng) : sample;
}
