using SharpSeg.Imaging;
using static TorchSharp.torch;

namespace SharpSeg.Losses;

/// <summary>
/// Lovász hinge loss (Berman et al. 2018) for binary segmentation: logits <c>[N, 1, H, W]</c> with 0/1 targets
/// <c>[N, H, W]</c>, or logits <c>[N, C, H, W]</c> with class-index targets treated as C one-vs-rest problems.
/// </summary>
/// <remarks>
/// With signs <c>s_i = 2·g_i − 1</c> and hinge errors <c>m_i = 1 − x_i·s_i</c> (x the logit) over non-ignored pixels, sorted
/// decreasingly: <c>L = Σ_k max(m_(k), 0)·(J(k) − J(k−1))</c>, the Lovász extension of the foreground Jaccard loss.
/// With C &gt; 1 channels, the mean over channels (weighted by the class weights). Over the whole batch by default, or
/// per image and averaged (the reference code's default is per image). Logits beyond ±1 on the correct side give 0.
/// </remarks>
public sealed class LovaszHingeLoss : ISegmentationLoss
{
    private readonly float[]? classWeights;

    /// <param name="perImage">Compute per image and average, instead of over the whole batch.</param>
    /// <param name="classWeights">One non-negative weight per output channel (C &gt; 1), or null.</param>
    /// <param name="ignoreIndex">Target value excluded from the loss (default 255).</param>
    public LovaszHingeLoss(bool perImage = false, float[]? classWeights = null, long ignoreIndex = LabelMask.Ignore)
    {
        this.classWeights = LossInputs.CopyWeights(classWeights);
        PerImage = perImage; IgnoreIndex = ignoreIndex;
    }

    /// <summary>Per image rather than over the whole batch.</summary>
    public bool PerImage { get; }

    /// <summary>Per-channel weights (a copy), or null.</summary>
    public IReadOnlyList<float>? ClassWeights => classWeights;

    /// <summary>Target value that contributes neither loss nor gradient.</summary>
    public long IgnoreIndex { get; }

    /// <inheritdoc />
    public Tensor Compute(Tensor logits, Tensor target)
    {
        using var scope = NewDisposeScope();
        var (_, valid, safe) = LossInputs.Prepare(logits, target, IgnoreIndex, LossMode.Binary);
        long c = logits.shape[1];
        LossInputs.CheckWeightCount(classWeights, c);
        Tensor g = LossInputs.OneHot(safe, valid, c, LossMode.Binary, logits.dtype); // [N, C, H, W]
        Tensor total = logits.sum() * 0, weightSum = total.detach().clone();
        for (long k = 0; k < c; k++)
        {
            double w = classWeights?[k] ?? 1.0;
            Tensor x = logits[.., k], gk = g[.., k];
            Tensor channel;
            if (PerImage)
            {
                long n = logits.shape[0];
                channel = x.sum() * 0;
                for (long i = 0; i < n; i++) channel = channel + Flat(x[i], gk[i], valid[i]);
                channel = channel / n;
            }
            else channel = Flat(x, gk, valid);
            total = total + w * channel;
            weightSum = weightSum + w;
        }
        return LossInputs.SafeDivide(total, weightSum).MoveToOuterDisposeScope();
    }

    private static Tensor Flat(Tensor x, Tensor g, Tensor valid)
    {
        Tensor index = valid.flatten().nonzero().squeeze(1);
        if (index.shape[0] == 0) return x.sum() * 0;
        Tensor xs = x.flatten().index_select(0, index), gs = g.flatten().index_select(0, index);
        Tensor errors = 1 - xs * (2 * gs - 1);
        return LovaszExtension.Loss(errors, gs, e => nn.functional.relu(e));
    }
}
