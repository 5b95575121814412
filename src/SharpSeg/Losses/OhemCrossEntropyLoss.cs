using SharpSeg.Engine;
using SharpSeg.Imaging;
using TorchSharp;
using static TorchSharp.torch;

namespace SharpSeg.Losses;

/// <summary>
/// Online hard example mining (OHEM) cross-entropy over logits <c>[N, C, H, W]</c> and class-index targets <c>[N, H, W]</c>:
/// softmax cross-entropy averaged over the hard pixels only, chosen as in MMSegmentation's <c>OHEMPixelSampler</c>.
/// </summary>
/// <remarks>
/// Without gradient, p_i = softmax probability of the target class of each non-ignored pixel; with the P probabilities
/// sorted increasingly, <c>t = max(<see cref="Threshold"/>, sorted[min(k, P − 1)])</c> and the kept pixels are those with
/// <c>p_i &lt; t</c>: every pixel less confident than the threshold, and at least about k, where k =
/// <see cref="MinKept"/>·P when MinKept is below 1 (a share of the batch's labelled pixels; default 0.1) and MinKept·N
/// otherwise (MMSegmentation's <c>min_kept</c>, a pixel count per image). A count at least as large as an image's pixels
/// keeps every pixel and makes this plain cross-entropy, which is why the default is a share: MMSegmentation's 100000
/// per 512×1024 crop is about a fifth of it, but 100000 exceeds a whole 256×256 crop. The loss is <c>Σ_kept w[y_i]·ℓ_i / Σ_kept w[y_i]</c>: the mean over kept pixels (MMSegmentation
/// divides by all pixels instead, which scales the loss down by the kept share). No pixel kept, or all ignored: 0.
/// </remarks>
public sealed class OhemCrossEntropyLoss : ISegmentationLoss
{
    private readonly float[]? classWeights;

    /// <param name="threshold">Probability threshold in (0, 1]: pixels whose target-class probability is below it are kept (0.7 in MMSegmentation configs).</param>
    /// <param name="minKept">Least kept: below 1, a share of the batch's labelled pixels (default 0.1); 1 or more, a whole
    /// number of pixels per image (MMSegmentation's <c>min_kept</c>, 100000 in its configs at 512×1024 crops); 0: none.</param>
    /// <param name="classWeights">One non-negative weight per class, or null.</param>
    /// <param name="ignoreIndex">Target value excluded from the loss (default 255).</param>
    public OhemCrossEntropyLoss(double threshold = 0.7, double minKept = DefaultMinKept, float[]? classWeights = null, long ignoreIndex = LabelMask.Ignore)
    {
        if (!(threshold > 0 && threshold <= 1)) throw new SharpSegException($"loss ohem_thresh must be a probability in (0, 1], got {threshold}.");
        if (!(minKept >= 0) || double.IsInfinity(minKept) || (minKept >= 1 && minKept != Math.Floor(minKept)))
            throw new SharpSegException($"loss ohem_min_kept must be a share below 1 (e.g. 0.1) or a whole number of pixels per image, got {minKept}.");
        this.classWeights = LossInputs.CopyWeights(classWeights);
        Threshold = threshold; MinKept = minKept; IgnoreIndex = ignoreIndex;
    }

    /// <summary>Probability threshold below which pixels are kept.</summary>
    public double Threshold { get; }

    /// <summary>Default of <see cref="MinKept"/>: a tenth of the batch's labelled pixels.</summary>
    public const double DefaultMinKept = 0.1;

    /// <summary>Least kept: a share of the batch's labelled pixels (below 1) or pixels per image (1 or more).</summary>
    public double MinKept { get; }

    /// <summary>How many of a batch's <paramref name="labelledPixels"/> (over <paramref name="images"/> images) are kept at least.</summary>
    public long MinKeptPixels(long labelledPixels, long images) =>
        MinKept < 1 ? (long)Math.Ceiling(MinKept * labelledPixels) : (long)Math.Min(MinKept * images, long.MaxValue / 2);

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
        double minThreshold = sorted[Math.Min(MinKeptPixels(count, logits.shape[0]), count - 1)].ToDouble();
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
