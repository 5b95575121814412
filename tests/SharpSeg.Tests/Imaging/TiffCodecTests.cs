using BitMiracle.LibTiff.Classic;
using SharpSeg.Data.Dataset;
using SharpSeg.Data.Masks;
using SharpSeg.Imaging;
using SharpSeg.Tests.Training;
using SharpSeg.Training;
using Xunit;
using TiffCodec = SharpSeg.Imaging.TiffCodec;
using static SharpSeg.Tests.Imaging.TestTiff;

namespace SharpSeg.Tests.Imaging;

/// <summary>TIFF images and masks (docs/DATASETS.md "TIFF"): each layout LibTiff can write decodes to the exact samples
/// written; what SharpSeg cannot read is one line naming the file.</summary>
public sealed class TiffCodecTests
{
    static string Temp(string name) => Path.Combine(TestPaths.NewTempDir("tiff"), name);

    static void AssertSamples(ushort[] expected, PngRaster r)
    {
        Assert.Equal(expected.Length, r.Samples.Length);
        for (int i = 0; i < expected.Length; i++)
            if (expected[i] != r.Samples[i]) Assert.Fail($"sample {i}: expected {expected[i]}, got {r.Samples[i]}");
    }

    [Theory]
    [InlineData(8, Compression.LZW, 0, false)]
    [InlineData(8, Compression.NONE, 16, false)]      // tiles that overhang the right and bottom edges
    [InlineData(16, Compression.ADOBE_DEFLATE, 0, false)]
    [InlineData(16, Compression.PACKBITS, 16, false)]
    [InlineData(4, Compression.LZW, 0, false)]
    [InlineData(1, Compression.NONE, 0, false)]
    public void GrayDecodesToTheValuesWritten(int bits, Compression compression, int tile, bool planar)
    {
        int w = 37, h = 21, max = (1 << bits) - 1;
        var s = Samples(w, h, 1, (x, y, c) => (x * 7 + y * 131) % (max + 1));
        string path = Temp("gray.tif");
        Write(path, new Page(w, h, 1, bits, Photometric.MINISBLACK, s) { Compression = compression, TileSize = tile, Planar = planar });
        Assert.True(TiffCodec.IsTiff(path));
        var r = TiffCodec.Decode(path);
        Assert.Equal((w, h, PngColorType.Gray, bits), (r.Width, r.Height, r.ColorType, r.BitDepth));
        AssertSamples(s, r);
        Assert.Equal((w, h), ImageFile.ReadSize(path));
    }

    [Theory]
    [InlineData(8, false, 0)]
    [InlineData(8, true, 0)]      // one plane per colour
    [InlineData(16, true, 16)]
    [InlineData(8, false, 16)]
    public void RgbAndRgbaDecodeToTheValuesWritten(int bits, bool planar, int tile)
    {
        int w = 19, h = 18;
        foreach (int spp in new[] { 3, 4 })
        {
            var s = Samples(w, h, spp, (x, y, c) => ((x + 3 * y) * 41 + c * 1000) % (1 << bits));
            string path = Temp($"rgb{spp}.tif");
            Write(path, new Page(w, h, spp, bits, Photometric.RGB, s) { Planar = planar, TileSize = tile, Compression = Compression.ADOBE_DEFLATE });
            var r = TiffCodec.Decode(path);
            Assert.Equal(spp == 3 ? PngColorType.Rgb : PngColorType.Rgba, r.ColorType);
            AssertSamples(s, r);
            // Through ImageFile: 8-bit RGB the way SkiaSharp reads a PNG of the same samples (16 bits scaled, rounded).
            var img = ImageFile.Load(path);
            for (int i = 0; i < w * h; i++)
                for (int c = 0; c < 3; c++)
                {
                    int v = s[spp * i + c], expected = bits == 8 ? v : (v * 255 + 32767) / 65535;
                    Assert.Equal(expected, img.Pixels[3 * i + c]);
                }
        }
    }

    [Fact]
    public void BigEndianSixteenBitSamplesAreReadInHostOrder()
    {
        int w = 23, h = 9;
        var s = Samples(w, h, 1, (x, y, c) => 257 * x + 1000 * y + 3);   // high and low bytes differ
        string path = Temp("motorola.tif");
        WriteBigEndian(path, new Page(w, h, 1, 16, Photometric.MINISBLACK, s) { Compression = Compression.NONE });
        Assert.Equal((byte)'M', File.ReadAllBytes(path)[0]);
        AssertSamples(s, TiffCodec.Decode(path));
    }

    [Fact]
    public void PaletteMasksKeepTheirIndicesAndColours()
    {
        int w = 12, h = 9;
        var s = Samples(w, h, 1, (x, y, c) => (x + y) % 3);
        ushort[] r = new ushort[16], g = new ushort[16], b = new ushort[16];
        (r[1], g[1], b[1]) = (128 * 257, 0, 0);
        (r[2], g[2], b[2]) = (0, 128 * 257, 64 * 257);
        string path = Temp("palette.tif");
        Write(path, new Page(w, h, 1, 4, Photometric.PALETTE, s) { ColorMap = (r, g, b) });
        var raster = TiffCodec.Decode(path);
        Assert.Equal(PngColorType.Palette, raster.ColorType);
        AssertSamples(s, raster);
        Assert.Equal(new Rgb(128, 0, 0), raster.Palette![1]);
        Assert.Equal(new Rgb(0, 128, 64), raster.Palette![2]);

        // As a dataset's masks: index encoding reads the indices, rgb encoding the palette colours.
        var classes = new ClassTable([new ClassInfo("bg", new Rgb(0, 0, 0), 0), new ClassInfo("a", new Rgb(128, 0, 0), 1), new ClassInfo("b", new Rgb(0, 128, 64), 2)]);
        var byIndex = new MaskDecoder(classes, MaskEncoding.Default).Decode(path);
        var byColour = new MaskDecoder(classes, new MaskEncoding(MaskEncodingKind.Rgb, [], [], 0)).Decode(path);
        for (int i = 0; i < w * h; i++)
        {
            Assert.Equal(s[i], byIndex.Labels[i]);
            Assert.Equal(s[i], byColour.Labels[i]);
        }
    }

    [Fact]
    public void MinIsWhiteIsInvertedSoWhiteIsTheLargestValue()
    {
        int w = 10, h = 4;
        var stored = Samples(w, h, 1, (x, y, c) => x < 5 ? 1 : 0);   // min-is-white: 1 = black
        string path = Temp("bilevel.tif");
        Write(path, new Page(w, h, 1, 1, Photometric.MINISWHITE, stored) { Compression = Compression.CCITTFAX4 });
        var r = TiffCodec.Decode(path);
        for (int i = 0; i < w * h; i++) Assert.Equal(1 - stored[i], r.Samples[i]);
        var img = ImageFile.Load(path, 1);
        Assert.Equal(0, img.Pixels[0]);
        Assert.Equal(255, img.Pixels[9]);
    }

    [Fact]
    public void SixteenBitMaskValuesReachTheirClasses()
    {
        int w = 8, h = 6;
        var s = Samples(w, h, 1, (x, y, c) => x < 4 ? 0 : 1000);
        string path = Temp("mask16.tif");
        Write(path, new Page(w, h, 1, 16, Photometric.MINISBLACK, s));
        var classes = new ClassTable([new ClassInfo("bg", new Rgb(0, 0, 0), 0), new ClassInfo("cell", new Rgb(255, 0, 0), 1000)]);
        var mask = new MaskDecoder(classes, MaskEncoding.Default).Decode(path);
        for (int i = 0; i < w * h; i++) Assert.Equal(s[i] == 0 ? 0 : 1, mask.Labels[i]);
    }

    [Fact]
    public void ThumbnailsAreSkippedAndStacksAreRefusedWithTheWayOut()
    {
        var full = new Page(16, 8, 1, 8, Photometric.MINISBLACK, Samples(16, 8, 1, (x, y, c) => x * 10 + y));
        var thumb = new Page(4, 2, 1, 8, Photometric.MINISBLACK, Samples(4, 2, 1, (x, y, c) => 7)) { Reduced = true };
        string withThumb = Temp("thumb.tif");
        Write(withThumb, full, thumb);
        Assert.Equal(1, TiffCodec.PageCount(withThumb));
        AssertSamples(full.Samples, TiffCodec.Decode(withThumb));

        var second = full with { Samples = Samples(16, 8, 1, (x, y, c) => 200 - x) };
        string stack = Temp("stack.tif");
        Write(stack, full, second, second);
        Assert.Equal(3, TiffCodec.PageCount(stack));
        var e = Assert.Throws<SharpSegException>(() => TiffCodec.Decode(stack));
        Assert.Contains("stack.tif: TIFF holds 3 pages (a stack)", e.Message);
        Assert.Contains("sharpseg data unstack", e.Message);
        var pages = new List<PngRaster>();
        TiffCodec.DecodePages(stack, (i, r) => pages.Add(r));
        Assert.Equal(3, pages.Count);
        AssertSamples(full.Samples, pages[0]);
        AssertSamples(second.Samples, pages[2]);
    }

    [Fact]
    public void UnstackWritesOnePngPerPageWithTheValuesUnchanged()
    {
        var pages = Enumerable.Range(0, 3).Select(k => new Page(10, 7, 1, 16, Photometric.MINISBLACK, Samples(10, 7, 1, (x, y, c) => 1000 * k + x + 10 * y))).ToArray();
        string stack = Temp("volume.tif");
        Write(stack, pages);
        string outDir = Path.Combine(Path.GetDirectoryName(stack)!, "pages");
        var r = CliRunner.Run(["data", "unstack", stack, "--out", outDir]);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("wrote 3 pages", r.StdOut);
        for (int k = 0; k < 3; k++)
        {
            var png = PngCodec.Decode(Path.Combine(outDir, $"volume_{k:D3}.png"));
            Assert.Equal(16, png.BitDepth);
            AssertSamples(pages[k].Samples, png);
        }
        var again = CliRunner.Run(["data", "unstack", stack, "--out", outDir]);
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("volume_000.png: already exists", again.All);
        Assert.DoesNotContain("   at ", again.All);
        Assert.Equal(0, CliRunner.Run(["data", "unstack", stack, "--out", outDir, "--force"]).ExitCode);
        Assert.Equal(0, CliRunner.Run(["data", "unstack", stack, "--out", outDir, "--stem", "slice"]).ExitCode);
        AssertSamples(pages[1].Samples, PngCodec.Decode(Path.Combine(outDir, "slice_001.png")));
        string notTiff = Path.Combine(outDir, "volume_001.png");
        var wrong = CliRunner.Run(["data", "unstack", notTiff, "--out", outDir]);
        Assert.Equal(1, wrong.ExitCode);
        Assert.Contains("not a TIFF file", wrong.All);
    }

    [Fact]
    public void WhatCannotBeReadIsOneLineNamingTheFile()
    {
        string floats = Temp("float.tif");
        Write(floats, new Page(4, 4, 1, 32, Photometric.MINISBLACK, Samples(4, 4, 1, (x, y, c) => x)) { Format = SampleFormat.IEEEFP });
        Assert.Contains("float.tif: TIFF with 32-bit floating-point samples", Assert.Throws<SharpSegException>(() => ImageFile.Load(floats)).Message);

        string bands = Temp("bands.tif");
        Write(bands, new Page(4, 4, 5, 8, Photometric.MINISBLACK, Samples(4, 4, 5, (x, y, c) => c)));
        Assert.Contains("bands.tif: TIFF with 5 samples per pixel (bands)", Assert.Throws<SharpSegException>(() => ImageFile.Load(bands)).Message);

        string good = Temp("good.tif");
        Write(good, new Page(40, 30, 3, 8, Photometric.RGB, Samples(40, 30, 3, (x, y, c) => x * y + c)) { Compression = Compression.NONE, RowsPerStrip = 30 });
        byte[] bytes = File.ReadAllBytes(good);
        for (int cut = 8; cut < bytes.Length; cut += bytes.Length / 7)
        {
            string cutPath = Temp($"cut{cut}.tif");
            File.WriteAllBytes(cutPath, bytes[..cut]);
            var e = Assert.Throws<SharpSegException>(() => ImageFile.Load(cutPath));
            Assert.StartsWith(cutPath + ": ", e.Message);
            Assert.DoesNotContain('\n', e.Message);
        }
    }

    [Fact]
    public void AHeaderClaimingHugeSizesIsRefusedBeforeAllocating()
    {
        string path = Temp("huge.tif");
        Write(path, new Page(64, 64, 1, 8, Photometric.MINISBLACK, Samples(64, 64, 1, (x, y, c) => x)) { Compression = Compression.NONE, RowsPerStrip = 64 });
        byte[] bytes = File.ReadAllBytes(path);
        // Rewrite the IMAGEWIDTH and IMAGELENGTH entries of the first IFD (little-endian classic TIFF) to 100000.
        int ifd = BitConverter.ToInt32(bytes, 4), entries = BitConverter.ToUInt16(bytes, ifd);
        for (int k = 0; k < entries; k++)
        {
            int e = ifd + 2 + 12 * k, tag = BitConverter.ToUInt16(bytes, e), type = BitConverter.ToUInt16(bytes, e + 2);
            if (tag is 256 or 257)
            {
                if (type == 3) BitConverter.TryWriteBytes(bytes.AsSpan(e + 8, 2), (ushort)60000);
                else BitConverter.TryWriteBytes(bytes.AsSpan(e + 8, 4), 100000);
            }
        }
        File.WriteAllBytes(path, bytes);
        var ex = Assert.ThrowsAny<SharpSegException>(() => ImageFile.Load(path));
        Assert.Contains("huge.tif", ex.Message);
        Assert.Contains("over the limit", ex.Message);
    }

    /// <summary>A TIFF dataset from end to end: data init drafts it, data check passes it, and training reads it.</summary>
    [Fact]
    public void ATiffDatasetIsDraftedCheckedAndTrained()
    {
        string root = TestPaths.NewTempDir("tiff-dataset");
        Directory.CreateDirectory(Path.Combine(root, "images"));
        Directory.CreateDirectory(Path.Combine(root, "masks"));
        for (int n = 0; n < 4; n++)
        {
            int w = 64, h = 48, cx = 16 + 8 * n;
            var inside = (int x, int y) => Math.Abs(x - cx) < 10 && Math.Abs(y - 24) < 10;
            Write(Path.Combine(root, "images", $"s{n}.tif"), new Page(w, h, 3, 16, Photometric.RGB,
                Samples(w, h, 3, (x, y, c) => inside(x, y) ? 50000 - 9000 * c : 8000 + 300 * x)));
            Write(Path.Combine(root, "masks", $"s{n}.tif"), new Page(w, h, 1, 8, Photometric.MINISBLACK,
                Samples(w, h, 1, (x, y, c) => inside(x, y) ? 255 : 0)) { TileSize = 16 });
        }
        string yaml = Path.Combine(root, "dataset.yaml");
        var init = CliRunner.Run(["data", "init", "--images", Path.Combine(root, "images"), "--masks", Path.Combine(root, "masks"), "--out", yaml]);
        Assert.True(init.ExitCode == 0, init.ToString());
        Assert.Contains("value 255", init.StdOut);
        var check = CliRunner.Run(["data", "check", yaml]);
        Assert.True(check.ExitCode == 0, check.ToString());

        var run = TestPaths.NewTempDir("tiff-run");
        var result = Trainer.Create(TrainingRecipe.Load(null, [.. TrainingFixture.TinyRecipe(yaml, iterations: 2, valEvery: 2), "data.val_split=train"]), run).Run();
        Assert.True(File.Exists(result.BestCheckpoint), $"no checkpoint in {run}");
        Assert.Equal(2, result.Iterations);
        Assert.NotNull(result.BestMIoU);
    }
}
