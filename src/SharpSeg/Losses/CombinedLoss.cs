using static TorchSharp.torch;

namespace SharpSeg.Losses;

/// <summary>A weighted sum of losses, <c>L = Σ_k λ_k·L_k</c>, e.g. cross-entropy + 0.5 · Dice.</summary>
public sealed class CombinedLoss : ISegmentationLoss
{
    private readonly (ISegmentationLoss Loss, double Weight)[] terms;

    /// <param name="terms">The losses and their weights λ (finite; at least one term).</param>
    public CombinedLoss(IEnumerable<(ISegmentationLoss Loss, double Weight)> terms)
    {
        this.terms = terms.ToArray();
        if (this.terms.Length == 0) throw new SharpSegException("a combined loss needs at least one term.");
        if (this.terms.Any(t => !double.IsFinite(t.Weight)))
            throw new SharpSegException($"loss weights must be finite numbers, got [{string.Join(", ", this.terms.Select(t => t.Weight))}].");
    }

    /// <summary>The terms in order, each with its weight λ.</summary>
    public IReadOnlyList<(ISegmentationLoss Loss, double Weight)> Terms => terms;

    /// <inheritdoc />
    public Tensor Compute(Tensor logits, Tensor target)
    {
        using var scope = NewDisposeScope();
        Tensor total = terms[0].Loss.Compute(logits, target) * terms[0].Weight;
        for (int k = 1; k < terms.Length; k++) total = total + terms[k].Loss.Compute(logits, target) * terms[k].Weight;
        return total.MoveToOuterDisposeScope();
    }
}
