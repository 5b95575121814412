using SharpSeg.Imaging;
using static TorchSharp.torch;

namespace SharpSeg.Losses;

/// <summary>
/// Soft Jaccard (soft-IoU) loss over logits <c>[N, C, H, W]</c> and class-index targets <c>[N, H, W]</c>: one minus the
/// intersection over union of predicted probabilities and one-hot targets, per class over the whole batch.
/// </summary>
/// <remarks>
/// <c>IoU_c = (TP_c + s) / (TP_c + FP_c + FN_c + s)</c> (soft counts over non-ignored pixels; union = Σp + Σg − TP) and
/// <c>L = Σ_c w_c·(1 − IoU_c) / Σ_c w_c</c> over all C classes; a class with no mass at all (s = 0) counts as IoU = 1.
/// A perfect prediction gives 0. For a loss that optimises the IoU of the hard prediction more directly, see
/// <see cref="LovaszSoftmaxLoss"/>.
/// </remarks>
public sealed class JaccardLoss : OverlapLoss
{
    /// <param name="smooth">Additive smoothing s ≥ 0.</param>
    /// <param name="classWeights">One non-negative weight per output channel, or null.</param>
    /// <param name="ignoreIndex">Target value excluded from the loss (default 255).</param>
    /// <param name="mode">Softmax (multiclass) or a sigmoid per channel (binary / one-vs-rest).</param>
    public JaccardLoss(double smooth = 1.0, float[]? classWeights = null, long ignoreIndex = LabelMask.Ignore, LossMode mode = LossMode.Multiclass)
        : base(CheckSmooth(smooth, "smoothing"), classWeights, ignoreIndex, mode)
    {
    }

    private protected override Tensor Reduce(Tensor tp, Tensor fp, Tensor fn, Tensor w) =>
        SoftOverlap.WeightedMean(1 - SoftOverlap.Ratio(tp + Smooth, tp + fp + fn + Smooth), w);
}
