using TorchSharp;
using static TorchSharp.torch;

namespace SharpSeg.Curation.Scoring;

/// <summary>Per-pixel uncertainty of softmax probabilities and its aggregation to one score per image.</summary>
public static class UncertaintyScorer
{
    /// <summary>The share of most uncertain pixels averaged for the <c>*_top</c> scores (<c>score --top-share</c>).</summary>
    public const double DefaultTopShare = 0.1;

    /// <summary>Per-pixel uncertainty <c>[P]</c> in [0, 1] of probabilities <c>[C, P]</c> (or <c>[C, H, W]</c>, flattened), C ≥ 2.</summary>
    public static Tensor PixelScores(Tensor probabilities, UncertaintyMeasure measure)
    {
        var p = probabilities.reshape(probabilities.shape[0], -1);
        long c = p.shape[0];
        if (c < 2) throw new ArgumentException("uncertainty needs at least 2 classes", nameof(probabilities));
        switch (measure)
        {
            case UncertaintyMeasure.Entropy:
                // 0 · ln 0 = 0: clamp inside the log only.
                return p.mul(p.clamp_min(1e-12).log()).sum(dim: 0).neg().div(Math.Log(c)).clamp(0, 1);
            case UncertaintyMeasure.Margin:
                var (top2, _) = p.topk(2, dim: 0);
                return top2[0].sub(top2[1]).neg().add(1).clamp(0, 1);
            case UncertaintyMeasure.LeastConfidence:
                return p.max(dim: 0).values.neg().add(1).mul((double)c / (c - 1)).clamp(0, 1);
            default:
                throw new ArgumentOutOfRangeException(nameof(measure));
        }
    }

    /// <summary>Mean of the largest <paramref name="topShare"/> of the pixel scores (at least one pixel); 1 gives the plain mean.</summary>
    public static double Aggregate(Tensor pixelScores, double topShare)
    {
        if (!(topShare > 0 && topShare <= 1)) throw new SharpSegException($"top share must be in (0, 1], got {topShare}.");
        long n = pixelScores.numel();
        if (n == 0) return 0;
        using var scope = NewDisposeScope();
        var flat = pixelScores.reshape(-1).to(ScalarType.Float64);
        if (topShare >= 1) return flat.mean().item<double>();
        long k = Math.Max(1, (long)Math.Round(n * topShare));
        return flat.topk((int)Math.Min(k, int.MaxValue)).values.mean().item<double>();
    }

    /// <summary>All measures, mean and top-share mean, for probabilities <c>[C, H, W]</c> or <c>[C, P]</c>.</summary>
    public static UncertaintyScores Score(Tensor probabilities, double topShare = DefaultTopShare)
    {
        using var scope = NewDisposeScope();
        double[] v = new double[6];
        int i = 0;
        foreach (var m in new[] { UncertaintyMeasure.Entropy, UncertaintyMeasure.Margin, UncertaintyMeasure.LeastConfidence })
        {
            var s = PixelScores(probabilities, m);
            v[i++] = Aggregate(s, 1);
            v[i++] = Aggregate(s, topShare);
        }
        return new UncertaintyScores(v[0], v[1], v[2], v[3], v[4], v[5]);
    }

    /// <summary>As <see cref="Score(Tensor, double)"/> for class-major probabilities (<c>c · pixels + pixel</c>) in an array.</summary>
    public static UncertaintyScores Score(float[] probabilities, int classes, double topShare = DefaultTopShare)
    {
        if (classes < 2 || probabilities.Length % classes != 0) throw new ArgumentException($"expected classes × pixels floats with classes ≥ 2", nameof(probabilities));
        using var t = torch.tensor(probabilities, new long[] { classes, probabilities.Length / classes });
        return Score(t, topShare);
    }
}
