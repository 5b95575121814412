namespace SharpSeg.Data.Checks;

/// <summary>
/// Per-class loss weights from a split's pixel statistics, the one place they are computed (<c>loss.class_weights</c>
/// in a recipe, the weight columns of <c>data stats</c> and the dataset report): inverse frequency, SegNet's median
/// frequency balancing, and the effective number of samples. Every kind gives 0 to a class absent from the split and
/// scales the others so that they average 1 (median frequency: the median class weighs 1).
/// </summary>
/// <remarks>
/// Effective number (Cui et al. 2019, Class-Balanced Loss): a class with n samples counts as <c>E_n = (1 − βⁿ) / (1 − β)</c>
/// samples and weighs <c>1 / E_n</c>. β = 0 gives equal weights and β → 1 inverse frequency. Here the samples are pixels,
/// which are many: with β = 0.9999 every class with more than about 50 000 pixels has nearly the same E_n ≈ 1 / (1 − β)
/// = 10 000, so only classes rarer than that are up-weighted. Raise β towards 1 (e.g. 0.999999) to spread the weights on
/// larger datasets.
/// </remarks>
public static class ClassWeights
{
    /// <summary>The kinds a recipe's <c>loss.class_weights</c> may name (besides an explicit list).</summary>
    public static IReadOnlyList<string> Kinds { get; } = ["none", "inverse", "median", "effective"];

    /// <summary>Weights of kind <paramref name="kind"/> (inverse, median or effective) for a split's statistics, each
    /// lowered to <paramref name="max"/> where given (<c>loss.class_weight_max</c>; the others are left as they are).</summary>
    public static float[] For(string kind, SplitStats stats, double effectiveBeta, double? max = null)
    {
        var weights = kind switch
        {
            "inverse" => stats.Classes.Select(c => c.InverseFrequencyWeight).ToArray(),
            "median" => stats.Classes.Select(c => c.MedianFrequencyWeight).ToArray(),
            "effective" => EffectiveNumber(stats.Classes.Select(c => c.Pixels).ToArray(), effectiveBeta),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "inverse, median or effective"),
        };
        return weights.Select(w => (float)(max is { } m ? Math.Min(w, m) : w)).ToArray();
    }

    /// <summary>Inverse frequency: labelled pixels / pixels of c, scaled so the classes present average 1.</summary>
    /// <param name="pixels">Pixels per class.</param>
    /// <param name="labelled">All labelled (not ignored) pixels of the split.</param>
    public static double[] InverseFrequency(IReadOnlyList<long> pixels, long labelled)
    {
        var weights = new double[pixels.Count];
        var present = Present(pixels);
        if (present.Length == 0) return weights;
        foreach (var c in present) weights[c] = labelled / (double)pixels[c];
        double mean = present.Average(c => weights[c]);
        foreach (var c in present) weights[c] /= mean;
        return weights;
    }

    /// <summary>SegNet's median-frequency balancing: median(freq) / freq(c), where freq(c) = pixels of c / pixels of the
    /// images in which c is present.</summary>
    /// <param name="pixels">Pixels per class.</param>
    /// <param name="pixelsOfImagesPresent">Per class, all pixels of the images that hold the class.</param>
    public static double[] MedianFrequency(IReadOnlyList<long> pixels, IReadOnlyList<long> pixelsOfImagesPresent)
    {
        var weights = new double[pixels.Count];
        var present = Present(pixels);
        if (present.Length == 0) return weights;
        var freq = new double[pixels.Count];
        foreach (var c in present) freq[c] = pixels[c] / (double)pixelsOfImagesPresent[c];
        var sorted = present.Select(c => freq[c]).OrderBy(f => f).ToArray();
        double med = sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
        foreach (var c in present) weights[c] = med / freq[c];
        return weights;
    }

    static int[] Present(IReadOnlyList<long> pixels) => Enumerable.Range(0, pixels.Count).Where(c => pixels[c] > 0).ToArray();

    /// <summary>
    /// One weight per class from its pixel count: <c>(1 − β) / (1 − β^n_c)</c>, scaled so the classes present
    /// (n_c &gt; 0) average 1; absent classes get 0.
    /// </summary>
    /// <param name="pixels">Pixels per class (ignore excluded).</param>
    /// <param name="beta">β in [0, 1).</param>
    public static double[] EffectiveNumber(IReadOnlyList<long> pixels, double beta)
    {
        if (!(beta >= 0 && beta < 1)) throw new SharpSegException($"loss.effective_beta must be in [0, 1), e.g. 0.9999, got {beta}.");
        var weights = new double[pixels.Count];
        var present = Enumerable.Range(0, pixels.Count).Where(c => pixels[c] > 0).ToArray();
        if (present.Length == 0) return weights;
        // 1 − β^n computed as −expm1(n·ln β) keeps precision when β^n is close to 1.
        foreach (int c in present)
            weights[c] = beta == 0 ? 1 : (1 - beta) / -ExpM1(pixels[c] * Math.Log(beta));
        double mean = present.Average(c => weights[c]);
        foreach (int c in present) weights[c] /= mean;
        return weights;
    }

    private static double ExpM1(double x) => Math.Abs(x) < 1e-5 ? x + x * x / 2 + x * x * x / 6 : Math.Exp(x) - 1;
}
