using SharpSeg.Imaging;
using Xunit;

namespace SharpSeg.Tests.Data;

/// <summary>Broken datasets made in a temp folder, checked through the real CLI: one line naming the file and the problem, exit 1.</summary>
public sealed class DataCheckCliTests
{
    static CliRunner.Result Check(TinyDataset d, params string[] extra) =>
        CliRunner.Run(["data", "check", d.PathOf("dataset.yaml"), .. extra]);

    /// <summary>The line of output that mentions <paramref name="needle"/>; asserts there is exactly one and no stack trace.</summary>
    static string LineWith(CliRunner.Result r, string needle)
    {
        Assert.DoesNotContain("   at ", r.All);
        var lines = r.All.Split('\n').Where(l => l.Contains(needle, StringComparison.Ordinal)).ToArray();
        Assert.True(lines.Length == 1, $"expected one line with '{needle}':\n{r}");
        return lines[0];
    }

    [Fact]
    public void CleanDatasetExitsZero()
    {
        var r = Check(TinyDataset.Clean("cli-clean"));
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("tiny: checked 2 pairs in 1 split (train): no problems.", r.StdOut);
    }

    [Fact]
    public void MissingMask()
    {
        var d = TinyDataset.Clean("cli-missing");
        d.Image("train/images/c.png");
        var r = Check(d);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("no mask 'c.*'", LineWith(r, "c.png"));
        Assert.Contains("1 problem in 1 file (1 missing mask)", r.StdOut);

        // A mask that is there in a format SharpSeg does not read is named as such, not as missing.
        File.WriteAllBytes(d.PathOf("train/masks/c.mat"), "MATLAB 5.0 MAT-file"u8.ToArray());
        var mat = Check(d);
        Assert.Equal(1, mat.ExitCode);
        Assert.Contains("its mask 'c.mat' is in a format SharpSeg does not read (.mat); save the masks as PNG", LineWith(mat, "c.png"));
    }

    [Fact]
    public void ResizedMask()
    {
        var d = TinyDataset.Clean("cli-resized");
        d.GrayMask("train/masks/b.png", 3, 2, 0, 1);
        var r = Check(d);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("mask 3x2 does not match image 6x4", LineWith(r, "masks/b.png"));
    }

    [Fact]
    public void TruncatedMaskAndImage()
    {
        var d = TinyDataset.Clean("cli-truncated");
        string mask = d.PathOf("train/masks/a.png");
        File.WriteAllBytes(mask, File.ReadAllBytes(mask)[..40]);
        string image = d.PathOf("train/images/b.png");
        File.WriteAllBytes(image, File.ReadAllBytes(image)[..60]);
        var r = Check(d);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("PNG file is truncated", LineWith(r, "masks/a.png"));
        Assert.Contains("truncated", LineWith(r, "images/b.png"));
        Assert.Contains("1 unreadable image, 1 unreadable mask", r.StdOut);
    }

    [Fact]
    public void PngImageWithoutIendIsReportedEvenThoughSkiaDecodesIt()
    {
        var d = TinyDataset.Clean("cli-noiend");
        string image = d.PathOf("train/images/a.png");
        File.WriteAllBytes(image, File.ReadAllBytes(image)[..^12]);
        var r = Check(d);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("PNG file is truncated (no IEND chunk", LineWith(r, "images/a.png"));
    }

    [Fact]
    public void UndefinedColour()
    {
        var d = new TinyDataset("cli-colour");
        d.Image("train/images/a.png");
        d.ColorMask("train/masks/a.png", 6, 4, new Rgb(128, 64, 128), new Rgb(0, 0, 142), new Rgb(1, 2, 3));
        d.Yaml("""
            splits: { train: { images: train/images, masks: train/masks } }
            mask: { encoding: rgb }
            classes: [{ name: road, color: [128, 64, 128] }, { name: car, color: [0, 0, 142] }]
            """);
        var r = Check(d);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("mask colour (1, 2, 3) (8 pixels) not a class colour", LineWith(r, "masks/a.png"));
    }

    [Fact]
    public void UndefinedValueAndMaskWithoutImage()
    {
        var d = TinyDataset.Clean("cli-value");
        d.GrayMask("train/masks/a.png", 6, 4, 0, 9);
        d.GrayMask("train/masks/orphan.png", 6, 4, 0);
        var r = Check(d);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("mask value 9 (12 pixels) not defined", LineWith(r, "masks/a.png"));
        Assert.Contains("mask has no image", LineWith(r, "orphan.png"));
        // Counts are in plain English, and an empty file says so rather than "cannot decode".
        d.GrayMask("train/masks/b.png", 6, 4, 0, 9);
        File.WriteAllBytes(d.PathOf("train/images/b.png"), []);
        var more = Check(d);
        Assert.Contains("2 undefined mask values", more.StdOut);
        Assert.Contains("the file is empty (0 bytes)", LineWith(more, "images/b.png"));
    }

    [Fact]
    public void An_index_mask_saved_as_jpeg_is_told_to_be_saved_as_png()
    {
        var d = TinyDataset.Clean("cli-jpeg-mask");
        // A hard edge saved as JPEG: undefined values (200, and the ringing around the edge) in a JPEG get the PNG hint.
        var mask = new RgbImage(16, 16, 1);
        for (int i = 0; i < mask.Pixels.Length; i++) mask.Pixels[i] = (byte)(i % 16 < 8 ? 0 : 200);
        File.Delete(d.PathOf("train/masks/a.png"));
        using (var bitmap = new SkiaSharp.SKBitmap(16, 16, SkiaSharp.SKColorType.Gray8, SkiaSharp.SKAlphaType.Opaque))
        {
            System.Runtime.InteropServices.Marshal.Copy(mask.Pixels, 0, bitmap.GetPixels(), mask.Pixels.Length);
            using var data = bitmap.Encode(SkiaSharp.SKEncodedImageFormat.Jpeg, 75);
            File.WriteAllBytes(d.PathOf("train/masks/a.jpg"), data.ToArray());
        }
        d.Image("train/images/a.png", 16, 16);
        var r = Check(d);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("this mask is a JPEG, whose lossy compression changes values near edges: save the masks as PNG", LineWith(r, "masks/a.jpg"));
    }

    [Fact]
    public void A_class_written_as_a_bare_name_gets_an_example()
    {
        var d = TinyDataset.Clean("cli-bare-class");
        d.Yaml("name: tiny\nsplits:\n  train: { images: train/images, masks: train/masks }\nclasses: [background, cat, dog]\n");
        var r = Check(d);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("classes[0] is 'background': write each class as a mapping, e.g. '- { name: background }'", LineWith(r, "classes[0]"));
    }

    [Fact]
    public void EmptyFolder()
    {
        var d = TinyDataset.Clean("cli-empty");
        Directory.CreateDirectory(d.PathOf("val/images"));
        Directory.CreateDirectory(d.PathOf("val/masks"));
        d.Yaml(TinyDataset.CleanYaml.Replace("splits:", "splits:\n  val: { images: val/images, masks: val/masks }"));
        var r = Check(d);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("split 'val': no images", LineWith(r, "val/images"));
        // The other split is still checked.
        Assert.Contains("checked 2 pairs in 2 splits", r.StdOut);
    }

    [Fact]
    public void NonexistentPaths()
    {
        var r = CliRunner.Run("data", "check", "/no/such/dataset.yaml");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("/no/such/dataset.yaml: dataset file not found", LineWith(r, "dataset.yaml"));

        var d = TinyDataset.Clean("cli-noroot");
        r = Check(d, "--data-root", "/no/such/root");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("data root '/no/such/root' (from --data-root) does not exist", r.StdErr);

        d.Yaml(TinyDataset.CleanYaml.Replace("train/masks", "train/labels"));
        r = Check(d);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("masks folder", LineWith(r, "train/labels"));
    }

    [Fact]
    public void TypoedKey()
    {
        var d = TinyDataset.Clean("cli-typo");
        d.Yaml(TinyDataset.CleanYaml.Replace("classes:", "clases:"));
        var r = Check(d);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("dataset.yaml:4: unknown key 'clases' (did you mean 'classes'?)", LineWith(r, "clases"));
    }

    [Fact]
    public void ClassListedTwice()
    {
        var d = TinyDataset.Clean("cli-twice");
        d.Yaml(TinyDataset.CleanYaml + "\n  - { name: cat }\n");
        var r = Check(d);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("class 'cat' is listed twice", LineWith(r, "dataset.yaml"));
    }

    [Fact]
    public void ImagesWithAlphaAreMentionedOnceAndAreNotAProblem()
    {
        var d = TinyDataset.Clean("cli-alpha");
        foreach (var id in new[] { "a", "b" })
            PngCodec.Save(new PngRaster(6, 4, PngColorType.Rgba, 8, Enumerable.Range(0, 96).Select(i => (ushort)(i * 2)).ToArray()), d.PathOf($"train/images/{id}.png"));
        var r = Check(d);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("note: 2 images have an alpha or fourth channel (e.g. ", LineWith(r, "images have an alpha"));
        Assert.DoesNotContain("mask has an alpha", r.All);

        // A four-band TIFF (RGB + near-infrared, as satellite tiles come) loses its fourth band as a PNG its alpha: said too.
        foreach (var id in new[] { "a", "b" })
        {
            File.Delete(d.PathOf($"train/images/{id}.png"));
            SharpSeg.Tests.Imaging.TestTiff.Write(d.PathOf($"train/images/{id}.tif"), new SharpSeg.Tests.Imaging.TestTiff.Page(6, 4, 4, 8, BitMiracle.LibTiff.Classic.Photometric.RGB,
                SharpSeg.Tests.Imaging.TestTiff.Samples(6, 4, 4, (x, y, c) => 40 * c + x)));
        }
        var tiff = Check(d);
        Assert.True(tiff.ExitCode == 0, tiff.ToString());
        Assert.Contains("so a band such as near-infrared is not used", LineWith(tiff, "images have an alpha or fourth channel"));
        foreach (var id in new[] { "a", "b" })
        {
            File.Delete(d.PathOf($"train/images/{id}.tif"));
            d.Image($"train/images/{id}.png");
        }

        // A mask with alpha (gray + alpha, values 0/1/2): read by its values, and the note says transparency is not read.
        PngCodec.Save(new PngRaster(6, 4, PngColorType.GrayAlpha, 8, Enumerable.Range(0, 48).Select(i => (ushort)(i % 2 == 0 ? i / 2 % 3 : 0)).ToArray()), d.PathOf("train/masks/a.png"));
        var m = Check(d);
        Assert.True(m.ExitCode == 0, m.ToString());
        string note = LineWith(m, "mask has an alpha channel");
        Assert.Contains("note: 1 mask has an alpha channel (e.g. ", note);
        Assert.Contains("a transparent pixel counts as the class of its colour", note);

        // An alpha channel that is opaque everywhere (RGBA exports of colour masks) hides nothing: no note.
        PngCodec.Save(new PngRaster(6, 4, PngColorType.GrayAlpha, 8, Enumerable.Range(0, 48).Select(i => (ushort)(i % 2 == 0 ? i / 2 % 3 : 255)).ToArray()), d.PathOf("train/masks/a.png"));
        var opaque = Check(d);
        Assert.True(opaque.ExitCode == 0, opaque.ToString());
        Assert.DoesNotContain("mask has an alpha channel", opaque.All);
    }

    [Fact]
    public void A_class_without_pixels_is_a_warning_that_names_the_likely_cause()
    {
        // 0/255 binary masks described the obvious way: the default ignore_values [255] swallows the whole foreground.
        var d = new TinyDataset("cli-0-255");
        foreach (var id in new[] { "a", "b" })
        {
            d.Image($"train/images/{id}.png");
            d.GrayMask($"train/masks/{id}.png", 6, 4, 0, 0, 0, 255);
        }
        d.Yaml("name: bin\nsplits:\n  train: { images: train/images, masks: train/masks }\nclasses:\n  - { name: background }\n  - { name: defect }\n");
        var r = Check(d);
        Assert.True(r.ExitCode == 0, r.ToString());   // every file is valid; the warning says what the files cannot
        string line = LineWith(r, "warning: class 'defect' has no pixel in the 2 masks checked (train)");
        Assert.Contains("12 mask pixels (25.0 %) are ignored (mask.ignore_values: [255])", line);
        Assert.Contains("give that class 'value: 255' and set 'ignore_values: []'", line);
        // Following the hint makes the warning go away.
        d.Yaml("name: bin\nsplits:\n  train: { images: train/images, masks: train/masks }\nmask: { ignore_values: [] }\nclasses:\n  - { name: background }\n  - { name: defect, value: 255 }\n");
        var fixedRun = Check(d);
        Assert.True(fixedRun.ExitCode == 0, fixedRun.ToString());
        Assert.DoesNotContain("warning", fixedRun.All);

        // 0/1 masks read with encoding: threshold (default 128): every pixel is background.
        var t = new TinyDataset("cli-0-1-threshold");
        t.Image("train/images/a.png");
        t.GrayMask("train/masks/a.png", 6, 4, 0, 1);
        t.Yaml("name: bin01\nsplits:\n  train: { images: train/images, masks: train/masks }\nmask: { encoding: threshold }\nclasses:\n  - { name: background }\n  - { name: defect }\n");
        Assert.Contains("no pixel reached the threshold 128: masks that store 0 and 1 need 'threshold: 1'", LineWith(Check(t), "warning: class 'defect'"));

        // The clean dataset (every class present) says nothing of the kind.
        Assert.DoesNotContain("no pixel in", Check(TinyDataset.Clean("cli-all-present")).All);
    }

    [Fact]
    public void A_class_that_val_has_and_train_lacks_is_a_warning_in_check_and_before_training()
    {
        // A new-user audit: Bicyclist in every val mask and no train mask. Every file is valid and every class occurs
        // somewhere, so nothing said that the model could not learn it and would score 0 IoU on it.
        var d = new TinyDataset("cli-missing-from-train");
        foreach (var id in new[] { "a", "b" })
        {
            d.Image($"train/images/{id}.png");
            d.GrayMask($"train/masks/{id}.png", 6, 4, 0, 1);
            d.Image($"val/images/{id}.png");
            d.GrayMask($"val/masks/{id}.png", 6, 4, 0, 1, 2);
        }
        string yaml = d.Yaml(TinyDataset.CleanYaml.Replace("  train: { images: train/images, masks: train/masks }", "  train: { images: train/images, masks: train/masks }\n  val: { images: val/images, masks: val/masks }"));
        var r = Check(d);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("move some images with it into 'train'", LineWith(r, "warning: class 'dog' has no pixel in split 'train' but is in 'val': a model cannot learn it, and it scores 0 IoU there"));
        Assert.DoesNotContain("no pixel in the", r.All);   // not the warning for a class in no split

        // Training checks its train and val splits first, and says so before it starts.
        var messages = new List<string>();
        SharpSeg.Training.Trainer.Create(SharpSeg.Training.TrainingRecipe.Load(null, [$"data.dataset={yaml}", "model.depth=1", "model.base_width=4", "augment.crop=[4, 4]", "train.iterations=1", "train.val_every=1", "train.batch_size=2", "train.workers=0"]),
            TestPaths.NewTempDir("train-missing-from-train")).Run(new SharpSeg.Tests.Training.TrainingNotes(messages));
        Assert.Contains(messages, m => m.StartsWith("warning: class 'dog' has no pixel in split 'train'", StringComparison.Ordinal));
    }

    [Fact]
    public void UnknownSplitAndMissingArgument()
    {
        var r = Check(TinyDataset.Clean("cli-split"), "--split", "vall");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("no split 'vall'", LineWith(r, "vall"));

        r = CliRunner.Run("data", "check");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("missing required argument", LineWith(r, "error"));
        r = CliRunner.Run("data", "init", "--images", "x");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("--out", LineWith(r, "error"));
    }
}
