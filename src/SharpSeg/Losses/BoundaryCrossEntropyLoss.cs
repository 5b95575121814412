using SharpSeg.Engine;
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
/// found with max-pooling of the label map (<see cref="BoundaryMask"/>); edges against ignored pixels or the
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
    /// two different classes (ignored pixels are no class). Computed as "the window's largest class differs from its
    /// smallest" with two max-pools of the label map, so it costs O(N·H·W) whatever the class count, on the target's device.
    /// </summary>
    public static Tensor BoundaryMask(Tensor target, int width, long ignoreIndex = LabelMask.Ignore)
    {
        if (width < 1) throw new ArgumentOutOfRangeException(nameof(width), width, "boundary width must be at least 1 pixel");
        using var scope = NewDisposeScope();
        Tensor t = target.to_type(ScalarType.Float32).unsqueeze(1); // [N, 1, H, W]; class indices are exact in float32
        Tensor ignored = target.eq(ignoreIndex).unsqueeze(1);
        long k = 2 * width + 1;
        // Ignored pixels must win neither pool: -1 for the max, and (as -(C+…)) a value above every class for the min.
        Tensor largest = nn.functional.max_pool2d(t.masked_fill(ignored, -1), [k, k], [1, 1], [width, width]);
        Tensor smallest = -nn.functional.max_pool2d(-t.masked_fill(ignored, float.MaxValue), [k, k], [1, 1], [width, width]);
        // A window of only ignored pixels has largest −1 < smallest, so it is not a boundary.
        return largest.gt(smallest).squeeze(1).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public Tensor Compute(Tensor logits, Tensor target)
    {
        using var scope = NewDisposeScope();
        var (t, valid, safe) = LossInputs.Prepare(logits, target, IgnoreIndex);
        long c = logits.shape[1];
        LossInputs.CheckWeightCount(classWeights, c);
        Tensor perPixel = nn.functional.cross_entropy(logits, t, ignore_index: IgnoreIndex, reduction: nn.Reduction.None);
        Tensor near = BoundaryMask(t, Width, IgnoreIndex).to_type(logits.dtype);
        Tensor pixelWeight = LossInputs.Weights(classWeights, logits).index_select(0, safe.flatten()).view_as(safe)
            * valid.to_type(logits.dtype) * (1 + (BoundaryWeight - 1) * near);
        return LossInputs.SafeDivide(ThreadInvariant.Sum(perPixel * pixelWeight), ThreadInvariant.Sum(pixelWeight)).MoveToOuterDisposeScope();
    }
}
