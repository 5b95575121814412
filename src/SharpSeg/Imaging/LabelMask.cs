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
        Labels = labels ?? new byte[checked(width * height)];
        if (Labels.Length != width * height) throw new ArgumentException($"label buffer has {Labels.Length} bytes, expected {width * height}");
    }

    public int Width { get; }
    public int Height { get; }
    public byte[] Labels { get; }
}
