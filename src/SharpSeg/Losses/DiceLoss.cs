using SharpSeg.Imaging;
using static TorchSharp.torch;

namespace SharpSeg.Losses;

/// <summary>
/// Soft Dice loss (Milletari et al. 2016) over logits <c>[N, C, H, W]</c> and class-index targets <c>[N, H, W]</c>:
/// one minus the Dice coefficient between predicted probabilities and one-hot targets, summed over the whole batch.
/// </summary>
/// <remarks>
/// With soft counts over non-ignored pixels (see <c>TP, FP, FN</c> per class c), the per-class coefficient is
/// <c>D_c = (2·TP_c + s) / (2·TP_c + FP_c + FN_c + s)</c>, where <c>2·TP + FP + FN = Σp_c + Σg_c</c>.
/// <list type="bullet">
/// <item>per class (default): <c>L = Σ_c w_c·(1 − D_c) / Σ_c w_c</c> over all C classes (a class absent from the target
/// is rewarded for predicting none of it; with s = 0 and no mass at all it counts as D = 1);</item>
/// <item>global (micro): <c>L = 1 − (Σ_c w_c·2·TP_c + s) / (Σ_c w_c·(2·TP_c + FP_c + FN_c) + s)</c>;</item>
/// <item>log-cosh (Jadon 2020): <c>log(cosh(L))</c>, smoother near 0.</item>
/// </list>
/// A perfect prediction gives 0; ignored pixels contribute nothing and get zero gradient; an all-ignored batch gives 0.
/// </remarks>
public sealed class DiceLoss : OverlapLoss
{
    /// <param name="smooth">Additive smoothing s ≥ 0 in numerator and denominator (1 is common).</param>
    /// <param name="perClass">True: mean of per-class losses; false: one global (micro) coefficient.</param>
    /// <param name="logCosh">Return <c>log(cosh(L))</c> instead of L.</param>
    /// <param name="classWeights">One non-negative weight per output channel, or null.</param>
    /// <param name="ignoreIndex">Target value excluded from the loss (default 255).</param>
    /// <param name="mode">Softmax (multiclass) or a sigmoid per channel (binary / one-vs-rest).</param>
    public DiceLoss(double smooth = 1.0, bool perClass = true, bool logCosh = false, float[]? classWeights = null,
        long ignoreIndex = LabelMask.Ignore, LossMode mode = LossMode.Multiclass)
        : base(CheckSmooth(smooth, "dice_smooth"), classWeights, ignoreIndex, mode)
    {
        PerClass = perClass; LogCosh = logCosh;
    }

    /// <summary>Per-class (macro) rather than global (micro) Dice.</summary>
    public bool PerClass { get; }

    /// <summary>Whether the loss is passed through log(cosh(·)).</summary>
    public bool LogCosh { get; }

    private protected override Tensor Reduce(Tensor tp, Tensor fp, Tensor fn, Tensor w)
    {
        Tensor loss;
        if (PerClass)
        {
            Tensor dice = SoftOverlap.Ratio(2 * tp + Smooth, 2 * tp + fp + fn + Smooth);
            loss = SoftOverlap.WeightedMean(1 - dice, w);
        }
        else
        {
            loss = 1 - SoftOverlap.Ratio((2 * tp * w).sum() + Smooth, ((2 * tp + fp + fn) * w).sum() + Smooth);
        }
        if (LogCosh) loss = loss.cosh().log();
        return loss;
    }
}
