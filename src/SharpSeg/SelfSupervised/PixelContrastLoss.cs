using SharpSeg.Engine;
using TorchSharp;
using static TorchSharp.torch;

namespace SharpSeg.SelfSupervised;

/// <summary>
/// Pixel-level InfoNCE between the dense projections of two views (PixContrast, Xie et al. 2021, eq. 1): for a cell i of
/// one view, the positives P(i) are the cells of the other view of the same image that show the same place
/// (<see cref="PixelCorrespondence"/>), every other cell of the other views in the batch is a negative, and
/// <c>ℓ(i) = −log( Σ_{j∈P(i)} exp(cos(x_i, x'_j)/τ) / Σ_{all j} exp(cos(x_i, x'_j)/τ) )</c>, averaged over the cells that
/// have a positive, symmetrised over the two directions. Negatives from other images of the batch (DenseCL takes them
/// from a queue of other images) give the loss more to push against at CPU batch sizes.
/// </summary>
public sealed class PixelContrastLoss
{
    /// <param name="temperature">τ &gt; 0 (PixContrast uses 0.3).</param>
    public PixelContrastLoss(double temperature = 0.3)
    {
        if (!(temperature > 0) || double.IsInfinity(temperature)) throw new SharpSegException($"temperature {temperature} must be positive (e.g. 0.3).");
        Temperature = temperature;
    }

    /// <summary>τ.</summary>
    public double Temperature { get; }

    /// <summary>Also use the non-matching cells of the same image as negatives (PixContrast's original choice).</summary>
    public bool SameImageNegatives { get; init; }

    /// <summary>
    /// The loss (a scalar). <paramref name="dense1"/> <c>[N, D, h1, w1]</c> and <paramref name="dense2"/>
    /// <c>[N, D, h2, w2]</c> are the two views' dense projections (not necessarily normalised); <paramref name="positives"/>
    /// is bool <c>[N, h1·w1, h2·w2]</c> (<see cref="PixelCorrespondence.PositiveMask"/>). Zero, still attached to the
    /// graph, when no cell has a positive (views that do not overlap).
    /// </summary>
    public Tensor Compute(Tensor dense1, Tensor dense2, Tensor positives)
    {
        if (dense1.dim() != 4 || dense2.dim() != 4 || dense1.shape[0] != dense2.shape[0] || dense1.shape[1] != dense2.shape[1])
            throw new ArgumentException($"expected dense projections [N, D, h, w] of one N and D, got [{string.Join(", ", dense1.shape)}] and [{string.Join(", ", dense2.shape)}]");
        long n = dense1.shape[0], d = dense1.shape[1], p1 = dense1.shape[2] * dense1.shape[3], p2 = dense2.shape[2] * dense2.shape[3];
        if (!positives.shape.SequenceEqual(new[] { n, p1, p2 }))
            throw new ArgumentException($"positives must be [{n}, {p1}, {p2}], got [{string.Join(", ", positives.shape)}]");
        var a = nn.functional.normalize(dense1, p: 2, dim: 1).flatten(2).transpose(1, 2).reshape(n * p1, d);
        var b = nn.functional.normalize(dense2, p: 2, dim: 1).flatten(2).transpose(1, 2).reshape(n * p2, d);
        var logits = torch.mm(a, b.t()) / Temperature;                                    // [N·P1, N·P2]
        var sameImage = torch.eye(n, dtype: ScalarType.Bool, device: logits.device).reshape(n, 1, n, 1);
        var pos = positives.to(logits.device).to(ScalarType.Bool).unsqueeze(2).logical_and(sameImage).reshape(n * p1, n * p2);
        // Cells of the same image that are not positives are left out of the denominator (DenseCL draws its negatives
        // from other images): pushing apart two cells of one sky or one road would fight what segmentation needs.
        var exclude = pos.logical_not().logical_and(sameImage.expand(n, p1, n, p2).reshape(n * p1, n * p2));
        if (SameImageNegatives) exclude = torch.zeros_like(exclude);
        var forward = Directional(logits, pos, exclude);
        var backward = Directional(logits.t(), pos.t(), exclude.t());
        if (forward is null && backward is null) return logits.sum() * 0;
        if (forward is null) return backward!;
        if (backward is null) return forward;
        return (forward + backward) / 2;
    }

    /// <summary>Mean over the rows that have a positive of −log(Σ_pos exp / Σ_all exp); null when no row has one.</summary>
    static Tensor? Directional(Tensor logits, Tensor pos, Tensor exclude)
    {
        var rows = pos.any(1).nonzero().squeeze(1);
        if (rows.shape[0] == 0) return null;
        var l = logits.index_select(0, rows);
        var p = pos.index_select(0, rows);
        var positive = l.masked_fill(p.logical_not(), double.NegativeInfinity).logsumexp(1);
        var all = l.masked_fill(exclude.index_select(0, rows), double.NegativeInfinity).logsumexp(1);
        return ThreadInvariant.Mean(all - positive);
    }
}
