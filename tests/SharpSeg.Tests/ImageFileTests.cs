using SharpSeg.Imaging;
using SkiaSharp;
using Xunit;

namespace SharpSeg.Tests;

public sealed class ImageFileTests
{
    [Fact]
    public void RgbAndGrayPngRoundTrip()
    {
        string dir = TestPaths.NewTempDir("imagefile");
        var rgb = new RgbImage(5, 3, 3);
        for (int i = 0; i < rgb.Pixels.Length; i++) rgb.Pixels[i] = (byte)(i * 7);
        ImageFile.SavePng(rgb, Path.Combine(dir, "rgb.png"));
        Assert.Equal(rgb.Pixels, ImageFile.Load(Path.Combine(dir, "rgb.png")).Pixels);

        var mask = new LabelMask(7, 3);
        for (int i = 0; i < mask.Labels.Length; i++) mask.Labels[i] = (byte)(i % 4 == 3 ? LabelMask.Ignore : i % 4);
        ImageFile.SaveMaskPng(mask, Path.Combine(dir, "mask.png"));
        Assert.Equal(mask.Labels, ImageFile.Load(Path.Combine(dir, "mask.png"), channels: 1).Pixels);
    }

    /// <summary>A JPEG of 4 × 2 blocks of 16 pixels (a distinct colour each) with an EXIF Orientation tag, as a phone
    /// writes a photo taken on its side.</summary>
    internal static byte[] JpegWithOrientation(int orientation, out SKColor[,] blocks)
    {
        blocks = new SKColor[2, 4];
        using var bitmap = new SKBitmap(new SKImageInfo(64, 32, SKColorType.Rgba8888, SKAlphaType.Opaque));
        for (int by = 0; by < 2; by++)
            for (int bx = 0; bx < 4; bx++)
            {
                var c = new SKColor((byte)(bx * 80), (byte)(by * 200), (byte)(bx == 1 ? 255 : 30));
                blocks[by, bx] = c;
                for (int y = 0; y < 16; y++)
                    for (int x = 0; x < 16; x++) bitmap.SetPixel(bx * 16 + x, by * 16 + y, c);
            }
        using var data = bitmap.Encode(SKEncodedImageFormat.Jpeg, 95);
        byte[] jpeg = data.ToArray();
        // APP1 "Exif\0\0" + a little-endian TIFF header + one IFD with tag 0x0112 (SHORT, 1 value).
        byte[] tiff = [(byte)'I', (byte)'I', 42, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, (byte)orientation, 0, 0, 0, 0, 0, 0, 0];
        byte[] exif = [.. "Exif\0\0"u8.ToArray(), .. tiff];
        int length = exif.Length + 2;
        return [0xFF, 0xD8, 0xFF, 0xE1, (byte)(length >> 8), (byte)length, .. exif, .. jpeg[2..]];
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(8)]
    public void JpegsAreReadTheWayTheirExifOrientationShowsThem(int orientation)
    {
        byte[] bytes = JpegWithOrientation(orientation, out var blocks);
        string path = Path.Combine(TestPaths.NewTempDir("exif"), $"o{orientation}.jpg");
        File.WriteAllBytes(path, bytes);
        var image = ImageFile.Load(path);
        bool swapped = orientation >= 5;
        Assert.Equal(swapped ? (32, 64) : (64, 32), (image.Width, image.Height));
        Assert.Equal((image.Width, image.Height), ImageFile.ReadSize(path));
        Assert.Equal((image.Width, image.Height), (ImageFile.Decode(bytes, "upload").Width, ImageFile.Decode(bytes, "upload").Height));
        // The stored block (bx, by) shows at the place the orientation says; compare each shown block's centre.
        for (int by = 0; by < 2; by++)
            for (int bx = 0; bx < 4; bx++)
            {
                int sx = bx * 16 + 8, sy = by * 16 + 8;   // a stored block centre, 64 × 32
                var (x, y) = orientation switch
                {
                    1 => (sx, sy), 2 => (63 - sx, sy), 3 => (63 - sx, 31 - sy), 4 => (sx, 31 - sy),
                    5 => (sy, sx), 6 => (31 - sy, sx), 7 => (31 - sy, 63 - sx), _ => (sy, 63 - sx),
                };
                int i = (y * image.Width + x) * 3;
                var want = blocks[by, bx];
                Assert.True(Math.Abs(image.Pixels[i] - want.Red) < 12 && Math.Abs(image.Pixels[i + 1] - want.Green) < 12 && Math.Abs(image.Pixels[i + 2] - want.Blue) < 12,
                    $"orientation {orientation}: block ({bx}, {by}) expected at ({x}, {y}) as {want}, found ({image.Pixels[i]}, {image.Pixels[i + 1]}, {image.Pixels[i + 2]})");
            }
    }
}
