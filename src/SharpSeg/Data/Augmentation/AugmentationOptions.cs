namespace SharpSeg.Data.Augmentation;

/// <summary>
/// The training augmentation of a recipe. Property names map to snake_case YAML keys (<c>Scale</c> → <c>scale</c>,
/// <c>BlurSigma</c> → <c>blur_sigma</c>); every property has a default, so an empty section is valid. Sizes are pixels
/// given as [H, W]; probabilities are in [0, 1]; a zero strength disables its operation.
/// Order applied: scale → crop → hflip → vflip → rotate → colour jitter → blur → noise.
/// </summary>
public sealed record AugmentationOptions
{
    /// <summary><c>scale: [min, max]</c>: resize factor drawn uniformly per sample; [1, 1] disables. Default [0.5, 2.0].</summary>
    public double[] Scale { get; init; } = [0.5, 2.0];

    /// <summary><c>crop: [H, W]</c>: random crop to exactly this size, padding smaller samples (mask padding = ignore). Null = no crop.</summary>
    public int[]? Crop { get; init; }

    /// <summary><c>pad: zero | mean</c>: image padding value for <see cref="Crop"/>: 0, or the normalisation mean (normalises to 0).</summary>
    public string Pad { get; init; } = "zero";

    /// <summary><c>rare_crop_p</c>: probability that a crop is centred on a pixel of a <see cref="RareClasses"/> class. Default 0.</summary>
    public double RareCropP { get; init; }

    /// <summary>
    /// <c>rare_classes</c>: class indices for <see cref="RareCropP"/>. Null means "auto": the classes whose share of the
    /// labelled pixels is below <see cref="RareShare"/>, which the caller resolves from data statistics (the recipe
    /// binding does) before <see cref="AugmentationPipeline.Build"/>.
    /// </summary>
    public int[]? RareClasses { get; init; }

    /// <summary><c>rare_share</c>: for automatic rare classes, the share (0..1) of labelled pixels under which a class is rare. Default 0.01.</summary>
    public double RareShare { get; init; } = 0.01;

    /// <summary>
    /// <c>cat_max_ratio</c>: a crop where one class covers more than this share of the labelled pixels (or that holds a
    /// single class) is redrawn, up to 10 times (MMSegmentation's cat_max_ratio, usually 0.75). Default 1 = off.
    /// </summary>
    public double CatMaxRatio { get; init; } = 1.0;

    /// <summary><c>hflip</c>: probability of a left–right flip. Default 0.5.</summary>
    public double Hflip { get; init; } = 0.5;

    /// <summary><c>vflip</c>: probability of a top–bottom flip. Default 0 (wrong for scenes with a sky).</summary>
    public double Vflip { get; init; }

    /// <summary><c>rotate</c>: maximum rotation in degrees, angle drawn from [−rotate, +rotate]. Default 0.</summary>
    public double Rotate { get; init; }

    /// <summary><c>brightness</c>: factor drawn from [1 − b, 1 + b]. Default 0.</summary>
    public double Brightness { get; init; }

    /// <summary><c>contrast</c>: factor drawn from [1 − c, 1 + c]. Default 0.</summary>
    public double Contrast { get; init; }

    /// <summary><c>saturation</c>: factor drawn from [1 − s, 1 + s]. Default 0.</summary>
    public double Saturation { get; init; }

    /// <summary><c>hue</c>: shift drawn from [−h, +h] turns of the colour circle, h ≤ 0.5. Default 0.</summary>
    public double Hue { get; init; }

    /// <summary><c>blur</c>: probability of a Gaussian blur. Default 0.</summary>
    public double Blur { get; init; }

    /// <summary><c>blur_sigma: [min, max]</c>: blur sigma range in pixels. Default [0.1, 2.0].</summary>
    public double[] BlurSigma { get; init; } = [0.1, 2.0];

    /// <summary><c>noise</c>: Gaussian noise standard deviation in [0, 1] intensity units (0.03 ≈ 8 grey levels). Default 0.</summary>
    public double Noise { get; init; }

    /// <summary><c>noise_p</c>: probability of adding noise when <see cref="Noise"/> &gt; 0. Default 0.5.</summary>
    public double NoiseP { get; init; } = 0.5;

    /// <summary><c>eval_resize: [H, W]</c>: optional fixed resize for evaluation; null keeps the original size.</summary>
    public int[]? EvalResize { get; init; }

    /// <summary>No augmentation at all (scale [1, 1], no flips); crops still apply if set with <c>with { Crop = … }</c>.</summary>
    public static AugmentationOptions None { get; } = new() { Scale = [1.0, 1.0], Hflip = 0 };
}
