namespace SharpSeg.Data.Loading;

/// <summary>Small draws on top of <see cref="Random"/> shared by the generator and the augmentations.</summary>
internal static class RandomDraws
{
    /// <summary>Uniform in [min, max] (returns min when the range is empty).</summary>
    public static double Uniform(this Random rng, double min, double max) => max <= min ? min : min + rng.NextDouble() * (max - min);

    /// <summary>True with probability <paramref name="p"/>; p ≤ 0 never draws, so disabled ops do not consume randomness.</summary>
    public static bool Chance(this Random rng, double p) => p > 0 && (p >= 1 || rng.NextDouble() < p);

    /// <summary>Standard normal draw (Box–Muller).</summary>
    public static double Gaussian(this Random rng)
    {
        double u1 = 1.0 - rng.NextDouble();
        double u2 = rng.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    public static byte ClampByte(double v) => v <= 0 ? (byte)0 : v >= 255 ? (byte)255 : (byte)(v + 0.5);
}
