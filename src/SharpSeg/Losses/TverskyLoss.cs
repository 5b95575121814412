using SharpSeg.Imaging;
using static TorchSharp.torch;

namespace SharpSeg.Losses;

/// <summary>
/// Tversky loss (Salehi et al. 2017) and focal-Tversky loss (Abraham &amp; Khan 2019) over logits <c>[N, C, H, W]</c> and
/// class-index targets <c>[N, H, W]</c>: a Dice-like overlap that weighs false positives by α and false negatives by β.
/// </summary>
/// <remarks>
/// Per class, with soft counts over the batch's non-ignored pixels, <c>TI_c = (TP_c + s) / (TP_c + α·FP_c + β·FN_c + s)</c>
/// and <c>L = Σ_c w_c·(1 − TI_c)^γ / Σ_c w_c</c>. α = β = 0.5 is Dice, α = β = 1 is soft Jaccard; β &gt; α favours
/// recall (small structures). γ = 1 is the plain Tversky loss; the focal-Tversky paper writes the exponent as 1/γ with
/// γ = 4/3, i.e. γ = 0.75 here. A class with no mass at all (s = 0) counts as TI = 1. A perfect prediction gives 0.
/// </remarks>
public sealed class TverskyLoss : OverlapLoss
{
    /// <param name="alpha">Weight α ≥ 0 of false positives.</param>
    /// <param name="beta">Weight β ≥ 0 of false negatives.</param>
    /// <param name="gamma">Exponent γ &gt; 0 on each class's <c>1 − TI</c> (1 = Tversky; 0.75 = focal-Tversky as published).</param>
    /// <param name="smooth">Additive smoothing s ≥ 0.</param>
    /// <param name="classWeights">One non-negative weight per output channel, or null.</param>
    /// <param name="ignoreIndex">Target value excluded from the loss (default 255).</param>
    /// <param name="mode">Softmax (multiclass) or a sigmoid per channel (binary / one-vs-rest).</param>
    public TverskyLoss(double alpha = 0.3, double beta = 0.7, double gamma = 1.0, double smooth = 1.0, float[]? classWeights = null,
        long ignoreIndex = LabelMask.Ignore, LossMode mode = LossMode.Multiclass)
        : base(CheckArguments(alpha, beta, gamma, smooth), classWeights, ignoreIndex, mode)
    {
        Alpha = alpha; Beta = beta; Gamma = gamma;
    }

    /// <summary>Checks α, β, γ and s, in that order, before the base constructor checks the class weights; returns s.</summary>
    static double CheckArguments(double alpha, double beta, double gamma, double smooth)
    {
        if (!(alpha >= 0) || !(beta >= 0) || double.IsInfinity(alpha) || double.IsInfinity(beta) || alpha + beta == 0)
            throw new SharpSegException($"loss tversky_alpha and tversky_beta must be finite, >= 0 and not both 0, got {alpha} and {beta}.");
        if (!(gamma > 0) || double.IsInfinity(gamma)) throw new SharpSegException($"loss tversky_gamma must be a finite number > 0, got {gamma}.");
        return CheckSmooth(smooth, "smoothing");
    }

    /// <summary>False-positive weight α.</summary>
    public double Alpha { get; }

    /// <summary>False-negative weight β.</summary>
    public double Beta { get; }

    /// <summary>Focal exponent γ (1 = plain Tversky).</summary>
    public double Gamma { get; }

    private protected override Tensor Reduce(Tensor tp, Tensor fp, Tensor fn, Tensor w)
    {
        Tensor ti = SoftOverlap.Ratio(tp + Smooth, tp + Alpha * fp + Beta * fn + Smooth);
        Tensor perClass = 1 - ti;
        if (Gamma != 1)
        {
            // Clamped so that γ < 1 keeps a finite gradient at TI = 1; exact 0 kept where TI = 1.
            Tensor positive = perClass.gt(0);
            perClass = where(positive, perClass.clamp_min(1e-12).pow(Gamma), perClass * 0);
        }
        return SoftOverlap.WeightedMean(perClass, w);
    }
}
