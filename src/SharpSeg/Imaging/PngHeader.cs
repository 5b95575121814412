namespace SharpSeg.Imaging;

/// <summary>The IHDR fields of a PNG file: size in pixels, colour type, bits per sample, and whether it is Adam7-interlaced.</summary>
public sealed record PngHeader(int Width, int Height, PngColorType ColorType, int BitDepth, bool Interlaced)
{
    /// <summary>Whether the pixels carry an alpha sample (colour types 4 and 6).</summary>
    public bool HasAlpha => ColorType is PngColorType.GrayAlpha or PngColorType.Rgba;
}
