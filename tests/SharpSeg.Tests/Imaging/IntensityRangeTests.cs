using Photometric = BitMiracle.LibTiff.Classic.Photometric;
using SharpSeg.Checkpoints;
using SharpSeg.Data.Dataset;
using SharpSeg.Data.Masks;
using SharpSeg.Evaluation;
using SharpSeg.Imaging;
using SharpSeg.Inference;
using SharpSeg.Onnx;
using SharpSeg.Tests.Training;
using SharpSeg.Training;
using Xunit;

namespace SharpSeg.Tests.Imaging;

/// <summary>
/// 16-bit images that use part of their range (a 12-bit camera's 0..4095, a fluorescence channel's 900..1400): the
/// dataset's <c>image_range</c> stretches it to 0..255 in training and in every inference path, <c>data init</c> drafts
/// it, <c>data check</c> warns when it is missing.
/// </summary>
public sealed class IntensityRangeTests
{
    /// <summary>A 16-bit gray raster of <paramref name="w"/>×<paramref name="h"/> with values from <paramref name="value"/>.</summary>
    static PngRaster Gray16(int w, int h, Func<int, int, int> value)
    {
        var s = new ushort[w * h];
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) s[y * w + x] = (ushort)value(x, y);
        return new PngRaster(w, h, PngColorType.Gray, 16, s);
    }

    static int Distinct(RgbImage image) => image.Pixels.Distinct().Count();

    [Fact]
    public void MapStretchesTheRangeAndClampsOutsideIt()
    {
        var r = new IntensityRange(100, 4195);
        Assert.Equal(0, r.Map(0));
        Assert.Equal(0, r.Map(100));
        Assert.Equal(255, r.Map(4195));
        Assert.Equal(255, r.Map(65535));
        Assert.Equal(128, r.Map(100 + 4095 / 2 + 1));
        Assert.Equal(1, r.Map(100 + 16));
        Assert.Throws<ArgumentOutOfRangeException>(() => new IntensityRange(5, 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => new IntensityRange(-1, 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => new IntensityRange(0, 65536));
    }

    [Fact]
    public void MeasureIgnoresAFewHotPixelsAndEightBitRasters()
    {
        // 200×100 values 1000..4999 (uniform) with 2 hot pixels at 65535 and 1 cold one at 0: the percentiles ignore them.
        var raster = Gray16(200, 100, (x, y) => (x, y) is (0, 0) or (1, 0) ? 65535 : (x, y) == (2, 0) ? 0 : 1000 + (y * 200 + x) % 4000);
        var r = IntensityRange.Measure([raster])!;
        Assert.InRange(r.Low, 1000, 1002);
        Assert.InRange(r.High, 4997, 4999);
        var eight = new PngRaster(4, 4, PngColorType.Gray, 8, new ushort[16]);
        Assert.Null(IntensityRange.Measure([eight]));
        Assert.Equal(r, IntensityRange.Measure([eight, raster]));
    }

    [Fact]
    public void SixteenBitPngAndTiffAreStretchedFromTheRangeAndEightBitFilesAreNot()
    {
        string dir = TestPaths.NewTempDir("range-files");
        var raster = Gray16(64, 64, (x, y) => y * 64 + x);   // 0..4095: a 12-bit camera
        string png = Path.Combine(dir, "a.png"), tif = Path.Combine(dir, "a.tif");
        PngCodec.Save(raster, png);
        TestTiff.Write(tif, new TestTiff.Page(64, 64, 1, 16, Photometric.MINISBLACK, raster.Samples));
        var range = new IntensityRange(0, 4095);
        foreach (var path in new[] { png, tif })
        {
            Assert.InRange(Distinct(ImageFile.Load(path, 1)), 15, 17);          // full scale: about 16 gray levels
            var stretched = ImageFile.Load(path, 3, range);
            Assert.Equal(256, Distinct(stretched));
            Assert.Equal(255, stretched.Pixels[^1]);
            Assert.Equal(stretched.Pixels, ImageFile.Decode(File.ReadAllBytes(path), "upload", 3, range).Pixels);
        }
        Assert.Equal(ImageFile.Load(png, 1, range).Pixels, ImageFile.Load(tif, 1, range).Pixels);

        // 8-bit files ignore the range.
        var eight = new RgbImage(8, 8, 3);
        for (int i = 0; i < eight.Pixels.Length; i++) eight.Pixels[i] = (byte)i;
        string p8 = Path.Combine(dir, "b.png");
        ImageFile.SavePng(eight, p8);
        Assert.Equal(eight.Pixels, ImageFile.Load(p8, 3, range).Pixels);
    }

    [Theory]
    [InlineData("image_range: [5, 5]", "low < high")]
    [InlineData("image_range: [0, 70000]", "0..65535")]
    [InlineData("image_range: [4095]", "two raw 16-bit sample values")]
    [InlineData("image_range: 4095", "must be a list")]
    public void ABadImageRangeIsOneLineNamingTheFileAndLine(string line, string expected)
    {
        string dir = TestPaths.NewTempDir("range-yaml");
        string yaml = $"splits:\n  train: {{ images: ., masks: . }}\n{line}\nclasses:\n  - {{ name: a, value: 0 }}\n  - {{ name: b, value: 1 }}\n";
        var e = Assert.Throws<SharpSegException>(() => DatasetSpec.Parse(yaml, Path.Combine(dir, "d.yaml")));
        Assert.Contains("d.yaml:3:", e.Message);
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    /// <summary>
    /// A 12-bit microscopy-like dataset in 16-bit PNGs whose object is 60 raw values brighter than the background: read at
    /// full scale both are one gray level; <c>data init</c> drafts the range, training reads the object apart, the
    /// checkpoint and the ONNX export carry the range, predict reads with it, and eval refuses a dataset without it.
    /// </summary>
    [Fact]
    public void ADatasetOfTwelveBitImagesIsDraftedWarnedTrainedAndPredictedWithItsRange()
    {
        string root = TestPaths.NewTempDir("range-dataset");
        Directory.CreateDirectory(Path.Combine(root, "images"));
        Directory.CreateDirectory(Path.Combine(root, "masks"));
        for (int n = 0; n < 4; n++)
        {
            int cx = 16 + 8 * n;
            bool Inside(int x, int y) => Math.Abs(x - cx) < 10 && Math.Abs(y - 24) < 10;
            PngCodec.Save(Gray16(64, 48, (x, y) => (Inside(x, y) ? 2060 : 2000) + (x * 7 + y * 3) % 5), Path.Combine(root, "images", $"s{n}.png"));
            PngCodec.SaveGray8(Path.Combine(root, "masks", $"s{n}.png"), 64, 48, Enumerable.Range(0, 64 * 48).Select(i => (byte)(Inside(i % 64, i / 64) ? 1 : 0)).ToArray());
        }
        string yaml = Path.Combine(root, "dataset.yaml");
        var init = CliRunner.Run(["data", "init", "--images", Path.Combine(root, "images"), "--masks", Path.Combine(root, "masks"), "--out", yaml]);
        Assert.True(init.ExitCode == 0, init.ToString());
        string text = File.ReadAllText(yaml);
        Assert.Contains("image_range: [2000, 2064]", text);
        var spec = DatasetSpec.Load(yaml);
        Assert.Equal(new IntensityRange(2000, 2064), spec.ImageRange);

        // Training reads the object apart from the background.
        var pair = spec.ResolvePairs("train")[0];
        var sample = new SampleDecoder(spec).Decode(pair);
        int i0 = 24 * 64 + 2, i1 = 24 * 64 + 16;   // background, object
        Assert.True(sample.Image.Pixels[3 * i1] - sample.Image.Pixels[3 * i0] > 200, $"{sample.Image.Pixels[3 * i1]} vs {sample.Image.Pixels[3 * i0]}");
        var full = ImageFile.Load(pair.ImagePath, 3).Pixels;
        Assert.InRange(full[3 * i1] - full[3 * i0], 0, 1);   // at full scale: one gray level apart at most

        // One checker, two checks: each reports what it measured, not the sum.
        var checker = new SharpSeg.Data.Checks.DataChecker(DatasetSpec.Load(yaml));
        checker.Check();
        Assert.Equal(4, checker.Check().DeepImages);

        // data check: quiet with the range, a one-line warning without it.
        var check = CliRunner.Run(["data", "check", yaml]);
        Assert.True(check.ExitCode == 0, check.ToString());
        Assert.DoesNotContain("image_range", check.StdOut);
        string bare = Path.Combine(root, "bare.yaml");
        File.WriteAllLines(bare, File.ReadAllLines(yaml).Where(l => !l.StartsWith("image_range", StringComparison.Ordinal)));
        var warned = CliRunner.Run(["data", "check", bare]);
        Assert.True(warned.ExitCode == 0, warned.ToString());
        Assert.Contains("warning: 4 16-bit images use only raw values 2000..2064", warned.StdOut);
        Assert.Contains("Add 'image_range: [2000, 2064]'", warned.StdOut);

        // The checkpoint and the ONNX export carry the range; predict reads 16-bit files with it.
        string run = TestPaths.NewTempDir("range-run");
        var result = Trainer.Create(TrainingRecipe.Load(null, [.. TrainingFixture.TinyRecipe(yaml, iterations: 2, valEvery: 2), "data.val_split=train"]), run).Run();
        using (var predictor = Predictor.Load(result.BestCheckpoint))
        {
            Assert.Equal(new IntensityRange(2000, 2064), predictor.Info.IntensityRange);
            Assert.Equal(sample.Image.Pixels, predictor.LoadImage(pair.ImagePath).Pixels);
        }
        string onnx = Path.Combine(run, "model.onnx");
        OnnxExporter.ExportCheckpoint(result.BestCheckpoint, onnx, new OnnxExportOptions());
        using (var ort = Predictor.Load(onnx))
        {
            Assert.Equal(new IntensityRange(2000, 2064), ort.Info.IntensityRange);
            Assert.Equal(sample.Image.Pixels, ort.LoadImage(pair.ImagePath).Pixels);
        }

        // Training on the dataset without the range says the same at its start (data.check), and trains anyway.
        var notes = new List<string>();
        Trainer.Create(TrainingRecipe.Load(null, [.. TrainingFixture.TinyRecipe(bare, iterations: 1, valEvery: 1), "data.val_split=train"]), TestPaths.NewTempDir("range-bare-run"))
            .Run(new SharpSeg.Tests.Training.TrainingNotes(notes));
        Assert.Contains(notes, n => n.StartsWith("warning: 4 16-bit images use only raw values 2000..2064", StringComparison.Ordinal));

        // Evaluating on the dataset without the range would read other pixels than training did: refused in one line.
        var e = Assert.Throws<SharpSegException>(() => EvaluationRunner.Run(new EvaluationRequest(result.BestCheckpoint, bare, "train")));
        Assert.Contains("the checkpoint was trained with image_range [2000, 2064], but this dataset does not set one", e.Message);
        Assert.Contains("set 'image_range: [2000, 2064]'", e.Message);
        Assert.True(EvaluationRunner.Run(new EvaluationRequest(result.BestCheckpoint, yaml, "train")).Metrics.PixelAccuracy is >= 0);

        // 8-bit images read the same with any image_range: the same dataset saved as 8-bit evaluates without it.
        string eight = Path.Combine(root, "eight");
        Directory.CreateDirectory(Path.Combine(eight, "images"));
        foreach (var p in spec.ResolvePairs("train"))
        {
            var img = new SampleDecoder(spec).Decode(p).Image;
            PngCodec.SaveGray8(Path.Combine(eight, "images", Path.GetFileName(p.ImagePath)), img.Width, img.Height, Enumerable.Range(0, img.Width * img.Height).Select(i => img.Pixels[3 * i]).ToArray());
        }
        string eightYaml = Path.Combine(root, "eight.yaml");
        string eightText = File.ReadAllText(bare).Replace("{ images: \"images\",", "{ images: \"eight/images\",");
        Assert.True(eightText.Contains("eight/images", StringComparison.Ordinal), eightText);
        File.WriteAllText(eightYaml, eightText);
        Assert.True(EvaluationRunner.Run(new EvaluationRequest(result.BestCheckpoint, eightYaml, "train")).Metrics.PixelAccuracy is >= 0);
    }

    /// <summary>Embeddings (curation) read 16-bit images through the range: raw = 1000 + v embeds as the 8-bit image of v;
    /// at full scale (2 gray levels) it does not. A bad --image-range is one line.</summary>
    [Fact]
    public void EmbeddingsReadSixteenBitImagesThroughTheRange()
    {
        string dir = TestPaths.NewTempDir("range-embed");
        string deep = Path.Combine(dir, "deep"), flat = Path.Combine(dir, "flat");
        Directory.CreateDirectory(deep); Directory.CreateDirectory(flat);
        int V(int x, int y) => (x * 5 + y * 3) % 256;
        PngCodec.Save(Gray16(64, 48, (x, y) => 1000 + V(x, y)), Path.Combine(deep, "a.png"));
        PngCodec.SaveGray8(Path.Combine(flat, "a.png"), 64, 48, Enumerable.Range(0, 64 * 48).Select(i => (byte)V(i % 64, i / 64)).ToArray());
        float[] Embed(string folder, IntensityRange? range, string name)
        {
            string npy = Path.Combine(dir, name + ".npy");
            using var t = new SharpSeg.Curation.Embedding.ThumbnailEmbedder();
            SharpSeg.Curation.Embedding.EmbeddingRunner.Run(t, new SharpSeg.Curation.Embedding.EmbedOptions(SharpSeg.Curation.Embedding.ImageCollection.Find(folder), npy, ImageRange: range));
            return SharpSeg.Curation.Embedding.EmbeddingSet.Read(npy).Vectors;
        }
        var eight = Embed(flat, null, "flat");
        Assert.Equal(eight, Embed(deep, new IntensityRange(1000, 1255), "ranged"));
        Assert.NotEqual(eight, Embed(deep, null, "full"));
        var r = CliRunner.Run(["embed", "--images", deep, "--encoder", "thumbnail", "--out", Path.Combine(dir, "x.npy"), "--image-range", "1000"]);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("--image-range '1000': give LOW,HIGH", r.All);
        Assert.DoesNotContain("   at ", r.All);
    }

    [Fact]
    public void ACheckpointWithADamagedImageRangeIsRefused()
    {
        var info = SharpSeg.Tests.Onnx.ExportFixture.Info(new SharpSeg.Models.ModelConfig { NumClasses = 2, Depth = 2, BaseWidth = 8 }) with { ImageRange = [10, 3] };
        var e = Assert.Throws<SharpSegException>(() => info.Validate("m.ckpt"));
        Assert.Contains("image_range", e.Message);
    }
}
