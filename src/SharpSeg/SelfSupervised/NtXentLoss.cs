using TorchSharp;
using static TorchSharp.torch;

namespace SharpSeg.SelfSupervised;

/// <summary>
/// SimCLR's NT-Xent (normalised temperature-scaled cross entropy; Chen et al. 2020, eq. 1). For N images with
/// projections z1 (first views) and z2 (second views), every one of the 2N projections is an anchor whose positive is
/// the other view of its image and whose negatives are the other 2N − 2 projections of the batch:
/// <c>ℓ(i) = −log( exp(sim(i, pos)/τ) / Σ_{k ≠ i} exp(sim(i, k)/τ) )</c> with cosine similarity, averaged over the 2N anchors.
/// </summary>
public sealed class NtXentLoss
{
    /// <param name="temperature">τ &gt; 0; smaller values weigh hard negatives more.</param>
    public NtXentLoss(double temperature = 0.5)
    {
        if (!(temperature > 0) || double.IsInfinity(temperature)) throw new SharpSegException($"temperature {temperature} must be positive (e.g. 0.2).");
        Temperature = temperature;
    }

    /// <summary>τ.</summary>
    public double Temperature { get; }

    /// <summary>
    /// The mean loss over the 2N anchors (a scalar). <paramref name="z1"/> and <paramref name="z2"/> are <c>[N, D]</c>
    /// projections (not necessarily normalised); row i of both comes from image i. N ≥ 1.
    /// </summary>
    public Tensor Compute(Tensor z1, Tensor z2)
    {
        if (z1.dim() != 2 || !z1.shape.SequenceEqual(z2.shape) || z1.shape[0] < 1)
            throw new ArgumentException($"expected two [N, D] projections of one shape, got [{string.Join(", ", z1.shape)}] and [{string.Join(", ", z2.shape)}]");
        long n = z1.shape[0];
        var z = nn.functional.normalize(torch.cat([z1, z2], 0), p: 2, dim: 1);
        var logits = torch.mm(z, z.t()) / Temperature;
        var self = torch.eye(2 * n, dtype: ScalarType.Bool, device: z.device);
        logits = logits.masked_fill(self, double.NegativeInfinity);
        var target = torch.cat([torch.arange(n, 2 * n, dtype: ScalarType.Int64, device: z.device), torch.arange(0, n, dtype: ScalarType.Int64, device: z.device)], 0);
        return nn.functional.cross_entropy(logits, target);
    }
}
