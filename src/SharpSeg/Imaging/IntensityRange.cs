namespace SharpSeg.Imaging;

/// <summary>
/// The raw sample values that 16-bit images (PNG, TIFF) are stretched from when they become 8-bit network input:
/// <see cref="Low"/> maps to 0, <see cref="High"/> to 255, values outside clamp. Without it a 16-bit sample v is read as
/// v × 255 / 65535, as SkiaSharp and most viewers do, which is right for images that use the full 16 bits but leaves a
/// 12-bit camera's 0..4095 with 16 gray levels. A dataset sets it with <c>image_range: [low, high]</c>; training records
/// it in the checkpoint and every inference path reads 16-bit images with it. Files with 8 or fewer bits per sample
/// (JPEG, 8-bit PNG and TIFF, palette images) are read unchanged.
/// </summary>
public sealed record IntensityRange
{
    /// <summary>A range of raw sample values; <see cref="Problem"/> says what is refused.</summary>
    public IntensityRange(int low, int high)
    {
        if (Problem(low, high) is { } problem) throw new ArgumentOutOfRangeException(nameof(low), problem);
        Low = low; High = high;
    }

    /// <summary>The raw value read as 0.</summary>
    public int Low { get; }
    /// <summary>The raw value read as 255.</summary>
    public int High { get; }

    /// <summary>Under this span of raw values (a quarter of 16 bits) a 16-bit image read at full scale keeps fewer than 64
    /// gray levels: <c>data init</c> drafts an <c>image_range</c> and <c>data check</c> warns.</summary>
    public const int NarrowSpan = 65536 / 4;

    /// <summary>What is wrong with a range, or null: 0 ≤ low &lt; high ≤ 65535.</summary>
    public static string? Problem(int low, int high) =>
        low < 0 || high > 65535 ? $"image_range values are raw 16-bit samples 0..65535, got [{low}, {high}]"
        : low >= high ? $"image_range needs low < high, got [{low}, {high}]"
        : null;

    /// <summary>Whether a recorded range (a checkpoint's or pretraining options' <c>image_range</c>: null or [low, high])
    /// is usable: null, or two values that <see cref="Problem"/> accepts.</summary>
    internal static bool IsValidStored([System.Diagnostics.CodeAnalysis.NotNullWhen(false)] int[]? stored) => stored is null || (stored.Length == 2 && Problem(stored[0], stored[1]) is null);

    /// <summary>A recorded range as a range (null stays null); check it with <see cref="IsValidStored"/> first.</summary>
    internal static IntensityRange? FromStored(int[]? stored) => stored is [var low, var high] ? new IntensityRange(low, high) : null;

    /// <summary>Whether <paramref name="path"/> may hold more than 8 bits per sample, so that its raw samples are worth
    /// reading: a PNG whose header says 16 bits, or any TIFF (its depth is known once decoded). Reads the header only.</summary>
    internal static bool MayBeDeep(string path) => PngCodec.ReadHeader(path) is { BitDepth: > 8 } || ImageFile.IsOwnFormat(path);

    /// <summary>A range written <c>LOW,HIGH</c> (a command-line option named <paramref name="what"/>); anything else is a
    /// one-line <see cref="SharpSegException"/>.</summary>
    public static IntensityRange Parse(string text, string what)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length != 2 || !int.TryParse(parts[0], System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out int low)
            || !int.TryParse(parts[1], System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out int high) || Problem(low, high) is not null)
            throw new SharpSegException($"{what} '{text}': give LOW,HIGH, raw 16-bit values with 0 <= LOW < HIGH <= 65535, e.g. 1000,4095 (the dataset's image_range).");
        return new IntensityRange(low, high);
    }

    /// <summary>The 8-bit value of raw sample <paramref name="v"/> (rounded, clamped).</summary>
    public byte Map(int v) =>
        v <= Low ? (byte)0 : v >= High ? (byte)255 : (byte)(((long)(v - Low) * 255 + (High - Low) / 2) / (High - Low));

    /// <summary>As written in dataset.yaml and messages: <c>[low, high]</c>.</summary>
    public override string ToString() => $"[{Low}, {High}]";

    /// <summary>
    /// The range a set of 16-bit images uses (<see cref="Histogram.Range"/>): the 0.01st and 99.99th percentiles of all
    /// their colour samples pooled, so that a few hot pixels do not set it. Null when no raster has more than 8 bits per
    /// sample.
    /// </summary>
    public static IntensityRange? Measure(IEnumerable<PngRaster> rasters)
    {
        var histogram = new Histogram();
        foreach (var r in rasters) histogram.Add(r);
        return histogram.Range();
    }

    /// <summary>
    /// The pooled histogram of the raw colour samples (alpha excluded) of rasters with more than 8 bits per sample;
    /// other rasters are not counted. Thread-safe.
    /// </summary>
    public sealed class Histogram
    {
        readonly long[] _counts = new long[65536];
        long _total;

        /// <summary>Rasters counted (those with more than 8 bits per sample).</summary>
        public int Images { get; private set; }

        /// <summary>Counts <paramref name="raster"/>'s samples when it has more than 8 bits per sample; returns whether it did.</summary>
        public bool Add(PngRaster raster)
        {
            ArgumentNullException.ThrowIfNull(raster);
            if (raster.BitDepth <= 8 || raster.ColorType == PngColorType.Palette) return false;
            int ch = raster.Channels, colour = raster.HasAlpha ? ch - 1 : ch;
            var local = new int[65536];
            var s = raster.Samples;
            for (int i = 0; i < s.Length; i += ch)
                for (int k = 0; k < colour; k++) local[s[i + k]]++;
            lock (_counts)
            {
                for (int v = 0; v < local.Length; v++) _counts[v] += local[v];
                _total += (long)raster.Width * raster.Height * colour;
                Images++;
            }
            return true;
        }

        /// <summary>The 0.01st and 99.99th percentiles of the samples counted, as a range; null when none were.</summary>
        public IntensityRange? Range()
        {
            lock (_counts)
            {
                if (_total == 0) return null;
                long lowCount = _total / 10000, highCount = _total - 1 - _total / 10000;
                int low = -1, high = 65535;
                long seen = 0;
                for (int v = 0; v < _counts.Length; v++)
                {
                    seen += _counts[v];
                    if (low < 0 && seen > lowCount) low = v;
                    if (seen > highCount) { high = v; break; }
                }
                if (high <= low) { if (low < 65535) high = low + 1; else low = high - 1; }
                return new IntensityRange(low, high);
            }
        }

        /// <summary>The fraction of the samples counted that lie outside <paramref name="range"/> (read as 0 or 255).</summary>
        public double FractionOutside(IntensityRange range)
        {
            ArgumentNullException.ThrowIfNull(range);
            lock (_counts)
            {
                if (_total == 0) return 0;
                long outside = 0;
                for (int v = 0; v < range.Low; v++) outside += _counts[v];
                for (int v = range.High + 1; v < _counts.Length; v++) outside += _counts[v];
                return (double)outside / _total;
            }
        }
    }

    /// <summary>The span of raw values this range stretches (High − Low).</summary>
    public int Span => High - Low;

    /// <summary>How many 8-bit gray levels the values <see cref="Low"/>..<see cref="High"/> become when read at full scale
    /// (v × 255 / 65535, rounded): what is lost without the range.</summary>
    public int LevelsAtFullScale => (int)Math.Round(High * 255.0 / 65535) - (int)Math.Round(Low * 255.0 / 65535) + 1;

    /// <summary>Whether the range is narrow enough (under <see cref="NarrowSpan"/>) that reading it at full scale loses
    /// most gray levels.</summary>
    public bool IsNarrow => Span < NarrowSpan;
}
