namespace SharpSeg.Imaging;

/// <summary>An image whose header claims more pixels than <see cref="PixelLimit.MaxPixels"/>: refused before its pixels
/// are allocated. A <see cref="SharpSegException"/> (one line naming the image and how to raise the limit) of its own
/// type, so that a server can answer 413 rather than 400.</summary>
public sealed class PixelLimitException(string message) : SharpSegException(message);
