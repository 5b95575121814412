using SharpSeg.Data.Augmentation;
using SharpSeg.Data.Loading;

namespace SharpSeg.SelfSupervised;

/// <summary>
/// Makes two independently augmented views of an image (<see cref="ViewAugmentationOptions"/>), from the data layer's
/// augmentations: <see cref="RandomResizedCrop"/>, <see cref="HorizontalFlip"/>, <see cref="ColorJitter"/>,
/// <see cref="RandomGrayscale"/>, <see cref="GaussianBlur"/>. It records each view's <see cref="ViewGeometry"/>.
/// All randomness comes from the <see cref="Random"/> passed in, so a view pair is a pure function of it.
/// </summary>
public sealed class TwoViewTransform
{
    readonly RandomResizedCrop crop;
    readonly double hflip;
    readonly AugmentationPipeline photometric;

    public TwoViewTransform(ViewAugmentationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Crop is not { Length: 2 }) throw new SharpSegException("view crop must be [height, width].");
        if (options.Scale is not { Length: 2 }) throw new SharpSegException("view scale must be [min, max].");
        if (options.Ratio is not { Length: 2 }) throw new SharpSegException("view ratio must be [min, max].");
        if (options.BlurSigma is not { Length: 2 }) throw new SharpSegException("view blur sigma must be [min, max].");
        Options = options;
        crop = new RandomResizedCrop(options.Crop[0], options.Crop[1], options.Scale[0], options.Scale[1], options.Ratio[0], options.Ratio[1]);
        if (!(options.Hflip >= 0 && options.Hflip <= 1)) throw new SharpSegException($"view hflip: {options.Hflip} must be a probability in [0, 1].");
        hflip = options.Hflip;
        var steps = new List<IAugmentation>();
        if (options.Brightness != 0 || options.Contrast != 0 || options.Saturation != 0 || options.Hue != 0)
            steps.Add(new RandomApply(new ColorJitter(options.Brightness, options.Contrast, options.Saturation, options.Hue), options.JitterP));
        if (options.GrayscaleP > 0) steps.Add(new RandomGrayscale(options.GrayscaleP));
        if (options.BlurP > 0)
        {
            double k = Math.Min(options.Crop[0], options.Crop[1]) / 224.0;
            double lo = Math.Max(0.1, options.BlurSigma[0] * k), hi = Math.Max(lo, options.BlurSigma[1] * k);
            steps.Add(new GaussianBlur(options.BlurP, lo, hi));
        }
        photometric = new AugmentationPipeline(steps);
    }

    public ViewAugmentationOptions Options { get; }

    /// <summary>Two views of <paramref name="source"/> (its mask is only carried along; use any mask of the image's size).</summary>
    public ViewPair Apply(SegmentationSample source, Random rng)
    {
        var (a, ga) = View(source, rng);
        var (b, gb) = View(source, rng);
        return new ViewPair(a, ga, b, gb);
    }

    (Imaging.RgbImage Image, ViewGeometry Geometry) View(SegmentationSample source, Random rng)
    {
        var box = crop.DrawBox(source.Image.Width, source.Image.Height, rng);
        var view = crop.Cut(source, box);
        bool flipped = rng.Chance(hflip);
        if (flipped) view = HorizontalFlip.Flip(view);
        view = photometric.Apply(view, rng);
        return (view.Image, new ViewGeometry(box, flipped));
    }
}
