namespace SharpSeg.SelfSupervised;

/// <summary>
/// How one contrastive view is made from an image: random resized crop → horizontal flip → colour jitter (applied with
/// <see cref="JitterP"/>) → grayscale → Gaussian blur. Sizes are pixels [H, W]; probabilities in [0, 1]. Each method has
/// its pipeline as a preset: <see cref="SimClr"/> and <see cref="Dense"/>.
/// </summary>
public sealed record ViewAugmentationOptions
{
    /// <summary>Output size of a view [H, W], pixels. Both must be multiples of the encoder's output stride.</summary>
    public int[] Crop { get; init; } = [128, 128];

    /// <summary>Share of the image area a crop covers, drawn from [min, max].</summary>
    public double[] Scale { get; init; } = [0.2, 1.0];

    /// <summary>Aspect ratio of a crop relative to the output's, drawn log-uniformly from [min, max].</summary>
    public double[] Ratio { get; init; } = [3.0 / 4, 4.0 / 3];

    /// <summary>Probability of a left–right flip.</summary>
    public double Hflip { get; init; } = 0.5;

    /// <summary>Colour jitter: brightness factor drawn from [1 − b, 1 + b] (see <see cref="Data.Augmentation.ColorJitter"/>).</summary>
    public double Brightness { get; init; } = 0.4;

    /// <summary>Colour jitter: contrast factor drawn from [1 − c, 1 + c].</summary>
    public double Contrast { get; init; } = 0.4;

    /// <summary>Colour jitter: saturation factor drawn from [1 − s, 1 + s].</summary>
    public double Saturation { get; init; } = 0.4;

    /// <summary>Colour jitter: hue shift drawn from [−h, +h] turns of the colour circle.</summary>
    public double Hue { get; init; } = 0.1;

    /// <summary>Probability that a view is colour-jittered at all.</summary>
    public double JitterP { get; init; } = 0.8;

    /// <summary>Probability of converting a view to grayscale (RGB images).</summary>
    public double GrayscaleP { get; init; } = 0.2;

    /// <summary>Probability of a Gaussian blur.</summary>
    public double BlurP { get; init; } = 0.5;

    /// <summary>Blur sigma range [min, max] in pixels of a 224-pixel view; scaled with the view's smaller side.</summary>
    public double[] BlurSigma { get; init; } = [0.1, 2.0];

    /// <summary>
    /// SimCLR's views (Chen et al. 2020, appendix A): crops of 8–100 % of the image, flip, colour jitter 0.8·s with
    /// strength s = 0.5 on 80 % of views, grayscale 20 %, blur 50 % with sigma 0.1–2 at 224 pixels.
    /// </summary>
    public static ViewAugmentationOptions SimClr(int height, int width) => new() { Crop = [height, width], Scale = [0.08, 1.0] };

    /// <summary>
    /// The dense method's views: MoCo v2's augmentation as DenseCL uses it (crops of 20–100 %, so that two views of an
    /// image usually overlap and have pixels in common; jitter 0.4/0.4/0.4/0.1 on 80 %, grayscale 20 %, blur 50 %).
    /// </summary>
    public static ViewAugmentationOptions Dense(int height, int width) => new() { Crop = [height, width], Scale = [0.2, 1.0] };

    /// <summary>The preset of a method.</summary>
    public static ViewAugmentationOptions For(PretrainMethod method, int height, int width) =>
        method == PretrainMethod.Dense ? Dense(height, width) : SimClr(height, width);
}
