using SharpSeg.Engine;
using SharpSeg.Imaging;
using static TorchSharp.torch;

namespace SharpSeg.Losses;

/// <summary>
/// Pixel-wise softmax cross-entropy over logits <c>[N, C, H, W]</c> and class-index targets <c>[N, H, W]</c>, with
/// optional class weights, an ignore index and label smoothing.
/// </summary>
/// <remarks>
/// Reduction follows PyTorch's <c>mean</c> exactly: <c>Σ_i w[y_i]·ℓ_i / Σ_i w[y_i]</c> over the non-ignored pixels i,
/// i.e. with class weights the divisor is the sum of the weights of the targets, not the pixel count (so uniform
/// weights give the plain mean). With label smoothing ε, <c>ℓ_i = (1-ε)·(-log p_{y_i}) + ε/C·Σ_c -(w_c/w_{y_i})·log p_c</c>,
/// as in PyTorch. Unlike PyTorch (which returns NaN), a batch whose pixels are all ignored gives 0, still connected
/// to the logits so that <c>backward()</c> works (and yields zero gradients).
/// </remarks>
public sealed class CrossEntropyLoss : ISegmentationLoss
{
    private readonly float[]? classWeights;

    /// <param name="classWeights">One non-negative weight per class, or null for equal weights.</param>
    /// <param name="ignoreIndex">Target value excluded from the loss (default <see cref="LabelMask.Ignore"/> = 255).</param>
    /// <param name="labelSmoothing">ε in [0, 1): share of the target mass spread uniformly over all classes.</param>
    public CrossEntropyLoss(float[]? classWeights = null, long ignoreIndex = LabelMask.Ignore, double labelSmoothing = 0.0)
    {
        if (classWeights is not null && classWeights.Any(w => !(w >= 0) || float.IsInfinity(w)))
            throw new SharpSegException($"loss class weights must be finite and non-negative, got [{string.Join(", ", classWeights)}].");
        if (!(labelSmoothing >= 0 && labelSmoothing < 1))
            throw new SharpSegException($"loss label_smoothing must be in [0, 1), got {labelSmoothing}.");
        this.classWeights = classWeights?.ToArray();
        IgnoreIndex = ignoreIndex;
        LabelSmoothing = labelSmoothing;
    }

    /// <summary>Per-class weights (a copy), or null.</summary>
    public IReadOnlyList<float>? ClassWeights => classWeights;

    /// <summary>Target value that contributes neither loss nor gradient.</summary>
    public long IgnoreIndex { get; }

    /// <summary>Label-smoothing ε.</summary>
    public double LabelSmoothing { get; }

    /// <inheritdoc />
    public Tensor Compute(Tensor logits, Tensor target)
    {
        if (logits.dim() != 4) throw new ArgumentException($"logits must be [N, C, H, W], got [{string.Join(", ", logits.shape)}]", nameof(logits));
        long c = logits.shape[1];
        if (target.dim() != 3 || target.shape[0] != logits.shape[0] || target.shape[1] != logits.shape[2] || target.shape[2] != logits.shape[3])
            throw new ArgumentException($"target must be [N, H, W] = [{logits.shape[0]}, {logits.shape[2]}, {logits.shape[3]}], got [{string.Join(", ", target.shape)}]", nameof(target));
        if (classWeights is not null && classWeights.Length != c)
            throw new SharpSegException($"loss has {classWeights.Length} class weights but the model outputs {c} classes: give one weight per class.");

        using var scope = NewDisposeScope();
        Tensor t = target.dtype == ScalarType.Int64 ? target : target.to_type(ScalarType.Int64);
        Tensor? weight = classWeights is null ? null : tensor(classWeights, device: logits.device).to_type(logits.dtype);
        Tensor valid = t.ne(IgnoreIndex);
        Tensor safeTarget = t.masked_fill(valid.logical_not(), 0);
        // Checked here because libtorch reports an out-of-range target cryptically on CPU and as a device assert on CUDA.
        long maxTarget = safeTarget.max().item<long>(), minTarget = safeTarget.min().item<long>();
        if (minTarget < 0 || maxTarget >= c)
            throw new SharpSegException($"a target pixel has class {(minTarget < 0 ? minTarget : maxTarget)} but the model outputs {c} classes (0..{c - 1}, ignore {IgnoreIndex}): training gives the model one output per class of the dataset (its classes: list in dataset.yaml), so list every class there, or map the value to the ignore index.");

        // Per-pixel losses (ignored pixels are 0), then PyTorch's weighted mean with a guarded divisor.
        Tensor perPixel = nn.functional.cross_entropy(logits, t, weight: weight, ignore_index: IgnoreIndex,
            reduction: nn.Reduction.None, label_smoothing: LabelSmoothing);
        Tensor pixelWeight = weight is null
            ? valid.to_type(logits.dtype)
            : weight.index_select(0, safeTarget.flatten()).view_as(t) * valid.to_type(logits.dtype);
        Tensor denominator = ThreadInvariant.Sum(pixelWeight);
        Tensor hasMass = denominator.gt(0);
        Tensor total = ThreadInvariant.Sum(perPixel);
        Tensor loss = where(hasMass, total / where(hasMass, denominator, ones_like(denominator)), total * 0);
        return loss.MoveToOuterDisposeScope();
    }
}
