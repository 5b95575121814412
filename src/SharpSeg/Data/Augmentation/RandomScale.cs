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
        if (Min == 1.0 && Max == 1.0) return sample;
        double f = rng.Uniform(Min, Max);
        int w = Math.Max(1, (int)Math.Round(sample.Image.Width * f));
        int h = Math.Max(1, (int)Math.Round(sample.Image.Height * f));
        return sample with { Image = Resampling.ResizeBilinear(sample.Image, w, h), Mask = Resampling.ResizeNearest(sample.Mask, w, h) };
    }
}
