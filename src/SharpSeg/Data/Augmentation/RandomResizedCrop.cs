using SharpSeg.Data.Loading;
namespace SharpSeg.Data.Augmentation;

/// <summary>
/// torchvision's RandomResizedCrop: cuts a box covering a random share of the image area (drawn from
/// [<see cref="MinScale"/>, <see cref="MaxScale"/>]) with a random aspect ratio and resizes it to exactly
/// <see cref="Height"/> × <see cref="Width"/> (image bilinear, mask nearest). The ratio range is relative to the output's
/// own aspect (W / H), so a square output draws boxes of aspect 3/4..4/3 and a 3:4 output boxes around 3:4. Ten draws
/// are tried; if none fits, a centred box of the clamped aspect is used (as torchvision).
/// </summary>
/// <remarks>
/// The box is in continuous source pixels (<see cref="CropBox"/>), so a caller that keeps it knows exactly where each
/// output pixel came from: output pixel (u, v) samples source point (X + (u + 0.5)·Width/W, Y + (v + 0.5)·Height/H).
/// Self-supervised dense methods use this to match pixels between two views of one image.
/// </remarks>
public sealed class RandomResizedCrop : IAugmentation
{
    public RandomResizedCrop(int height, int width, double minScale = 0.08, double maxScale = 1.0, double minRatio = 3.0 / 4, double maxRatio = 4.0 / 3)
    {
        if (height <= 0 || width <= 0) throw new SharpSegException($"crop: [{height}, {width}] must be two positive sizes [H, W].");
        if (!(minScale > 0) || !(maxScale >= minScale) || maxScale > 1)
            throw new SharpSegException($"crop scale: [{minScale}, {maxScale}] must be shares of the image area in (0, 1], smallest first, e.g. [0.2, 1.0].");
        if (!(minRatio > 0) || !(maxRatio >= minRatio) || double.IsInfinity(maxRatio))
            throw new SharpSegException($"crop ratio: [{minRatio}, {maxRatio}] must be positive aspect ratios, smallest first, e.g. [0.75, 1.333].");
        Height = height; Width = width; MinScale = minScale; MaxScale = maxScale; MinRatio = minRatio; MaxRatio = maxRatio;
    }

    public int Height { get; }
    public int Width { get; }
    public double MinScale { get; }
    public double MaxScale { get; }
    public double MinRatio { get; }
    public double MaxRatio { get; }

    public SegmentationSample Apply(SegmentationSample sample, Random rng)
    {
        Resampling.RequireSameSize(sample);
        return Cut(sample, DrawBox(sample.Image.Width, sample.Image.Height, rng));
    }

    /// <summary>Draws a box (whole pixels, inside the image) for a source of <paramref name="sourceWidth"/> × <paramref name="sourceHeight"/>.</summary>
    public CropBox DrawBox(int sourceWidth, int sourceHeight, Random rng)
    {
        double area = (double)sourceWidth * sourceHeight, aspect = (double)Width / Height;
        double logMin = Math.Log(MinRatio * aspect), logMax = Math.Log(MaxRatio * aspect);
        for (int attempt = 0; attempt < 10; attempt++)
        {
            double target = area * rng.Uniform(MinScale, MaxScale);
            double ratio = Math.Exp(rng.Uniform(logMin, logMax));
            int w = (int)Math.Round(Math.Sqrt(target * ratio)), h = (int)Math.Round(Math.Sqrt(target / ratio));
            if (w > 0 && w <= sourceWidth && h > 0 && h <= sourceHeight)
            {
                int y = rng.Next(sourceHeight - h + 1), x = rng.Next(sourceWidth - w + 1);
                return new CropBox(x, y, w, h);
            }
        }
        double inRatio = (double)sourceWidth / sourceHeight, lo = MinRatio * aspect, hi = MaxRatio * aspect;
        int fw = sourceWidth, fh = sourceHeight;
        if (inRatio < lo) fh = Math.Max(1, (int)Math.Round(fw / lo));
        else if (inRatio > hi) fw = Math.Max(1, (int)Math.Round(fh * hi));
        return new CropBox((sourceWidth - fw) / 2, (sourceHeight - fh) / 2, fw, fh);
    }

    /// <summary>The sample's <paramref name="box"/> resized to <see cref="Height"/> × <see cref="Width"/> (image bilinear, mask nearest).</summary>
    public SegmentationSample Cut(SegmentationSample sample, CropBox box)
    {
        if (!(box.Width > 0 && box.Height > 0)) throw new ArgumentException($"crop box must have a positive size, got {box}", nameof(box));
        return sample with
        {
            Image = Resampling.ResizeBilinearBox(sample.Image, box, Width, Height),
            Mask = Resampling.ResizeNearestBox(sample.Mask, box, Width, Height),
        };
    }
}
