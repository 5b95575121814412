namespace SharpSeg.Curation.Scoring;

/// <summary>How uncertain one pixel's predicted class distribution is; every measure is scaled to [0, 1]
/// (0: one class has all the probability, 1: all classes equally likely / the two best tie).</summary>
public enum UncertaintyMeasure
{
    /// <summary>Shannon entropy −Σ p·ln p divided by ln C.</summary>
    Entropy,

    /// <summary>1 − (p₁ − p₂), with p₁ ≥ p₂ the two largest probabilities (margin sampling).</summary>
    Margin,

    /// <summary>(1 − p₁) · C / (C − 1), the normalised least confidence.</summary>
    LeastConfidence,
}
