using SharpSeg.Imaging;
using SkiaSharp;

namespace SharpSeg.Reports;

/// <summary>Pictures for reports: class-colour masks with a visible ignore colour, and encoding at a display size.</summary>
static class ReportImages
{
    /// <summary>Class c gets <paramref name="colours"/>[c]; ignore (and any value outside the table) gets <paramref name="ignore"/>.</summary>
    public static RgbImage ColourMask(LabelMask mask, IReadOnlyList<Rgb> colours, Rgb ignore)
    {
        var image = new RgbImage(mask.Width, mask.Height, 3);
        var px = image.Pixels;
        for (int i = 0; i < mask.Labels.Length; i++)
        {
            int c = mask.Labels[i];
            var (r, g, b) = c < colours.Count ? colours[c] : ignore;
            px[3 * i] = r; px[3 * i + 1] = g; px[3 * i + 2] = b;
        }
        return image;
    }

    /// <summary>
    /// Encodes <paramref name="image"/> no wider than <paramref name="maxWidth"/> (aspect kept; never enlarged):
    /// <paramref name="smooth"/> resamples linearly (photos), else nearest-neighbour (masks, whose colours must stay
    /// class colours). Returns the bytes and the encoded size.
    /// </summary>
    public static (byte[] Data, int Width, int Height) Encode(RgbImage image, int maxWidth, bool smooth, bool jpeg)
    {
        using var bitmap = ToBitmap(image);
        int w = image.Width, h = image.Height;
        if (w > maxWidth) { h = Math.Max(1, (int)Math.Round(h * (double)maxWidth / w)); w = maxWidth; }
        using var surface = SKSurface.Create(new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Premul))
            ?? throw new InvalidOperationException($"cannot create a {w}x{h} drawing surface");
        using (var source = SKImage.FromBitmap(bitmap))
        {
            var sampling = smooth ? new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear) : new SKSamplingOptions(SKFilterMode.Nearest);
            surface.Canvas.DrawImage(source, new SKRect(0, 0, w, h), sampling);
        }
        using var snapshot = surface.Snapshot();
        using var data = snapshot.Encode(jpeg ? SKEncodedImageFormat.Jpeg : SKEncodedImageFormat.Png, jpeg ? 85 : 100)
            ?? throw new InvalidOperationException("image encoding failed");
        return (data.ToArray(), w, h);
    }

    internal static SKBitmap ToBitmap(RgbImage image)
    {
        var bitmap = new SKBitmap(new SKImageInfo(image.Width, image.Height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        Span<byte> dst = bitmap.GetPixelSpan();
        var src = image.Pixels;
        int n = image.Width * image.Height;
        for (int i = 0; i < n; i++)
        {
            if (image.Channels == 3) { dst[4 * i] = src[3 * i]; dst[4 * i + 1] = src[3 * i + 1]; dst[4 * i + 2] = src[3 * i + 2]; }
            else dst[4 * i] = dst[4 * i + 1] = dst[4 * i + 2] = src[i];
            dst[4 * i + 3] = 255;
        }
        return bitmap;
    }
}
