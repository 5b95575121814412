using SkiaSharp;

namespace SharpSeg.Imaging;

/// <summary>Reads and writes image files (PNG, JPEG, BMP, WebP, GIF through SkiaSharp; TIFF through <see cref="TiffCodec"/>)
/// as <see cref="RgbImage"/>.</summary>
public static class ImageFile
{
    /// <summary>
    /// Decodes an image to 8-bit RGB (channels 3; grayscale replicated) or grayscale (channels 1; RGB converted with
    /// ITU-R BT.601 luma), turned as its EXIF orientation says (<see cref="Orient"/>). Alpha is dropped. A missing, undecodable, truncated or damaged file (for PNG: any chunk whose
    /// CRC does not match, a missing IEND) and one whose header claims more pixels than <see cref="PixelLimit"/> are a
    /// <see cref="SharpSegException"/> naming the file; the limit is checked before pixels are allocated.
    /// </summary>
    /// <param name="path">The image file.</param>
    /// <param name="channels">3 for RGB, 1 for gray.</param>
    /// <param name="range">Stretches the samples of a 16-bit PNG or TIFF from this range (a dataset's or a checkpoint's
    /// <c>image_range</c>) instead of the full 16 bits; null reads them at full scale. Files with 8 or fewer bits per
    /// sample are read unchanged.</param>
    public static RgbImage Load(string path, int channels = 3, IntensityRange? range = null)
    {
        if (DecodeOwnFormat(path, Head(path), intensities: true) is { } raster) return FromRaster(raster, channels, range);
        if (range != null && PngCodec.ReadHeader(path) is { BitDepth: > 8 }) return FromRaster(PngCodec.Decode(path), channels, range);
        using var codec = OpenCodec(path);
        return Decode(codec, path, channels);
    }

    /// <summary>
    /// The raw samples of a PNG, TIFF or .npy file (exact 16-bit values, palette indices: what masks need), or null for
    /// the formats SkiaSharp decodes to 8-bit colour (JPEG, BMP, WebP, GIF). Damaged files and the
    /// <see cref="PixelLimit"/> are errors as in <see cref="Load"/>. A float .npy array of only 0.0 and 1.0 reads as the
    /// values 0 and 1 (class values).
    /// </summary>
    public static PngRaster? ReadRaw(string path) => ReadRaw(path, intensities: false);

    /// <summary><see cref="ReadRaw(string)"/>, where <paramref name="intensities"/> says the file holds intensities (an
    /// image, a mask read by brightness or colour), not class values: a float .npy array within [0, 1] is then 0..255
    /// even when its values are all 0.0 and 1.0 (<see cref="NpyCodec.Decode(byte[], string, bool)"/>).</summary>
    internal static PngRaster? ReadRaw(string path, bool intensities)
    {
        var head = Head(path);
        return PngCodec.IsPng(head) ? PngCodec.Decode(path) : DecodeOwnFormat(path, head, intensities);
    }

    /// <summary>The first bytes of a file (up to 8; fewer for a short file, none for one that cannot be read): enough to
    /// tell PNG, TIFF and .npy apart with one open.</summary>
    internal static byte[] Head(string path)
    {
        try
        {
            using var f = File.OpenRead(path);
            var head = new byte[8];
            return head[..f.ReadAtLeast(head, head.Length, throwOnEndOfStream: false)];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return []; }
    }

    /// <summary>Whether the file is named as a JPEG (.jpg, .jpeg): lossy, so its pixel values near edges are not the ones saved.</summary>
    internal static bool IsJpeg(string path) => Path.GetExtension(path).ToLowerInvariant() is ".jpg" or ".jpeg";

    /// <summary>Whether the file is TIFF or NumPy .npy: read by SharpSeg's own decoders as raw samples (possibly deeper
    /// than 8 bits, never EXIF-turned), not by SkiaSharp.</summary>
    internal static bool IsOwnFormat(string path)
    {
        var head = Head(path);
        return TiffCodec.IsTiff(head) || NpyCodec.IsNpy(head);
    }

    /// <summary>The raw samples of a TIFF or .npy file (its leading bytes <paramref name="head"/>), null for other formats.</summary>
    static PngRaster? DecodeOwnFormat(string path, ReadOnlySpan<byte> head, bool intensities) =>
        TiffCodec.IsTiff(head) ? TiffCodec.Decode(path) : NpyCodec.IsNpy(head) ? NpyCodec.Decode(path, intensities) : null;

    /// <summary>Width and height from the file's header, without decoding pixels.</summary>
    public static (int Width, int Height) ReadSize(string path)
    {
        var head = Head(path);
        if (PngCodec.IsPng(head) && PngCodec.ReadHeader(path) is { } h) return (h.Width, h.Height);
        if (TiffCodec.IsTiff(head)) return TiffCodec.ReadSize(path);
        if (NpyCodec.IsNpy(head)) return NpyCodec.ReadSize(path);
        using var codec = OpenCodec(path);
        return (int)codec.EncodedOrigin >= 5 ? (codec.Info.Height, codec.Info.Width) : (codec.Info.Width, codec.Info.Height);
    }

    /// <summary>
    /// Raw samples as 8-bit RGB or gray, the way SkiaSharp reads a PNG: 16-bit values scaled to 0..255 (rounded), or
    /// stretched from <paramref name="range"/> when given; gray below 8 bits stretched to 0..255, palette indices looked
    /// up, alpha dropped.
    /// </summary>
    internal static RgbImage FromRaster(PngRaster raster, int channels = 3, IntensityRange? range = null)
    {
        ArgumentNullException.ThrowIfNull(raster);
        int n = raster.Width * raster.Height, ch = raster.Channels;
        var s = raster.Samples;
        int max = (1 << raster.BitDepth) - 1;
        if (raster.BitDepth <= 8) range = null;
        var rgb = new byte[3 * n];
        if (raster.ColorType == PngColorType.Palette)
        {
            var pal = raster.Palette!;
            for (int i = 0; i < n; i++)
            {
                var c = s[i] < pal.Count ? pal[s[i]] : default;
                rgb[3 * i] = c.R; rgb[3 * i + 1] = c.G; rgb[3 * i + 2] = c.B;
            }
        }
        else
        {
            bool gray = raster.ColorType is PngColorType.Gray or PngColorType.GrayAlpha;
            for (int i = 0; i < n; i++)
                for (int k = 0; k < 3; k++)
                {
                    int v = s[ch * i + (gray ? 0 : k)];
                    rgb[3 * i + k] = range != null ? range.Map(v) : (byte)((v * 255 + max / 2) / max);
                }
        }
        var image = new RgbImage(raster.Width, raster.Height, channels);
        var px = image.Pixels;
        if (channels == 3) rgb.CopyTo(px, 0);
        else
            for (int i = 0; i < n; i++)
                px[i] = (byte)((299 * rgb[3 * i] + 587 * rgb[3 * i + 1] + 114 * rgb[3 * i + 2] + 500) / 1000);
        return image;
    }

    /// <summary>
    /// Decodes an encoded image held in memory (the bytes of a PNG, JPEG, BMP, WebP, GIF or TIFF file) exactly as
    /// <see cref="Load"/> decodes a file, with the same checks (PNG structure and CRCs, the <see cref="PixelLimit"/>
    /// before pixels are allocated). <paramref name="name"/> names the image in error messages (a file name, "upload").
    /// </summary>
    public static RgbImage Decode(byte[] data, string name, int channels = 3, IntensityRange? range = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.Length == 0) throw new SharpSegException($"{name}: the image is empty (0 bytes); send the bytes of a PNG, JPEG, BMP, WebP, GIF or TIFF file.");
        if (TiffCodec.IsTiff(data)) return FromRaster(TiffCodec.Decode(data, name), channels, range);
        if (NpyCodec.IsNpy(data)) return FromRaster(NpyCodec.Decode(data, name, intensities: true), channels, range);
        if (PngCodec.IsPng(data)) PngCodec.Verify(data, name);
        if (range != null && PngCodec.IsPng(data) && data.Length > 24 && data[24] == 16) return FromRaster(PngCodec.Decode(data, name), channels, range);
        using var skData = SKData.CreateCopy(data);
        using var codec = SKCodec.Create(skData)
            ?? throw new SharpSegException($"{name}: cannot decode image; the data is corrupt or not an image format SharpSeg reads (PNG, JPEG, BMP, WebP, GIF, TIFF, NumPy .npy).");
        PixelLimit.Check(name, codec.Info.Width, codec.Info.Height);
        return Decode(codec, name, channels);
    }

    /// <summary>The pixels of an opened, checked decoder as 8-bit RGB or grayscale (see <see cref="Load"/>).</summary>
    static RgbImage Decode(SKCodec codec, string path, int channels)
    {
        var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var bitmap = new SKBitmap();
        if (!bitmap.TryAllocPixels(info))
            throw new SharpSegException($"{path}: not enough memory to decode a {info.Width}x{info.Height} image; lower the pixel limit ({PixelLimit.HowToRaise}) to refuse such files, or tile the image.");
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
        return Orient(image, codec.EncodedOrigin);
    }

    /// <summary>
    /// The EXIF orientation a file records (JPEG, WebP), read from its header only; <see cref="SKEncodedOrigin.TopLeft"/>
    /// (shown as stored) for PNG and TIFF, for files without one, and for files that cannot be opened (their own error
    /// comes from <see cref="Load"/>).
    /// </summary>
    internal static SKEncodedOrigin ExifOrigin(string path)
    {
        try
        {
            if (!File.Exists(path) || Head(path) is var head && (PngCodec.IsPng(head) || TiffCodec.IsTiff(head) || NpyCodec.IsNpy(head))) return SKEncodedOrigin.TopLeft;
            using var codec = SKCodec.Create(path);
            return codec?.EncodedOrigin is { } o && (int)o is >= 1 and <= 8 ? o : SKEncodedOrigin.TopLeft;
        }
        catch (IOException) { return SKEncodedOrigin.TopLeft; }
        catch (UnauthorizedAccessException) { return SKEncodedOrigin.TopLeft; }
    }

    /// <summary>How an EXIF orientation turns the stored pixels, in words ("turned 90° clockwise", "mirrored", ...).</summary>
    internal static string DescribeOrigin(SKEncodedOrigin origin) => origin switch
    {
        SKEncodedOrigin.TopRight => "mirrored",
        SKEncodedOrigin.BottomRight => "turned 180°",
        SKEncodedOrigin.BottomLeft => "flipped",
        SKEncodedOrigin.LeftTop => "transposed",
        SKEncodedOrigin.RightTop => "turned 90° clockwise",
        SKEncodedOrigin.RightBottom => "transversed",
        SKEncodedOrigin.LeftBottom => "turned 90° counter-clockwise",
        _ => "as stored",
    };

    /// <summary>
    /// The image as it is meant to be shown: a camera's JPEG stores the sensor's rows and records the rotation in its
    /// EXIF Orientation tag, which viewers, browsers, annotation tools and OpenCV's <c>imread</c> apply. Masks are drawn on
    /// the shown image, so SharpSeg applies it too (a portrait phone photo is read portrait, matching its mask).
    /// </summary>
    internal static RgbImage Orient(RgbImage image, SKEncodedOrigin origin)
    {
        if (origin is SKEncodedOrigin.TopLeft || (int)origin is < 1 or > 8) return image;
        int w = image.Width, h = image.Height, c = image.Channels;
        bool swap = (int)origin >= 5;
        int ow = swap ? h : w, oh = swap ? w : h;
        var result = new RgbImage(ow, oh, c);
        var src = image.Pixels;
        var dst = result.Pixels;
        for (int y = 0; y < oh; y++)
            for (int x = 0; x < ow; x++)
            {
                // The stored pixel that the shown pixel (x, y) comes from.
                var (sx, sy) = origin switch
                {
                    SKEncodedOrigin.TopRight => (w - 1 - x, y),           // mirrored
                    SKEncodedOrigin.BottomRight => (w - 1 - x, h - 1 - y), // rotated 180°
                    SKEncodedOrigin.BottomLeft => (x, h - 1 - y),         // flipped
                    SKEncodedOrigin.LeftTop => (y, x),                    // transposed
                    SKEncodedOrigin.RightTop => (y, h - 1 - x),           // shown rotated 90° clockwise
                    SKEncodedOrigin.RightBottom => (w - 1 - y, h - 1 - x), // transverse
                    _ => (w - 1 - y, x),                                  // LeftBottom: shown rotated 90° counter-clockwise
                };
                int from = (sy * w + sx) * c, to = (y * ow + x) * c;
                for (int k = 0; k < c; k++) dst[to + k] = src[from + k];
            }
        return result;
    }

    /// <summary>
    /// Opens a SkiaSharp decoder for <paramref name="path"/> after the checks SkiaSharp does not make: for a PNG, its
    /// chunk structure and CRCs (<see cref="PngCodec.Verify(string)"/>); for every format, the size the header claims against
    /// <see cref="PixelLimit"/>. Reads the header only. Errors are one line naming the file.
    /// </summary>
    public static SKCodec OpenCodec(string path)
    {
        if (!File.Exists(path)) throw new SharpSegException($"{path}: image file not found.");
        var file = new FileInfo(path);
        if (file.LinkTarget is { } target && file.ResolveLinkTarget(returnFinalTarget: true) is not { Exists: true })
            throw new SharpSegException($"{path}: a symbolic link to '{target}', which does not exist; fix or remove the link.");
        if (file.Length == 0) throw new SharpSegException($"{path}: the file is empty (0 bytes); re-export or re-copy it.");
        if (PngCodec.IsPng(path)) PngCodec.Verify(path);
        if (Path.GetExtension(path).Equals(".npy", StringComparison.OrdinalIgnoreCase))
            throw new SharpSegException($"{path}: not a NumPy .npy file (it does not start with \\x93NUMPY); save the array with numpy.save.");
        var codec = SKCodec.Create(path, out SKCodecResult createResult)
            ?? throw new SharpSegException(ImageFolder.IsImage(path)
                ? $"{path}: cannot decode image ({createResult}); the file is corrupt or not an image format SharpSeg reads (PNG, JPEG, BMP, WebP, GIF, TIFF, NumPy .npy)."
                : $"{path}: not an image: SharpSeg reads {ImageFolder.ExtensionList} files, and this one does not decode as any of them.");
        try { PixelLimit.Check(path, codec.Info.Width, codec.Info.Height); }
        catch { codec.Dispose(); throw; }
        return codec;
    }

    /// <summary>Writes an image as PNG (RGB or 8-bit grayscale). The file is written to a temp name and renamed.</summary>
    public static void SavePng(RgbImage image, string path)
    {
        byte[] png = EncodePng(image, path);
        IO.AtomicFile.Write(path, stream => stream.Write(png));
    }

    /// <summary>The bytes of <paramref name="image"/> as a PNG file (RGB or 8-bit grayscale), as <see cref="SavePng"/> writes them.</summary>
    public static byte[] EncodePng(RgbImage image) => EncodePng(image, "image");

    /// <summary>The bytes of a class-index mask as an 8-bit grayscale PNG, as <see cref="SaveMaskPng"/> writes them.</summary>
    public static byte[] EncodeMaskPng(LabelMask mask) => EncodePng(new RgbImage(mask.Width, mask.Height, 1, mask.Labels), "mask");

    static byte[] EncodePng(RgbImage image, string name)
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
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100) ?? throw new SharpSegException($"{name}: PNG encoding failed.");
        return data.ToArray();
    }

    /// <summary>Writes an RGB image with a per-pixel <paramref name="alpha"/> (0 transparent .. 255 opaque) as an RGBA PNG,
    /// e.g. a cut-out; written to a temp name and renamed.</summary>
    public static void SavePngWithAlpha(RgbImage image, byte[] alpha, string path)
    {
        int n = image.Width * image.Height;
        if (alpha.Length != n) throw new ArgumentException($"alpha has {alpha.Length} values for {n} pixels", nameof(alpha));
        var info = new SKImageInfo(image.Width, image.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var bitmap = new SKBitmap(info);
        Span<byte> dst = bitmap.GetPixelSpan();
        var src = image.Pixels;
        int ch = image.Channels;
        for (int i = 0; i < n; i++)
        {
            dst[4 * i] = src[ch * i]; dst[4 * i + 1] = src[ch * i + (ch == 3 ? 1 : 0)]; dst[4 * i + 2] = src[ch * i + (ch == 3 ? 2 : 0)]; dst[4 * i + 3] = alpha[i];
        }
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100) ?? throw new SharpSegException($"{path}: PNG encoding failed.");
        var bytes = data.ToArray();
        IO.AtomicFile.Write(path, stream => stream.Write(bytes));
    }

    /// <summary>Writes a class-index mask as an 8-bit grayscale PNG whose pixel values are the class indices (255 = ignore).</summary>
    public static void SaveMaskPng(LabelMask mask, string path) => SavePng(new RgbImage(mask.Width, mask.Height, 1, mask.Labels), path);

}
