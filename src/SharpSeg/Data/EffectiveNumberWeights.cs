namespace SharpSeg.Data;

/// <summary>
/// Class weights from the "effective number of samples" (Cui et al. 2019, Class-Balanced Loss): a class with n samples
/// counts as <c>E_n = (1 − βⁿ) / (1 − β)</c> samples, and weighs <c>1 / E_n</c>.
/// </summary>
/// <remarks>
/// β = 0 gives equal weights and β → 1 inverse frequency. Here the samples are pixels, which are many: with β = 0.9999
/// every class with more than about 50 000 pixels has nearly the same E_n ≈ 1 / (1 − β) = 10 000, so only classes
/// rarer than that are up-weighted. Raise β towards 1 (e.g. 0.999999) to spread the weights on larger datasets.
/// </remarks>
public static class EffectiveNumberWeights
{
    /// <summary>
    /// One weight per class from its pixel count: <c>(1 − β) / (1 − β^n_c)</c>, scaled so the classes present
    /// (n_c &gt; 0) average 1; absent classes get 0.
    /// </summary>
    /// <param name="pixels">Pixels per class (ignore excluded).</param>
    /// <param name="beta">β in [0, 1).</param>
    public static double[] Compute(IReadOnlyList<long> pixels, double beta)
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
