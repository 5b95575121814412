namespace SharpSeg.Imaging;

/// <summary>
/// A per-pixel class-index map (row-major, one byte per pixel). Values are class indices 0..N-1 of the dataset's
/// class table, or <see cref="Ignore"/> for pixels excluded from loss and metrics. Whatever the file's own encoding
/// (0/255, colours, a palette, a 16-bit value), it is mapped to this form once, when decoded.
/// </summary>
public sealed class LabelMask
{
    /// <summary>The internal ignore index. Datasets' own ignore values/colours are mapped to it on decode.</summary>
    public const byte Ignore = 255;

    /// <summary>At most this many classes (indices 0..254); 255 is reserved for <see cref="Ignore"/>.</summary>
    public const int MaxClasses = 255;

    public LabelMask(int width, int height, byte[]? labels = null)
    {
        if (width <= 0 || height <= 0) throw new ArgumentOutOfRangeException(nameof(width), $"mask size must be positive, got {width}x{height}");
        Width = width; Height = height;
        long pixels = (long)width * height;
        if (pixels > Array.MaxLength)
            throw new SharpSegException($"a mask of {width}x{height} ({pixels / 1_000_000} M pixels) is larger than SharpSeg holds in one piece (2 G pixels); lower the scale or split the image into tiles.");
        Labels = labels ?? new byte[pixels];
        if (Labels.Length != pixels) throw new ArgumentException($"label buffer has {Labels.Length} bytes, expected {pixels}");
    }

    public int Width { get; }
    public int Height { get; }
    public byte[] Labels { get; }
}
