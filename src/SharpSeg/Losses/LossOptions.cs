using SharpSeg.Imaging;

namespace SharpSeg.Losses;

/// <summary>
/// Options for <see cref="LossFactory"/>: one record for every loss, each loss reading the options it has. Property names
/// map to the recipe's <c>loss.*</c> keys in snake_case (<c>FocalGamma</c> → <c>loss.focal_gamma</c>).
/// </summary>
public sealed record LossOptions
{
    /// <summary><c>weights</c>: one weight per term of a '+'-joined name (e.g. <c>ce+dice</c>); null = all 1.</summary>
    public double[]? Weights { get; init; }

    /// <summary><c>mode</c>: softmax (<c>multiclass</c>) or a sigmoid per channel (<c>binary</c>) for focal, Dice, Tversky and Jaccard.</summary>
    public LossMode Mode { get; init; } = LossMode.Multiclass;

    /// <summary>Target value excluded from every loss. Default 255.</summary>
    public long IgnoreIndex { get; init; } = LabelMask.Ignore;

    /// <summary><c>label_smoothing</c>: ε in [0, 1) for <c>ce</c>. Default 0.</summary>
    public double LabelSmoothing { get; init; }

    /// <summary><c>focal_gamma</c>: γ ≥ 0 for <c>focal</c>. Default 2.</summary>
    public double FocalGamma { get; init; } = 2.0;

    /// <summary><c>focal_alpha</c>: positive-class weight in [0, 1] for <c>focal</c> in binary mode; null = none. Refused in
    /// multiclass mode and when no term is <c>focal</c> (it would change nothing).</summary>
    public double? FocalAlpha { get; init; }

    /// <summary><c>dice_smooth</c>: additive smoothing for <c>dice</c>, <c>tversky</c>, <c>focal_tversky</c>, <c>jaccard</c>. Default 1.</summary>
    public double DiceSmooth { get; init; } = 1.0;

    /// <summary><c>dice_per_class</c>: per-class (macro) Dice rather than one global (micro) coefficient. Default true.</summary>
    public bool DicePerClass { get; init; } = true;

    /// <summary><c>dice_log_cosh</c>: log(cosh(Dice loss)). Default false.</summary>
    public bool DiceLogCosh { get; init; }

    /// <summary><c>tversky_alpha</c>: false-positive weight α. Default 0.3.</summary>
    public double TverskyAlpha { get; init; } = 0.3;

    /// <summary><c>tversky_beta</c>: false-negative weight β. Default 0.7.</summary>
    public double TverskyBeta { get; init; } = 0.7;

    /// <summary><c>tversky_gamma</c>: exponent on 1 − TI for <c>focal_tversky</c> (<c>tversky</c> uses 1). Default 0.75.</summary>
    public double TverskyGamma { get; init; } = 0.75;

    /// <summary><c>lovasz_per_image</c>: Lovász losses per image and averaged, instead of over the batch. Default false.</summary>
    public bool LovaszPerImage { get; init; }

    /// <summary><c>ohem_thresh</c>: probability threshold of <c>ohem</c>. Default 0.7.</summary>
    public double OhemThreshold { get; init; } = 0.7;

    /// <summary><c>ohem_min_kept</c>: least kept by <c>ohem</c>: below 1 a share of the batch's labelled pixels, 1 or more
    /// pixels per image (<see cref="OhemCrossEntropyLoss.MinKept"/>). Default 0.1.</summary>
    public double OhemMinKept { get; init; } = OhemCrossEntropyLoss.DefaultMinKept;

    /// <summary><c>boundary_weight</c>: weight of pixels near a class boundary for <c>boundary</c>. Default 3.</summary>
    public double BoundaryWeight { get; init; } = 3.0;

    /// <summary><c>boundary_width</c>: distance in pixels from a boundary that counts as near. Default 1.</summary>
    public int BoundaryWidth { get; init; } = 1;
}
