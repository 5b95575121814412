using SharpSeg.Engine;
using SharpSeg.Imaging;
using static TorchSharp.torch;

namespace SharpSeg.Losses;

/// <summary>
/// Focal loss (Lin et al. 2017) over logits <c>[N, C, H, W]</c> and class-index targets <c>[N, H, W]</c>: cross-entropy
/// scaled by <c>(1 − p_t)^γ</c> so that pixels already classified well count less.
/// </summary>
/// <remarks>
/// <para><see cref="LossMode.Multiclass"/>: <c>ℓ_i = −(1 − p_{y_i})^γ · log p_{y_i}</c> with softmax probabilities, reduced
/// like <see cref="CrossEntropyLoss"/>: <c>Σ_i w[y_i]·ℓ_i / Σ_i w[y_i]</c> over non-ignored pixels, so γ = 0 is exactly
/// cross-entropy. The class weights play the role of the paper's per-class α; an <see cref="Alpha"/> is refused.</para>
/// <para><see cref="LossMode.Binary"/>: a sigmoid per channel, <c>ℓ_ic = −α_t·(1 − p_t)^γ · log p_t</c> with p_t = σ(x) for
/// a positive and 1 − σ(x) for a negative, α_t = α for positives and 1 − α for negatives (1 when α is null), as in
/// torchvision's <c>sigmoid_focal_loss</c>; reduced as <c>Σ_{i,c} w_c·ℓ_ic / (n_valid · Σ_c w_c)</c> (the plain mean
/// over pixels and channels without class weights). γ = 0, α = null is binary cross-entropy with logits.</para>
/// Ignored pixels contribute nothing and receive zero gradient; an all-ignored batch gives 0 with a gradient path.
/// </remarks>
public sealed class FocalLoss : ISegmentationLoss
{
    private readonly float[]? classWeights;

    /// <param name="gamma">Focusing parameter γ ≥ 0 (2 in the paper; 0 = cross-entropy).</param>
    /// <param name="alpha">Binary mode only (refused in multiclass mode): weight of positives in [0, 1] (0.25 in the paper); null = no α balancing.</param>
    /// <param name="classWeights">One non-negative weight per output channel, or null.</param>
    /// <param name="ignoreIndex">Target value excluded from the loss (default 255).</param>
    /// <param name="mode">Softmax (multiclass) or a sigmoid per channel (binary / one-vs-rest).</param>
    public FocalLoss(double gamma = 2.0, double? alpha = null, float[]? classWeights = null, long ignoreIndex = LabelMask.Ignore, LossMode mode = LossMode.Multiclass)
    {
        if (!(gamma >= 0) || double.IsInfinity(gamma)) throw new SharpSegException($"loss focal_gamma must be a finite number >= 0, got {gamma}.");
        if (alpha is { } a && !(a >= 0 && a <= 1)) throw new SharpSegException($"loss focal_alpha must be in [0, 1] or null, got {a}.");
        if (alpha != null && mode == LossMode.Multiclass)
            throw new SharpSegException("loss focal_alpha weights positives in binary mode only; in multiclass mode use class weights (loss.class_weights) instead.");
        this.classWeights = LossInputs.CopyWeights(classWeights);
        Gamma = gamma; Alpha = alpha; IgnoreIndex = ignoreIndex; Mode = mode;
    }

    /// <summary>Focusing parameter γ.</summary>
    public double Gamma { get; }

    /// <summary>Positive-class weight α (binary mode), or null.</summary>
    public double? Alpha { get; }

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
        var (_, valid, safe) = LossInputs.Prepare(logits, target, IgnoreIndex, Mode);
        long c = logits.shape[1];
        LossInputs.CheckWeightCount(classWeights, c);
        Tensor w = LossInputs.Weights(classWeights, logits);
        Tensor validF = valid.to_type(logits.dtype);
        Tensor loss;
        if (Mode == LossMode.Multiclass)
        {
            Tensor logP = nn.functional.log_softmax(logits, 1).gather(1, safe.unsqueeze(1)).squeeze(1); // [N, H, W]
            Tensor perPixel = -Modulation(logP.exp()) * logP;
            Tensor pixelWeight = w.index_select(0, safe.flatten()).view_as(safe) * validF;
            loss = LossInputs.SafeDivide(ThreadInvariant.Sum(perPixel * pixelWeight), ThreadInvariant.Sum(pixelWeight));
        }
        else
        {
            Tensor g = LossInputs.OneHot(safe, valid, c, Mode, logits.dtype); // [N, C, H, W], 0 at ignored pixels
            Tensor logPt = g * nn.functional.logsigmoid(logits) + (1 - g) * nn.functional.logsigmoid(-logits);
            Tensor perElement = -Modulation(logPt.exp()) * logPt;
            if (Alpha is { } a) perElement = perElement * (g * a + (1 - g) * (1 - a));
            Tensor elementWeight = w.view(1, c, 1, 1) * validF.unsqueeze(1);
            loss = LossInputs.SafeDivide(ThreadInvariant.Sum(perElement * elementWeight), ThreadInvariant.Sum(validF) * w.sum());
        }
        return loss.MoveToOuterDisposeScope();
    }

    // (1 − p)^γ; the base is clamped away from 0 so that γ < 1 has a finite gradient at p = 1 (the clamp changes the
    // value by at most 1e-12^γ).
    private Tensor Modulation(Tensor p) => Gamma == 0 ? ones_like(p) : (1 - p).clamp_min(1e-12).pow(Gamma);
}
