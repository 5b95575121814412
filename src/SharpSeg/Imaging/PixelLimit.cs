using System.Globalization;

namespace SharpSeg.Imaging;

/// <summary>
/// The largest image (width × height) any reader decodes: checked from the file's header before pixels are allocated,
/// so that a file claiming 100,000 × 100,000 pixels is one clear error instead of gigabytes allocated (or a killed
/// process). Default <see cref="DefaultMaxPixels"/> (256 megapixels: about 1 GB as 8-bit RGBA, 2 GB as the 16-bit samples
/// of an RGBA PNG). Set per run: <c>--max-pixels N</c> on the commands that read images, <c>data.max_pixels</c> in a
/// training recipe. The value flows with the execution context (threads and tasks started after it is set see it).
/// </summary>
public static class PixelLimit
{
    /// <summary>256 megapixels.</summary>
    public const long DefaultMaxPixels = 256_000_000;

    /// <summary>Where the limit can be raised, for error messages.</summary>
    public const string HowToRaise = "--max-pixels N on the command line, data.max_pixels in a training recipe";

    static readonly AsyncLocal<long?> Current = new();

    /// <summary>The limit in pixels (width × height) for this execution context.</summary>
    public static long MaxPixels
    {
        get => Current.Value ?? DefaultMaxPixels;
        set
        {
            if (value < 1) throw new SharpSegException($"the pixel limit must be at least 1, got {value}; give e.g. --max-pixels 500000000 (or 500M).");
            Current.Value = value;
        }
    }

    /// <summary>Sets the limit to <paramref name="maxPixels"/> for this execution context until the result is disposed,
    /// then restores what was there (including "not set"). For code that must not leave its own limit behind in its
    /// caller's context (a synchronous call changes the caller's <see cref="AsyncLocal{T}"/> value).</summary>
    internal static IDisposable Use(long maxPixels)
    {
        if (maxPixels < 1) throw new SharpSegException($"the pixel limit must be at least 1, got {maxPixels}; give e.g. 500000000 (500M).");
        var previous = Current.Value;
        Current.Value = maxPixels;
        return new Restore(previous);
    }

    sealed class Restore(long? previous) : IDisposable
    {
        public void Dispose() => Current.Value = previous;
    }

    /// <summary>
    /// Parses a limit as given on the command line or in a recipe: a whole number of pixels, optionally with the suffix
    /// K, M or G (10^3, 10^6, 10^9), e.g. <c>500M</c>. <paramref name="what"/> names the setting in the error.
    /// </summary>
    public static long Parse(string text, string what)
    {
        string t = text.Trim();
        long unit = 1;
        if (t.Length > 0 && char.ToUpperInvariant(t[^1]) is 'K' or 'M' or 'G')
        {
            unit = char.ToUpperInvariant(t[^1]) switch { 'K' => 1_000, 'M' => 1_000_000, _ => 1_000_000_000 };
            t = t[..^1];
        }
        if (!double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !(v * unit >= 1) || v * unit > long.MaxValue / 2)
            throw new SharpSegException($"{what} must be a positive number of pixels such as 500000000 or 500M, got '{text}'.");
        return (long)(v * unit);
    }

    /// <summary>
    /// Throws a one-line <see cref="SharpSegException"/> (a <see cref="PixelLimitException"/> when over the limit) naming <paramref name="path"/>, the size its header claims and
    /// how to raise the limit, when <paramref name="width"/> × <paramref name="height"/> exceeds <see cref="MaxPixels"/>
    /// (or is not a positive size).
    /// </summary>
    public static void Check(string path, long width, long height)
    {
        if (width < 1 || height < 1)
            throw new SharpSegException($"{path}: image header claims an empty size {width}x{height}; the file is damaged, re-export it.");
        long max = MaxPixels;
        Int128 pixels = (Int128)width * height;
        if (pixels > max)
            throw new PixelLimitException($"{path}: image header claims {width}x{height} = {Describe(pixels)} pixels, over the limit of {Describe(max)}; the file is damaged or hostile, or, if the image is real, raise the limit ({HowToRaise}) or tile it into smaller files.");
    }

    static string Describe(Int128 pixels) =>
        pixels >= 1_000_000 ? ((double)pixels / 1e6).ToString("0.#", CultureInfo.InvariantCulture) + " M" : pixels.ToString(CultureInfo.InvariantCulture);
}
