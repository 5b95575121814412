using SharpSeg.Engine;
using static TorchSharp.torch;

namespace SharpSeg.Losses;

/// <summary>
/// The piece shared by the Lovász losses (Berman et al. 2018): the gradient of the Lovász extension of the Jaccard
/// loss with respect to errors sorted in decreasing order, as in the paper's Algorithm 1 and reference code.
/// </summary>
internal static class LovaszExtension
{
    /// <summary>
    /// For ground truth <paramref name="gtSorted"/> <c>[P]</c> (0/1, in the order of decreasing error): the increments
    /// <c>J(k) − J(k−1)</c> of the Jaccard loss of the first k pixels, J(0) = 0.
    /// </summary>
    public static Tensor Gradient(Tensor gtSorted)
    {
        Tensor gts = ThreadInvariant.Sum(gtSorted);
        Tensor intersection = gts - gtSorted.cumsum(0);
        Tensor union = gts + (1 - gtSorted).cumsum(0);
        Tensor jaccard = 1 - intersection / union;
        long p = gtSorted.shape[0];
        if (p > 1) jaccard = cat([jaccard.narrow(0, 0, 1), jaccard.narrow(0, 1, p - 1) - jaccard.narrow(0, 0, p - 1)], 0);
        return jaccard;
    }

    /// <summary><c>⟨sort(errors)↓, Gradient(gt in that order)⟩</c>, the Lovász extension at <paramref name="errors"/> <c>[P]</c>.</summary>
    public static Tensor Loss(Tensor errors, Tensor gt)
    {
        var (sorted, perm) = errors.sort(0, descending: true);
        return dot(sorted, Gradient(gt.index_select(0, perm)));
    }
}
