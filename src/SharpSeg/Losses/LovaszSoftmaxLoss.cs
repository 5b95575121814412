using SharpSeg.Imaging;
using TorchSharp;
using static TorchSharp.torch;

namespace SharpSeg.Losses;

/// <summary>
/// Lovász-softmax loss (Berman, Rannen Triki &amp; Blaschko 2018) over logits <c>[N, C, H, W]</c> and class-index targets
/// <c>[N, H, W]</c>: a convex surrogate, built on softmax probabilities, of 1 − IoU of each class, averaged over classes.
/// </summary>
/// <remarks>
/// For class c, with errors <c>m_i = |[y_i = c] − p_ic|</c> over the non-ignored pixels sorted decreasingly, the loss is
/// <c>Σ_k m_(k)·(J(k) − J(k−1))</c>, J(k) being the Jaccard loss when the k largest errors are mistakes (the paper's
/// Algorithm 1). Classes: only those present in the target (the reference's <c>classes='present'</c>, default) or all.
/// The mean over classes uses the class weights, <c>Σ_c w_c·L_c / Σ_c w_c</c>. Over the whole batch by default, or
/// per image and then averaged over images (an image whose pixels are all ignored then counts as 0). Good as a
/// fine-tuning loss or added to cross-entropy; on its own from scratch it trains slowly. For a single sigmoid output
/// see <see cref="LovaszHingeLoss"/>. A perfect prediction gives 0; no classes to average gives 0 with a gradient path.
/// </remarks>
public sealed class LovaszSoftmaxLoss : ISegmentationLoss
{
    private readonly float[]? classWeights;

    /// <param name="perImage">Compute per image and average, instead of over the whole batch.</param>
    /// <param name="allClasses">Average over all classes instead of the classes present in the target.</param>
    /// <param name="classWeights">One non-negative weight per class, or null.</param>
    /// <param name="ignoreIndex">Target value excluded from the loss (default 255).</param>
    public LovaszSoftmaxLoss(bool perImage = false, bool allClasses = false, float[]? classWeights = null, long ignoreIndex = LabelMask.Ignore)
    {
        this.classWeights = LossInputs.CopyWeights(classWeights);
        PerImage = perImage; AllClasses = allClasses; IgnoreIndex = ignoreIndex;
    }

    /// <summary>Per image rather than over the whole batch.</summary>
    public bool PerImage { get; }

    /// <summary>All classes rather than only those present.</summary>
    public bool AllClasses { get; }

    /// <summary>Per-class weights (a copy), or null.</summary>
    public IReadOnlyList<float>? ClassWeights => classWeights;

    /// <summary>Target value that contributes neither loss nor gradient.</summary>
    public long IgnoreIndex { get; }

    /// <inheritdoc />
    public Tensor Compute(Tensor logits, Tensor target)
    {
        using var scope = NewDisposeScope();
        var (_, valid, safe) = LossInputs.Prepare(logits, target, IgnoreIndex);
        long c = logits.shape[1];
        LossInputs.CheckWeightCount(classWeights, c);
        Tensor probs = nn.functional.softmax(logits, 1);
        Tensor loss;
        if (PerImage)
        {
            long n = logits.shape[0];
            loss = probs.sum() * 0;
            for (long i = 0; i < n; i++) loss = loss + Flat(probs[i].unsqueeze(0), safe[i].unsqueeze(0), valid[i].unsqueeze(0));
            loss = loss / n;
        }
        else loss = Flat(probs, safe, valid);
        return loss.MoveToOuterDisposeScope();
    }

    private Tensor Flat(Tensor probs, Tensor safe, Tensor valid)
    {
        long c = probs.shape[1];
        Tensor index = valid.flatten().nonzero().squeeze(1);
        Tensor p = probs.permute(0, 2, 3, 1).reshape(-1, c).index_select(0, index); // [P, C]
        Tensor labels = safe.flatten().index_select(0, index);                       // [P]
        Tensor total = probs.sum() * 0, weightSum = total.detach().clone();
        for (long k = 0; k < c; k++)
        {
            Tensor fg = labels.eq(k).to_type(probs.dtype);
            if (!AllClasses && fg.sum().ToDouble() == 0) continue;
            double w = classWeights?[k] ?? 1.0;
            if (index.shape[0] == 0) continue;
            Tensor errors = (fg - p[.., k]).abs();
            total = total + w * LovaszExtension.Loss(errors, fg);
            weightSum = weightSum + w;
        }
        return LossInputs.SafeDivide(total, weightSum);
    }
}
