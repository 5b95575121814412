using SharpSeg.Data.Loading;
namespace SharpSeg.Data.Augmentation;

/// <summary>
/// Resizes image (bilinear) and mask (nearest) by one factor drawn uniformly from [<see cref="Min"/>, <see cref="Max"/>],
/// keeping the aspect ratio. Sizes are rounded to whole pixels (at least 1).
/// </summary>
public sealed class RandomScale : IAugmentation
{
    public RandomScale(double min, double max)
    {
        if (!(min > 0) || !(max >= min) || double.IsInfinity(max))
            throw new SharpSegException($"scale: [{min}, {max}] is not a valid range; use two positive factors, smallest first, e.g. scale: [0.5, 2.0].");
        Min = min; Max = max;
    }

    public double Min { get; }
    public double Max { get; }

    public SegmentationSample Apply(SegmentationSample sample, Random rng)
    {
        Resampling.RequireSameSize(sample);
        var (w, h) = DrawSize(sample, rng);
        if (w == sample.Image.Width && h == sample.Image.Height) return sample;
        return sample with { Image = Resampling.ResizeBilinear(sample.Image, w, h), Mask = Resampling.ResizeNearest(sample.Mask, w, h) };
    }

    /// <summary>Draws the factor and returns the new size (the sample's own size when the range is [1, 1], drawing nothing).</summary>
    internal (int Width, int Height) DrawSize(SegmentationSample sample, Random rng)
    {
        if (Min == 1.0 && Max == 1.0) return (sample.Image.Width, sample.Image.Height);
        double f = rng.Uniform(Min, Max);
        return (Math.Max(1, (int)Math.Round(sample.Image.Width * f)), Math.Max(1, (int)Math.Round(sample.Image.Height * f)));
    }
}
