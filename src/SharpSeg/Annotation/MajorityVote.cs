using SharpSeg.Imaging;

namespace SharpSeg.Annotation;

/// <summary>
/// Per-pixel (weighted) vote. The class with the most votes wins; its confidence is its share of the votes cast. A tie
/// between the top classes, or a pixel no annotator labelled, becomes <see cref="Tie"/> (ignore by default) with
/// confidence 0.
/// </summary>
public sealed class MajorityVote : IFusionRule
{
    readonly double[] _weights;

    /// <param name="weights">One vote weight per annotator (null: 1 each), all positive.</param>
    /// <param name="tie">What ties and unlabelled pixels become: a class index, or <see cref="LabelMask.Ignore"/>.</param>
    public MajorityVote(int annotators, int classes, IReadOnlyList<double>? weights = null, byte tie = LabelMask.Ignore)
    {
        _weights = weights?.ToArray() ?? Enumerable.Repeat(1.0, annotators).ToArray();
        if (_weights.Length != annotators) throw new SharpSegException($"--weights has {_weights.Length} values for {annotators} annotators; give one per annotator.");
        if (_weights.Any(w => !(w > 0) || double.IsInfinity(w))) throw new SharpSegException("--weights must be positive numbers, one per annotator.");
        Classes = classes; Tie = tie;
    }

    public int Classes { get; }
    public byte Tie { get; }

    public (byte Label, double Confidence) Fuse(ulong key)
    {
        Span<double> votes = stackalloc double[Classes];
        double total = 0;
        for (int j = 0; j < _weights.Length; j++)
        {
            byte l = LabelTuples.Label(key, j);
            if (l == LabelMask.Ignore) continue;
            votes[l] += _weights[j]; total += _weights[j];
        }
        if (total == 0) return (Tie, 0);
        int best = 0; bool tied = false;
        for (int k = 1; k < Classes; k++)
        {
            if (votes[k] > votes[best]) { best = k; tied = false; }
            else if (votes[k] == votes[best]) tied = true;
        }
        return tied ? (Tie, 0) : ((byte)best, votes[best] / total);
    }
}
