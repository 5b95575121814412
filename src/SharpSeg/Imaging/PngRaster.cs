namespace SharpSeg.Imaging;

/// <summary>
/// The raw samples of a PNG file, exactly as stored: no gamma, no palette expansion, no scaling of 16-bit or
/// low-bit-depth values. <see cref="Samples"/> is row-major, interleaved (HWC): sample c of pixel (x, y) is at
/// <c>Samples[(y * Width + x) * Channels + c]</c>; for <see cref="PngColorType.Palette"/> a sample is the palette index.
/// </summary>
public sealed class PngRaster
{
    public PngRaster(int width, int height, PngColorType colorType, int bitDepth, ushort[] samples, IReadOnlyList<Rgb>? palette = null)
    {
        if (width <= 0 || height <= 0) throw new ArgumentOutOfRangeException(nameof(width), $"size must be positive, got {width}x{height}");
        Width = width; Height = height; ColorType = colorType; BitDepth = bitDepth;
        Channels = ChannelsOf(colorType);
        if (samples.Length != (long)width * height * Channels) throw new ArgumentException($"sample buffer has {samples.Length} values, expected {(long)width * height * Channels}");
        if (colorType == PngColorType.Palette && palette == null) throw new ArgumentException("a palette image needs a palette");
        Samples = samples; Palette = palette;
    }

    public int Width { get; }
    public int Height { get; }
    public PngColorType ColorType { get; }
    /// <summary>Bits per sample: 1, 2, 4, 8 or 16. Sample values range over 0..2^BitDepth-1.</summary>
    public int BitDepth { get; }
    /// <summary>Samples per pixel: 1 (gray, palette), 2 (gray+alpha), 3 (RGB), 4 (RGBA).</summary>
    public int Channels { get; }
    public ushort[] Samples { get; }
    /// <summary>The PLTE colours for palette images (index = sample value); null otherwise.</summary>
    public IReadOnlyList<Rgb>? Palette { get; }

    /// <summary>Whether the pixels carry an alpha sample (colour types 4 and 6).</summary>
    public bool HasAlpha => ColorType is PngColorType.GrayAlpha or PngColorType.Rgba;

    /// <summary>Whether some pixel's alpha is below opaque (an alpha channel that is opaque everywhere hides nothing).</summary>
    public bool HasTransparency
    {
        get
        {
            if (!HasAlpha) return false;
            int opaque = (1 << BitDepth) - 1;
            for (int i = Channels - 1; i < Samples.Length; i += Channels) if (Samples[i] < opaque) return true;
            return false;
        }
    }

    public static int ChannelsOf(PngColorType colorType) => colorType switch
    {
        PngColorType.Gray or PngColorType.Palette => 1,
        PngColorType.GrayAlpha => 2,
        PngColorType.Rgb => 3,
        PngColorType.Rgba => 4,
        _ => throw new ArgumentOutOfRangeException(nameof(colorType)),
    };
}
