using SharpSeg.Engine;
using SharpSeg.Imaging;
using TorchSharp;
using static TorchSharp.torch;
using SharpSeg.Data.Checks;

namespace SharpSeg.Losses;

/// <summary>
/// Online hard example mining (OHEM) cross-entropy over logits <c>[N, C, H, W]</c> and class-index targets <c>[N, H, W]</c>:
/// softmax cross-entropy averaged over the hard pixels only, chosen as in MMSegmentation's <c>OHEMPixelSampler</c>.
/// </summary>
/// <remarks>
/// Without gradient, p_i = softmax probability of the target class of each non-ignored pixel; with the P probabilities
/// sorted increasingly, <c>t = max(<see cref="Threshold"/>, sorted[min(<see cref="MinKept"/>·N, P − 1)])</c> and the kept
/// pixels are those with <c>p_i &lt; t</c>: every pixel less confident than the threshold, and at least about
/// MinKept per image. The loss is <c>Σ_kept w[y_i]·ℓ_i / Σ_kept w[y_i]</c>: the mean over kept pixels (MMSegmentation
/// divides by all pixels instead, which scales the loss down by the kept share). No pixel kept, or all ignored: 0.
/// </remarks>
public sealed class OhemCrossEntropyLoss : ISegmentationLoss
{
    private readonly float[]? classWeights;

    /// <param name="threshold">Probability threshold in (0, 1]: pixels whose target-class probability is below it are kept (0.7 in MMSegmentation configs).</param>
    /// <param name="minKept">Minimum pixels kept per image (MMSegmentation's <c>min_kept</c>, 100000 in its configs).</param>
    /// <param name="classWeights">One non-negative weight per class, or null.</param>
    /// <param name="ignoreIndex">Target value excluded from the loss (default 255).</param>
    public OhemCrossEntropyLoss(double threshold = 0.7, long minKept = 100_000, float[]? classWeights = null, long ignoreIndex = LabelMask.Ignore)
    {
        if (!(threshold > 0 && threshold <= 1)) throw new SharpSegException($"loss ohem_thresh must be a probability in (0, 1], got {threshold}.");
        if (minKept < 0) throw new SharpSegException($"loss ohem_min_kept must be >= 0, got {minKept}.");
        this.classWeights = LossInputs.CopyWeights(classWeights);
        Threshold = threshold; MinKept = minKept; IgnoreIndex = ignoreIndex;
    }

    /// <summary>Probability threshold below which pixels are kept.</summary>
    public double Threshold { get; }

    /// <summary>Minimum pixels kept per image.</summary>
    public long MinKept { get; }

    /// <summary>Per-class weights (a copy), or null.</summary>
    public IReadOnlyList<float>? ClassWeights => classWeights;

    /// <summary>Target value that contributes neither loss nor gradient.</summary>
    public long IgnoreIndex { get; }

    /// <summary>Boolean <c>[N, H, W]</c>: the pixels the loss keeps for these logits and targets (computed without gradient).</summary>
    public Tensor KeptPixels(Tensor logits, Tensor target)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (_, valid, safe) = LossInputs.Prepare(logits, target, IgnoreIndex);
        Tensor p = nn.functional.softmax(logits.detach(), 1).gather(1, safe.unsqueeze(1)).squeeze(1);
        Tensor validP = p.masked_select(valid);
        long count = validP.shape[0];
        if (count == 0) return valid.MoveToOuterDisposeScope();
        Tensor sorted = validP.sort().Values;
        double minThreshold = sorted[Math.Min(MinKept * logits.shape[0], count - 1)].ToDouble();
        double threshold = Math.Max(minThreshold, Threshold);
        return (p.lt(threshold) & valid).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public Tensor Compute(Tensor logits, Tensor target)
    {
        using var scope = NewDisposeScope();
        var (t, _, safe) = LossInputs.Prepare(logits, target, IgnoreIndex);
        LossInputs.CheckWeightCount(classWeights, logits.shape[1]);
        Tensor kept = KeptPixels(logits, t);
        Tensor perPixel = nn.functional.cross_entropy(logits, t, ignore_index: IgnoreIndex, reduction: nn.Reduction.None);
        Tensor pixelWeight = LossInputs.Weights(classWeights, logits).index_select(0, safe.flatten()).view_as(safe) * kept.to_type(logits.dtype);
        return LossInputs.SafeDivide(ThreadInvariant.Sum(perPixel * pixelWeight), ThreadInvariant.Sum(pixelWeight)).MoveToOuterDisposeScope();
    }
}
