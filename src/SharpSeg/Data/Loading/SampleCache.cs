namespace SharpSeg.Data.Loading;

/// <summary>
/// The decoded samples a loader keeps with <see cref="LoaderOptions.Cache"/>, by index: each is decoded once, by
/// whichever worker needs it first, and read lock-free after that (two workers that race on one sample both decode it
/// and either result is kept: decoding is a pure function of the index).
/// </summary>
internal sealed class SampleCache(int count)
{
    readonly SegmentationSample?[] slots = new SegmentationSample?[count];

    /// <summary>Sample <paramref name="index"/>, decoded by <paramref name="decode"/> on the first call.</summary>
    public SegmentationSample GetOrAdd(int index, Func<int, SegmentationSample> decode)
    {
        var hit = Volatile.Read(ref slots[index]);
        if (hit != null) return hit;
        var sample = decode(index);
        Volatile.Write(ref slots[index], sample);
        return sample;
    }
}
