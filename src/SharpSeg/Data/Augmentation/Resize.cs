using SharpSeg.Data.Loading;
namespace SharpSeg.Data.Augmentation;

/// <summary>Deterministic resize to a fixed size (image bilinear, mask nearest); for evaluation pipelines.</summary>
public sealed class Resize : IAugmentation
{
    public Resize(int height, int width)
    {
        if (height <= 0 || width <= 0) throw new SharpSegException($"resize: [{height}, {width}] must be two positive sizes [H, W].");
        Height = height; Width = width;
    }

    public int Height { get; }
    public int Width { get; }

    public SegmentationSample Apply(SegmentationSample sample, Random rng)
    {
        Resampling.RequireSameSize(sample);
        return sample with { Image = Resampling.ResizeBilinear(sample.Image, Width, Height), Mask = Resampling.ResizeNearest(sample.Mask, Width, Height) };
    }
}
