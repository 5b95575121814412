using SharpSeg.Data.Loading;
namespace SharpSeg.Data.Augmentation;

/// <summary>
/// One transform of an image and its mask together. Implementations never modify the input sample (it may be a cached
/// decode shared between epochs); they return a new sample, or the same instance when nothing changes. Masks are only
/// ever resampled nearest-neighbour, so a mask never gains a value it did not have, except <see cref="Imaging.LabelMask.Ignore"/>
/// for pixels the transform invents (padding, rotated-in corners).
/// </summary>
public interface IAugmentation
{
    /// <summary>Applies the transform, drawing all randomness from <paramref name="rng"/> (one per sample, derived from seed, epoch and index).</summary>
    SegmentationSample Apply(SegmentationSample sample, Random rng);
}
