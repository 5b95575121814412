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

    /// <summary>The arg-max class per pixel of class scores <paramref name="scores"/> <c>[classes, height, width]</c>
    /// (the first class wins ties).</summary>
    public static LabelMask ArgMax(float[] scores, int classes, int width, int height)
    {
        int n = width * height;
        if (scores.Length != (long)classes * n) throw new ArgumentException($"{scores.Length} scores for {classes} classes of {width}x{height}", nameof(scores));
        var labels = new byte[n];
        for (int i = 0; i < n; i++)
        {
            int best = 0; float bv = scores[i];
            for (int c = 1; c < classes; c++) { float v = scores[c * n + i]; if (v > bv) { bv = v; best = c; } }
            labels[i] = (byte)best;
        }
        return new LabelMask(width, height, labels);
    }

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
