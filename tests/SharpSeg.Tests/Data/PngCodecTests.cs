using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using SharpSeg.Imaging;
using SkiaSharp;
using Xunit;

namespace SharpSeg.Tests.Data;

public sealed class PngCodecTests
{
    static ushort[] Samples(int n, Func<int, int> f) => Enumerable.Range(0, n).Select(i => (ushort)f(i)).ToArray();

    [Fact]
    public void PaletteRoundTripKeepsIndicesAndSkiaSeesThePaletteColours()
    {
        string dir = TestPaths.NewTempDir("png-palette");
        Rgb[] palette = [new(0, 0, 0), new(128, 0, 0), new(0, 128, 0), new(224, 224, 192)];
        var indices = Enumerable.Range(0, 35).Select(i => (byte)(i % 4)).ToArray();
        string path = Path.Combine(dir, "p.png");
        PngCodec.SavePalette8(path, 7, 5, indices, palette);

        var r = PngCodec.Decode(path);
        Assert.Equal((7, 5, PngColorType.Palette, 8), (r.Width, r.Height, r.ColorType, r.BitDepth));
        Assert.Equal(indices.Select(b => (ushort)b), r.Samples);
        Assert.Equal(palette, r.Palette);

        // An independent decoder (Skia) expands the same file to the palette colours.
        var rgb = ImageFile.Load(path);
        for (int i = 0; i < indices.Length; i++)
            Assert.Equal(palette[indices[i]], new Rgb(rgb.Pixels[3 * i], rgb.Pixels[3 * i + 1], rgb.Pixels[3 * i + 2]));
    }

    [Fact]
    public void Gray16RoundTripKeepsValuesAbove255()
    {
        var raster = new PngRaster(6, 3, PngColorType.Gray, 16, Samples(18, i => i * 3000 + 7));
        var back = PngCodec.Decode(PngCodec.Encode(raster), "g16.png");
        Assert.Equal((PngColorType.Gray, 16), (back.ColorType, back.BitDepth));
        Assert.Equal(raster.Samples, back.Samples);
    }

    [Fact]
    public void Gray8RoundTripAgreesWithSkia()
    {
        string dir = TestPaths.NewTempDir("png-gray");
        var px = Enumerable.Range(0, 9 * 4).Select(i => (byte)(i * 7)).ToArray();
        string path = Path.Combine(dir, "g.png");
        PngCodec.SaveGray8(path, 9, 4, px);
        Assert.Equal(px.Select(b => (ushort)b), PngCodec.Decode(path).Samples);
        Assert.Equal(px, ImageFile.Load(path, channels: 1).Pixels);
    }

    [Fact]
    public void DecodesRgbWrittenBySkia()
    {
        string dir = TestPaths.NewTempDir("png-rgb");
        var img = new RgbImage(11, 7, 3);
        var rnd = new Random(1);
        rnd.NextBytes(img.Pixels); // random data makes Skia pick varied row filters
        string path = Path.Combine(dir, "rgb.png");
        ImageFile.SavePng(img, path);
        var r = PngCodec.Decode(path);
        Assert.Equal(3, r.Channels);
        var rgb = r.ColorType == PngColorType.Rgba
            ? Enumerable.Range(0, 77).SelectMany(i => new[] { r.Samples[4 * i], r.Samples[4 * i + 1], r.Samples[4 * i + 2] }).ToArray()
            : r.Samples;
        Assert.Equal(img.Pixels.Select(b => (ushort)b), rgb);
    }

    [Fact]
    public void RgbaRoundTripAgreesWithSkia()
    {
        var raster = new PngRaster(5, 4, PngColorType.Rgba, 8, Samples(80, i => (i * 37) % 256 | (i % 4 == 3 ? 255 : 0)));
        byte[] bytes = PngCodec.Encode(raster);
        var back = PngCodec.Decode(bytes, "rgba.png");
        Assert.True(back.HasAlpha);
        Assert.Equal(raster.Samples, back.Samples);

        using var bitmap = SKBitmap.Decode(bytes, new SKImageInfo(5, 4, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        Assert.Equal(raster.Samples.Select(s => (byte)s), bitmap.GetPixelSpan().ToArray());
    }

    [Fact]
    public void Rgb16AndGrayAlphaRoundTrip()
    {
        var rgb16 = new PngRaster(3, 2, PngColorType.Rgb, 16, Samples(18, i => i * 3001));
        Assert.Equal(rgb16.Samples, PngCodec.Decode(PngCodec.Encode(rgb16), "x.png").Samples);
        var ga = new PngRaster(3, 2, PngColorType.GrayAlpha, 8, Samples(12, i => i * 20));
        Assert.Equal(ga.Samples, PngCodec.Decode(PngCodec.Encode(ga), "x.png").Samples);
    }

    // ---- PNG files built by hand (no shared code with the codec) for bit depths and interlacing the encoder does not write ----

    static uint Crc(byte[] bytes)
    {
        uint c = 0xFFFFFFFF;
        foreach (var b in bytes)
        {
            c ^= b;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
        }
        return ~c;
    }

    static void Chunk(Stream s, string type, byte[] body)
    {
        var len = new byte[4]; BinaryPrimitives.WriteUInt32BigEndian(len, (uint)body.Length); s.Write(len);
        var tb = Encoding.ASCII.GetBytes(type).Concat(body).ToArray(); s.Write(tb);
        var crc = new byte[4]; BinaryPrimitives.WriteUInt32BigEndian(crc, Crc(tb)); s.Write(crc);
    }

    static byte[] HandMadePng(int w, int h, int depth, int colorType, int interlace, byte[] scanlines, byte[]? plte = null)
    {
        var ms = new MemoryStream();
        ms.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(ihdr, (uint)w); BinaryPrimitives.WriteUInt32BigEndian(ihdr.AsSpan(4), (uint)h);
        ihdr[8] = (byte)depth; ihdr[9] = (byte)colorType; ihdr[12] = (byte)interlace;
        Chunk(ms, "IHDR", ihdr);
        if (plte != null) Chunk(ms, "PLTE", plte);
        var z = new MemoryStream();
        using (var zs = new ZLibStream(z, CompressionLevel.Fastest, true)) zs.Write(scanlines);
        var data = z.ToArray();
        Chunk(ms, "IDAT", data[..(data.Length / 2)]); // split over two IDAT chunks, as large files do
        Chunk(ms, "IDAT", data[(data.Length / 2)..]);
        Chunk(ms, "tEXt", Encoding.ASCII.GetBytes("Comment\0ancillary chunk to skip"));
        Chunk(ms, "IEND", []);
        return ms.ToArray();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    public void LowBitDepthGrayAndPalette(int depth)
    {
        // 5x2 image, values v(x, y) = (x + 2y) mod 2^depth, packed MSB first, filter byte 0 per row.
        int w = 5, h = 2, max = 1 << depth;
        var rows = new List<byte>();
        var expected = new List<ushort>();
        for (int y = 0; y < h; y++)
        {
            rows.Add(0);
            var row = new byte[(w * depth + 7) / 8];
            for (int x = 0; x < w; x++)
            {
                int v = (x + 2 * y) % max;
                expected.Add((ushort)v);
                int bit = x * depth;
                row[bit / 8] |= (byte)(v << (8 - depth - bit % 8));
            }
            rows.AddRange(row);
        }
        var gray = PngCodec.Decode(HandMadePng(w, h, depth, 0, 0, rows.ToArray()), "low.png");
        Assert.Equal(expected, gray.Samples);
        var plte = Enumerable.Range(0, max * 3).Select(i => (byte)i).ToArray();
        var pal = PngCodec.Decode(HandMadePng(w, h, depth, 3, 0, rows.ToArray(), plte), "lowp.png");
        Assert.Equal(expected, pal.Samples);
        Assert.Equal(new Rgb(3, 4, 5), pal.Palette![1]);
    }

    [Fact]
    public void Adam7InterlacedGray8()
    {
        int w = 10, h = 9;
        int V(int x, int y) => (x * 17 + y * 29) % 256;
        (int X, int Y, int DX, int DY)[] passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)];
        var data = new List<byte>();
        foreach (var (x0, y0, dx, dy) in passes)
        {
            if (x0 >= w || y0 >= h) continue;
            for (int y = y0; y < h; y += dy)
            {
                data.Add(0);
                for (int x = x0; x < w; x += dx) data.Add((byte)V(x, y));
            }
        }
        var r = PngCodec.Decode(HandMadePng(w, h, 8, 0, 1, data.ToArray()), "adam7.png");
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                Assert.Equal(V(x, y), r.Samples[y * w + x]);
    }

    [Fact]
    public void TruncatedFileIsDetectedAndNamed()
    {
        string dir = TestPaths.NewTempDir("png-trunc");
        byte[] full = PngCodec.Encode(new PngRaster(40, 30, PngColorType.Gray, 8, Samples(1200, i => i * 31 % 251)));
        string half = Path.Combine(dir, "half.png");
        File.WriteAllBytes(half, full[..(full.Length / 2)]);
        var e = Assert.Throws<SharpSegException>(() => PngCodec.Decode(half));
        Assert.Contains("half.png", e.Message);
        Assert.Contains("truncated", e.Message);

        string noEnd = Path.Combine(dir, "noend.png");
        File.WriteAllBytes(noEnd, full[..^12]); // drop IEND
        e = Assert.Throws<SharpSegException>(() => PngCodec.Decode(noEnd));
        Assert.Contains("noend.png: PNG file is truncated (no IEND chunk)", e.Message);
    }

    [Fact]
    public void ShortImageDataIsDetected()
    {
        // Valid chunks and CRCs, but the compressed data holds only one of the two rows.
        byte[] png = HandMadePng(3, 2, 8, 0, 0, [0, 1, 2, 3]);
        var e = Assert.Throws<SharpSegException>(() => PngCodec.Decode(png, "short.png"));
        Assert.Contains("short.png: PNG file is truncated (image data ends at row 1", e.Message);
    }

    [Fact]
    public void BadCrcIsDetectedAndNamed()
    {
        byte[] png = PngCodec.Encode(new PngRaster(4, 4, PngColorType.Gray, 8, Samples(16, i => i)));
        int idat = Encoding.ASCII.GetString(png).IndexOf("IDAT", StringComparison.Ordinal);
        png[idat + 6] ^= 0x40;
        var e = Assert.Throws<SharpSegException>(() => PngCodec.Decode(png, "bad.png"));
        Assert.Contains("bad.png: PNG file is damaged (CRC mismatch in chunk 'IDAT'", e.Message);
    }

    [Fact]
    public void NotAPngAndHeaderOnly()
    {
        Assert.Contains("not a PNG", Assert.Throws<SharpSegException>(() => PngCodec.Decode(Encoding.ASCII.GetBytes("GIF89a...."), "x.gif")).Message);
        string dir = TestPaths.NewTempDir("png-header");
        string path = Path.Combine(dir, "h.png");
        File.WriteAllBytes(path, PngCodec.Encode(new PngRaster(300, 200, PngColorType.Rgba, 8, new ushort[300 * 200 * 4])));
        Assert.Equal(new PngHeader(300, 200, PngColorType.Rgba, 8, false), PngCodec.ReadHeader(path));
        Assert.True(PngCodec.IsPng(path));
        File.WriteAllText(path + ".txt", "hello");
        Assert.Null(PngCodec.ReadHeader(path + ".txt"));
    }
}
