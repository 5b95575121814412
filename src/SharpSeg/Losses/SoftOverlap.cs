using static TorchSharp.torch;

namespace SharpSeg.Losses;

/// <summary>
/// Soft true positives, false positives and false negatives per class, summed over the batch and all non-ignored
/// pixels: <c>TP_c = Σ p_c·g_c</c>, <c>FP_c = Σ p_c·(1 − g_c)</c>, <c>FN_c = Σ (1 − p_c)·g_c</c>, each <c>[C]</c>.
/// Probabilities of ignored pixels are multiplied by 0, so they get exactly zero gradient.
/// </summary>
internal static class SoftOverlap
{
    public static (Tensor Tp, Tensor Fp, Tensor Fn) Compute(Tensor logits, Tensor target, long ignoreIndex, LossMode mode)
    {
        var (_, valid, safe) = LossInputs.Prepare(logits, target, ignoreIndex, mode);
        long c = logits.shape[1];
        Tensor p = LossInputs.Probabilities(logits, mode) * valid.unsqueeze(1).to_type(logits.dtype);
        Tensor g = LossInputs.OneHot(safe, valid, c, mode, logits.dtype);
        long[] dims = [0, 2, 3];
        Tensor tp = (p * g).sum(dims);
        Tensor fp = p.sum(dims) - tp;
        Tensor fn = g.sum(dims) - tp;
        return (tp, fp, fn);
    }

    /// <summary>
    /// <c>numerator / denominator</c> elementwise, and 1 where the denominator is 0 (a class with neither target nor
    /// prediction mass, e.g. in an all-ignored batch, agrees perfectly). Stays connected to the graph either way.
    /// </summary>
    public static Tensor Ratio(Tensor numerator, Tensor denominator)
    {
        Tensor positive = denominator.gt(0);
        return where(positive, numerator / where(positive, denominator, ones_like(denominator)), numerator * 0 + 1);
    }

    /// <summary>Σ_c w_c·x_c / Σ_c w_c.</summary>
    public static Tensor WeightedMean(Tensor perClass, Tensor weights) => LossInputs.SafeDivide((perClass * weights).sum(), weights.sum());
}
