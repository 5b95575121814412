using SkiaSharp;

namespace SharpSeg.Imaging;

/// <summary>Reads and writes image files (PNG, JPEG, BMP, WebP, … through SkiaSharp) as <see cref="RgbImage"/>.</summary>
public static class ImageFile
{
    /// <summary>
    /// Decodes an image to 8-bit RGB (channels 3; grayscale replicated) or grayscale (channels 1; RGB converted with
    /// ITU-R BT.601 luma). Alpha is dropped. A missing, undecodable or truncated file is a <see cref="SharpSegException"/>
    /// naming the file.
    /// </summary>
    public static RgbImage Load(string path, int channels = 3)
    {
        if (!File.Exists(path)) throw new SharpSegException($"{path}: image file not found.");
        using var codec = SKCodec.Create(path, out SKCodecResult createResult);
        if (codec == null) throw new SharpSegException($"{path}: cannot decode image ({createResult}); the file is corrupt or not an image format SharpSeg reads (PNG, JPEG, BMP, WebP, GIF).");
        var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var bitmap = new SKBitmap(info);
        var result = codec.GetPixels(info, bitmap.GetPixels());
        if (result == SKCodecResult.IncompleteInput || result == SKCodecResult.ErrorInInput)
            throw new SharpSegException($"{path}: image file is truncated or damaged ({result}); re-export or re-copy it.");
        if (result != SKCodecResult.Success)
            throw new SharpSegException($"{path}: cannot decode image ({result}).");
        ReadOnlySpan<byte> rgba = bitmap.GetPixelSpan();
        int n = info.Width * info.Height;
        var image = new RgbImage(info.Width, info.Height, channels);
        var px = image.Pixels;
        if (channels == 3)
        {
            for (int i = 0; i < n; i++)
            {
                px[3 * i] = rgba[4 * i];
                px[3 * i + 1] = rgba[4 * i + 1];
                px[3 * i + 2] = rgba[4 * i + 2];
            }
        }
        else
        {
            for (int i = 0; i < n; i++)
                px[i] = (byte)((299 * rgba[4 * i] + 587 * rgba[4 * i + 1] + 114 * rgba[4 * i + 2] + 500) / 1000);
        }
        return image;
    }

    /// <summary>Writes an image as PNG (RGB or 8-bit grayscale). The file is written to a temp name and renamed.</summary>
    public static void SavePng(RgbImage image, string path)
    {
        var colorType = image.Channels == 1 ? SKColorType.Gray8 : SKColorType.Rgba8888;
        var info = new SKImageInfo(image.Width, image.Height, colorType, SKAlphaType.Opaque);
        using var bitmap = new SKBitmap(info);
        Span<byte> dst = bitmap.GetPixelSpan();
        var src = image.Pixels;
        if (image.Channels == 1)
        {
            // Row stride may exceed width for Gray8.
            int stride = bitmap.RowBytes;
            for (int y = 0; y < image.Height; y++) src.AsSpan(y * image.Width, image.Width).CopyTo(dst.Slice(y * stride, image.Width));
        }
        else
        {
            int n = image.Width * image.Height;
            for (int i = 0; i < n; i++)
            {
                dst[4 * i] = src[3 * i]; dst[4 * i + 1] = src[3 * i + 1]; dst[4 * i + 2] = src[3 * i + 2]; dst[4 * i + 3] = 255;
            }
        }
        IO.AtomicFile.Write(path, stream =>
        {
            using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100) ?? throw new SharpSegException($"{path}: PNG encoding failed.");
            data.SaveTo(stream);
        });
    }

    /// <summary>Writes a class-index mask as an 8-bit grayscale PNG whose pixel values are the class indices (255 = ignore).</summary>
    public static void SaveMaskPng(LabelMask mask, string path) => SavePng(new RgbImage(mask.Width, mask.Height, 1, mask.Labels), path);

}
