using SharpSeg.Imaging;
using static TorchSharp.torch;

namespace SharpSeg.Losses;

/// <summary>
/// Boundary-aware cross-entropy over logits <c>[N, C, H, W]</c> and class-index targets <c>[N, H, W]</c>: softmax
/// cross-entropy whose pixels within <see cref="Width"/> pixels of a class boundary of the target weigh
/// <see cref="BoundaryWeight"/> times as much as the others.
/// </summary>
/// <remarks>
/// A pixel is near a boundary when its (2·width + 1)² window holds at least two different (non-ignored) classes,
/// found by max-pool dilation of the one-hot target (<see cref="BoundaryMask"/>); edges against ignored pixels or the
/// image border are not boundaries. With pixel weight <c>b_i</c> (BoundaryWeight near a boundary, else 1) and class
/// weights w: <c>L = Σ_i b_i·w[y_i]·ℓ_i / Σ_i b_i·w[y_i]</c> over non-ignored pixels, so a boundary weight of 1 is exactly
/// <see cref="CrossEntropyLoss"/>. Ignored pixels contribute nothing and get zero gradient; all-ignored gives 0.
/// </remarks>
public sealed class BoundaryCrossEntropyLoss : ISegmentationLoss
{
    private readonly float[]? classWeights;

    /// <param name="boundaryWeight">Weight (≥ 0; usually &gt; 1) of pixels near a boundary; other pixels weigh 1.</param>
    /// <param name="width">Distance in pixels (Chebyshev, ≥ 1) from a boundary within which pixels are up-weighted.</param>
    /// <param name="classWeights">One non-negative weight per class, or null.</param>
    /// <param name="ignoreIndex">Target value excluded from the loss (default 255).</param>
    public BoundaryCrossEntropyLoss(double boundaryWeight = 3.0, int width = 1, float[]? classWeights = null, long ignoreIndex = LabelMask.Ignore)
    {
        if (!(boundaryWeight >= 0) || double.IsInfinity(boundaryWeight)) throw new SharpSegException($"loss boundary_weight must be a finite number >= 0, got {boundaryWeight}.");
        if (width < 1) throw new SharpSegException($"loss boundary_width must be at least 1 pixel, got {width}.");
        this.classWeights = LossInputs.CopyWeights(classWeights);
        BoundaryWeight = boundaryWeight; Width = width; IgnoreIndex = ignoreIndex;
    }

    /// <summary>Weight of pixels near a boundary (others weigh 1).</summary>
    public double BoundaryWeight { get; }

    /// <summary>Boundary half-width in pixels.</summary>
    public int Width { get; }

    /// <summary>Per-class weights (a copy), or null.</summary>
    public IReadOnlyList<float>? ClassWeights => classWeights;

    /// <summary>Target value that contributes neither loss nor gradient.</summary>
    public long IgnoreIndex { get; }

    /// <summary>
    /// Boolean <c>[N, H, W]</c>: true where the (2·<paramref name="width"/> + 1)² window around a pixel contains at least
    /// two different classes among 0..<paramref name="classes"/>−1 (ignored pixels are no class). Computed with max-pool
    /// dilation of the one-hot target, so it is cheap and runs on the target's device.
    /// </summary>
    public static Tensor BoundaryMask(Tensor target, long classes, int width, long ignoreIndex = LabelMask.Ignore)
    {
        using var scope = NewDisposeScope();
        Tensor t = target.to_type(ScalarType.Int64);
        Tensor valid = t.ne(ignoreIndex);
        Tensor oneHot = nn.functional.one_hot(t.masked_fill(valid.logical_not(), 0), classes).permute(0, 3, 1, 2).to_type(ScalarType.Float32)
            * valid.unsqueeze(1).to_type(ScalarType.Float32);
        long k = 2 * width + 1;
        Tensor dilated = nn.functional.max_pool2d(oneHot, [k, k], [1, 1], [width, width]);
        return dilated.sum(1).ge(2).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public Tensor Compute(Tensor logits, Tensor target)
    {
        using var scope = NewDisposeScope();
        var (t, valid, safe) = LossInputs.Prepare(logits, target, IgnoreIndex);
        long c = logits.shape[1];
        LossInputs.CheckWeightCount(classWeights, c);
        Tensor perPixel = nn.functional.cross_entropy(logits, t, ignore_index: IgnoreIndex, reduction: nn.Reduction.None);
        Tensor near = BoundaryMask(t, c, Width, IgnoreIndex).to_type(logits.dtype);
        Tensor pixelWeight = LossInputs.Weights(classWeights, logits).index_select(0, safe.flatten()).view_as(safe)
            * valid.to_type(logits.dtype) * (1 + (BoundaryWeight - 1) * near);
        return LossInputs.SafeDivide((perPixel * pixelWeight).sum(), pixelWeight.sum()).MoveToOuterDisposeScope();
    }
}
