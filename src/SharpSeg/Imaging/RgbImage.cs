namespace SharpSeg.Imaging;

/// <summary>
/// A decoded 8-bit image in row-major, interleaved (HWC) layout: pixel (x, y), channel c is at
/// <c>Pixels[(y * Width + x) * Channels + c]</c>. <see cref="Channels"/> is 1 (grayscale) or 3 (RGB, in that order).
/// </summary>
public sealed class RgbImage
{
    public RgbImage(int width, int height, int channels, byte[]? pixels = null)
    {
        if (width <= 0 || height <= 0) throw new ArgumentOutOfRangeException(nameof(width), $"image size must be positive, got {width}x{height}");
        if (channels != 1 && channels != 3) throw new ArgumentOutOfRangeException(nameof(channels), "channels must be 1 or 3");
        Width = width; Height = height; Channels = channels;
        long bytes = (long)width * height * channels;
        if (bytes > Array.MaxLength)
            throw new SharpSegException($"an image of {width}x{height} with {channels} channels ({bytes / 1_000_000} MB) is larger than SharpSeg holds in one piece (2 GB); lower the scale or split the image into tiles.");
        Pixels = pixels ?? new byte[bytes];
        if (Pixels.Length != bytes) throw new ArgumentException($"pixel buffer has {Pixels.Length} bytes, expected {bytes}");
    }

    /// <summary>This image with <paramref name="channels"/> channels: itself when it has them already; RGB to gray by
    /// ITU-R BT.601 luma (as <see cref="ImageFile.Load"/> converts), gray to RGB replicated.</summary>
    public RgbImage WithChannels(int channels)
    {
        if (channels == Channels) return this;
        if (channels is not (1 or 3)) throw new ArgumentOutOfRangeException(nameof(channels), "channels must be 1 or 3");
        var result = new RgbImage(Width, Height, channels);
        var s = Pixels; var d = result.Pixels;
        if (channels == 1)
            for (int i = 0; i < d.Length; i++) d[i] = (byte)Math.Round(0.299 * s[3 * i] + 0.587 * s[3 * i + 1] + 0.114 * s[3 * i + 2]);
        else
            for (int i = 0; i < s.Length; i++) d[3 * i] = d[3 * i + 1] = d[3 * i + 2] = s[i];
        return result;
    }

    public int Width { get; }
    public int Height { get; }
    public int Channels { get; }
    public byte[] Pixels { get; }
}
