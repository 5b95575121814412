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
public sealed class JaccardLoss : ISegmentationLoss
{
    private readonly float[]? classWeights;

    /// <param name="smooth">Additive smoothing s ≥ 0.</param>
    /// <param name="classWeights">One non-negative weight per output channel, or null.</param>
    /// <param name="ignoreIndex">Target value excluded from the loss (default 255).</param>
    /// <param name="mode">Softmax (multiclass) or a sigmoid per channel (binary / one-vs-rest).</param>
    public JaccardLoss(double smooth = 1.0, float[]? classWeights = null, long ignoreIndex = LabelMask.Ignore, LossMode mode = LossMode.Multiclass)
    {
        if (!(smooth >= 0) || double.IsInfinity(smooth)) throw new SharpSegException($"loss smoothing must be a finite number >= 0, got {smooth}.");
        this.classWeights = LossInputs.CopyWeights(classWeights);
        Smooth = smooth; IgnoreIndex = ignoreIndex; Mode = mode;
    }

    /// <summary>Smoothing s.</summary>
    public double Smooth { get; }

    /// <summary>Per-class weights (a copy), or null.</summary>
    public IReadOnlyList<float>? ClassWeights => classWeights;

    /// <summary>Target value that contributes neither loss nor gradient.</summary>
    public long IgnoreIndex { get; }

    /// <summary>Softmax or sigmoid.</summary>
    public LossMode Mode { get; }

    /// <inheritdoc />
    public Tensor Compute(Tensor logits, Tensor target)
    {
        using var scope = NewDisposeScope();
        LossInputs.CheckWeightCount(classWeights, logits.shape[1]);
        var (tp, fp, fn) = SoftOverlap.Compute(logits, target, IgnoreIndex, Mode);
        Tensor iou = SoftOverlap.Ratio(tp + Smooth, tp + fp + fn + Smooth);
        return SoftOverlap.WeightedMean(1 - iou, LossInputs.Weights(classWeights, logits)).MoveToOuterDisposeScope();
    }
}
