namespace SharpSeg.Data.Loading;

/// <summary>
/// Derives independent 32-bit seeds for <see cref="Random"/> from a tuple such as (seed, epoch, sample index), so that
/// each sample's random draws do not depend on which thread handles it or in which order.
/// </summary>
internal static class DeterministicSeed
{
    /// <summary>Mixes the parts with SplitMix64 finalisers; equal inputs give equal seeds on every platform and run.</summary>
    public static int Derive(long a, long b = 0, long c = 0, long d = 0)
    {
        ulong h = 0x9E3779B97F4A7C15UL;
        h = Mix(h ^ (ulong)a);
        h = Mix(h ^ (ulong)b);
        h = Mix(h ^ (ulong)c);
        h = Mix(h ^ (ulong)d);
        return (int)(h & 0x7FFFFFFF);
    }

    /// <summary>A <see cref="Random"/> seeded with <see cref="Derive"/>; the seeded legacy algorithm is stable across .NET versions.</summary>
    public static Random Create(long a, long b = 0, long c = 0, long d = 0) => new(Derive(a, b, c, d));

    static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
