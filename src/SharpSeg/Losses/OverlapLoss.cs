using static TorchSharp.torch;

namespace SharpSeg.Losses;

/// <summary>
/// What the overlap losses (<see cref="DiceLoss"/>, <see cref="JaccardLoss"/>, <see cref="TverskyLoss"/>) share: the
/// soft per-class counts TP, FP, FN of logits <c>[N, C, H, W]</c> against class-index targets <c>[N, H, W]</c> over the
/// batch's non-ignored pixels (<see cref="SoftOverlap"/>), reduced to a scalar by each loss's own formula, with
/// additive smoothing, optional class weights, an ignore index and softmax or sigmoid probabilities.
/// </summary>
public abstract class OverlapLoss : ISegmentationLoss
{
    private readonly float[]? classWeights;

    private protected OverlapLoss(double smooth, float[]? classWeights, long ignoreIndex, LossMode mode)
    {
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
        return Reduce(tp, fp, fn, LossInputs.Weights(classWeights, logits)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The scalar loss from the soft counts <paramref name="tp"/>, <paramref name="fp"/>, <paramref name="fn"/> and the
    /// class weights <paramref name="w"/> (ones without class weights), each <c>[C]</c>; runs in <see cref="Compute"/>'s
    /// dispose scope.
    /// </summary>
    private protected abstract Tensor Reduce(Tensor tp, Tensor fp, Tensor fn, Tensor w);

    /// <summary>Checks a smoothing argument (finite, ≥ 0) before the base constructor runs; <paramref name="option"/> names it in the error.</summary>
    private protected static double CheckSmooth(double smooth, string option) =>
        !(smooth >= 0) || double.IsInfinity(smooth) ? throw new SharpSegException($"loss {option} must be a finite number >= 0, got {smooth}.") : smooth;
}
