namespace SharpSeg.Training;

/// <summary>
/// Learning-rate schedule as a pure function of the iteration (0-based), so that a resumed run continues exactly.
/// Kinds: <c>poly</c> (lr·(1−t/T)^power, the DeepLab/MMSeg default), <c>cosine</c> (down to <see cref="MinLr"/>),
/// <c>step</c> (×gamma every <see cref="StepSize"/> iterations), <c>constant</c>. A linear warmup from
/// <see cref="WarmupRatio"/>·lr over <see cref="WarmupIterations"/> applies to every kind.
/// </summary>
public sealed record LrSchedule(
    string Kind,
    double BaseLr,
    long TotalIterations,
    long WarmupIterations = 0,
    double WarmupRatio = 0.1,
    double Power = 0.9,
    double MinLr = 0.0,
    long StepSize = 0,
    double Gamma = 0.1)
{
    public static readonly IReadOnlyList<string> Kinds = new[] { "poly", "cosine", "step", "constant" };

    /// <summary>The learning rate to use for iteration <paramref name="iteration"/> (0-based).</summary>
    public double At(long iteration)
    {
        long total = Math.Max(1, TotalIterations);
        double t = Math.Clamp((double)iteration / total, 0, 1);
        double lr = Kind switch
        {
            "poly" => (BaseLr - MinLr) * Math.Pow(1 - t, Power) + MinLr,
            "cosine" => MinLr + (BaseLr - MinLr) * 0.5 * (1 + Math.Cos(Math.PI * t)),
            "step" => BaseLr * Math.Pow(Gamma, StepSize > 0 ? iteration / StepSize : 0),
            "constant" => BaseLr,
            _ => throw new SharpSegException($"unknown schedule '{Kind}'{Configuration.NearestName.Hint(Kind, Kinds)}."),
        };
        if (WarmupIterations > 0 && iteration < WarmupIterations)
        {
            double w = WarmupRatio + (1 - WarmupRatio) * iteration / WarmupIterations;
            lr *= w;
        }
        return lr;
    }
}
