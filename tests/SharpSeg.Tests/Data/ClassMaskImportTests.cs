using SharpSeg.Data.Dataset;
using SharpSeg.Imaging;
using SharpSeg.Import;
using Xunit;

namespace SharpSeg.Tests.Data;

/// <summary>Per-class binary masks to index masks (<c>sharpseg data from-class-masks</c>, docs/DATASETS.md "From
/// per-class binary masks").</summary>
public sealed class ClassMaskImportTests
{
    const int W = 40, H = 30;

    /// <summary>A binary mask that is <paramref name="on"/> inside the rectangle [x0, x1) × [y0, y1) and 0 elsewhere.</summary>
    static void Box(TinyDataset d, string relative, int x0, int y0, int x1, int y1, byte on = 255, int width = W, int height = H)
    {
        var px = new byte[width * height];
        for (int y = y0; y < y1; y++)
            for (int x = x0; x < x1; x++) px[y * width + x] = on;
        string path = d.PathOf(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        PngCodec.SaveGray8(path, width, height, px);
    }

    static void Images(TinyDataset d, params string[] names)
    {
        foreach (var n in names)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(d.PathOf(n))!);
            d.Image(n, W, H);
        }
    }

    [Fact]
    public void OneFolderPerClassBecomesOneIndexMaskPerImage()
    {
        var d = new TinyDataset("classmasks-per-class");
        Images(d, "images/a.png", "images/sub/b.png", "images/c.png");
        Box(d, "masks/crack/a.png", 0, 0, 20, 10);                // 0/255
        Box(d, "masks/rust/a.png", 10, 5, 30, 20, on: 1);          // saved as 0/1; overlaps the crack on 10×5 pixels
        Box(d, "masks/crack/sub/b.png", 5, 5, 6, 25);             // a one-pixel-wide crack, mirrored subfolder
        string outDir = d.PathOf("ds");
        var r = CliRunner.Run(["data", "from-class-masks", d.PathOf("masks"), "--images", d.PathOf("images"), "--out", outDir]);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("wrote 3 masks", r.StdOut);
        Assert.Contains("from 3 class masks (one folder per class)", r.StdOut);
        Assert.Contains("note: 1 of 3 images have no class mask", r.StdOut);
        Assert.Contains("note: 50 pixels are claimed by more than one class mask", r.StdOut);
        Assert.Contains("classes: 0 background, 1 crack, 2 rust", r.StdOut);

        var a = PngCodec.Decode(Path.Combine(outDir, "train/masks/a.png")).Samples;
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++)
            {
                int expected = x is >= 10 and < 30 && y is >= 5 and < 20 ? 2 : x < 20 && y < 10 ? 1 : 0;
                Assert.True(expected == a[y * W + x], $"a.png ({x}, {y}): expected {expected}, got {a[y * W + x]}");
            }
        var b = PngCodec.Decode(Path.Combine(outDir, "train/masks/sub/b.png")).Samples;
        Assert.Equal(20, b.Count(v => v == 1));
        Assert.Equal(1, b[10 * W + 5]);
        Assert.All(PngCodec.Decode(Path.Combine(outDir, "train/masks/c.png")).Samples, v => Assert.Equal(0, v));

        var spec = DatasetSpec.Load(Path.Combine(outDir, "dataset.yaml"));
        Assert.Equal(["a", "c", "sub/b"], spec.ListSplit("train").Pairs.Select(p => p.Id));
        var check = CliRunner.Run(["data", "check", Path.Combine(outDir, "dataset.yaml")]);
        Assert.True(check.ExitCode == 0, check.ToString());

        // --classes sets the order, and so which class keeps an overlap: crack last now.
        var ordered = CliRunner.Run(["data", "from-class-masks", d.PathOf("masks"), "--images", d.PathOf("images"), "--out", d.PathOf("ds2"), "--classes", "rust,crack"]);
        Assert.True(ordered.ExitCode == 0, ordered.ToString());
        Assert.Contains("classes: 0 background, 1 rust, 2 crack", ordered.StdOut);
        var a2 = PngCodec.Decode(d.PathOf("ds2/train/masks/a.png")).Samples;
        Assert.Equal(2, a2[7 * W + 15]);   // in both: the crack, listed later
        Assert.Equal(1, a2[15 * W + 25]);  // rust only
    }

    [Fact]
    public void OneFolderPerImageIsFoundByItsFolderNames()
    {
        var d = new TinyDataset("classmasks-per-image");
        Images(d, "images/x.jpg", "images/y.png");
        d.Image("images/x.jpg", W, H);
        Box(d, "masks/x/road.png", 0, 20, W, H);
        Box(d, "masks/x/car.png", 5, 15, 15, 25, on: 200);
        Box(d, "masks/y/road.png", 0, 0, W, H);
        var r = CliRunner.Run(["data", "from-class-masks", d.PathOf("masks"), "--images", d.PathOf("images"), "--out", d.PathOf("ds"), "--split", "val"]);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("from 3 class masks (one folder per image)", r.StdOut);
        Assert.Contains("classes: 0 background, 1 car, 2 road", r.StdOut);
        var x = PngCodec.Decode(d.PathOf("ds/val/masks/x.png")).Samples;
        Assert.Equal(1, x[17 * W + 10]);   // car only
        Assert.Equal(2, x[22 * W + 10]);   // car and road: road is later
        Assert.Equal(0, x[2 * W + 2]);
        Assert.All(PngCodec.Decode(d.PathOf("ds/val/masks/y.png")).Samples, v => Assert.Equal(2, v));
    }

    [Fact]
    public void WhenBothLayoutsFitTheUserChoosesAndNamesWithSpacesWork()
    {
        var d = new TinyDataset("classmasks-ambiguous");
        Images(d, "images/1.png", "images/2.png", "images/my img.png");
        Box(d, "masks/1/1.png", 0, 0, 5, 5);          // class "1" of image 1, or class "1" of image "1"?
        Box(d, "masks/2/2.png", 0, 0, 5, 5);
        Box(d, "masks/2/my img.png", 0, 0, 10, 10);
        CliRunner.Run(["data", "from-class-masks", d.PathOf("masks"), "--images", d.PathOf("images"), "--out", d.PathOf("ds")])
            .AssertOneLineError("are both named like images, so either layout fits; pass --layout per-class");
        var r = CliRunner.Run(["data", "from-class-masks", d.PathOf("masks"), "--images", d.PathOf("images"), "--out", d.PathOf("ds"), "--layout", "per-class"]);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("(one folder per class)", r.StdOut);
        Assert.Equal(100, PngCodec.Decode(d.PathOf("ds/train/masks/my img.png")).Samples.Count(v => v == 2));
        // The ids file names "my img", a key with a space: the split still reads it.
        var check = CliRunner.Run(["data", "check", d.PathOf("ds/dataset.yaml")]);
        Assert.True(check.ExitCode == 0, check.ToString());
        Assert.Contains("checked 3 pairs", check.StdOut);
        Box(d, "per-image/1/crack.png", 0, 0, 5, 5);
        Box(d, "per-image/extra/crack.png", 0, 0, 5, 5);
        CliRunner.Run(["data", "from-class-masks", d.PathOf("per-image"), "--images", d.PathOf("images"), "--out", d.PathOf("ds3"), "--layout", "per-image"])
            .AssertOneLineError("extra: no image 'extra.*' in --images");
        CliRunner.Run(["data", "from-class-masks", d.PathOf("masks"), "--images", d.PathOf("images"), "--out", d.PathOf("ds4"), "--layout", "diagonal"])
            .AssertOneLineError("--layout 'diagonal': use per-class");
    }

    [Fact]
    public void DataInitPointsAtTheImporterForEitherLayout()
    {
        var d = new TinyDataset("classmasks-init");
        Images(d, "images/a.png", "images/b.png");
        Box(d, "per-class/crack/a.png", 0, 0, 5, 5);
        Box(d, "per-class/rust/b.png", 0, 0, 5, 5);
        Box(d, "per-image/a/crack.png", 0, 0, 5, 5);
        Box(d, "per-image/b/crack.png", 0, 0, 5, 5);
        foreach (var masks in new[] { "per-class", "per-image" })
            CliRunner.Run(["data", "init", "--images", d.PathOf("images"), "--masks", d.PathOf(masks), "--out", d.PathOf(masks + ".yaml")])
                .AssertOneLineError($"holds one binary mask per class (a folder per class or per image), not one mask per image; merge them with 'sharpseg data from-class-masks {d.PathOf(masks)} --images");
        // Cityscapes: masks in per-city folders with their images' stems and another suffix are one mask per image.
        Assert.False(SharpSeg.Data.Dataset.DatasetDraft.LooksLikeClassMasks(["aachen/x_leftImg8bit"], ["aachen/x_gtFine_labelIds"]));
        Assert.False(SharpSeg.Data.Dataset.DatasetDraft.LooksLikeClassMasks(["x"], ["y"]));
    }

    [Fact]
    public void SoftEdgesAreCutAtHalfAndZeroOneMasksAtOne()
    {
        var mask = new byte[5];
        Assert.Equal(0, ClassMaskImport.Paint(mask, [0, 127, 128, 255, 60], 3));
        Assert.Equal([0, 0, 3, 3, 0], mask);
        Assert.Equal(1, ClassMaskImport.Paint(mask, [0, 1, 1, 0, 0], 4)); // 0/1: on where not 0; pixel 2 was class 3
        Assert.Equal([0, 4, 4, 3, 0], mask);
        Assert.Equal(0, ClassMaskImport.Paint(mask, [0, 0, 0, 0, 0], 5));  // an empty mask paints nothing
        Assert.Equal([0, 4, 4, 3, 0], mask);
        Assert.Equal(0, ClassMaskImport.Paint(mask, [80, 3, 0, 0, 0], 6, lossy: true)); // a faint JPEG: noise, not a 0/1 mask
        Assert.Equal([0, 4, 4, 3, 0], mask);
    }

    [Fact]
    public void MistakesAreOneLineBeforeAnythingIsWritten()
    {
        var d = new TinyDataset("classmasks-errors");
        Images(d, "images/a.png");
        Box(d, "masks/crack/a.png", 0, 0, 5, 5, width: 20, height: 10);
        var wrongSize = CliRunner.Run(["data", "from-class-masks", d.PathOf("masks"), "--images", d.PathOf("images"), "--out", d.PathOf("ds")]);
        wrongSize.AssertOneLineError("the 'crack' mask is 20x10 but its image");
        Assert.False(Directory.Exists(d.PathOf("ds/train/masks")));

        Box(d, "masks/crack/a.png", 0, 0, 5, 5);
        Box(d, "masks/crack/zz.png", 0, 0, 5, 5);
        CliRunner.Run(["data", "from-class-masks", d.PathOf("masks"), "--images", d.PathOf("images"), "--out", d.PathOf("ds")])
            .AssertOneLineError("zz.png: no image 'zz.*' in --images");
        File.Delete(d.PathOf("masks/crack/zz.png"));

        d.GrayMask("masks/crack/a.png", W, H, 0, 1, 2, 3);   // an index mask put where a class mask belongs
        CliRunner.Run(["data", "from-class-masks", d.PathOf("masks"), "--images", d.PathOf("images"), "--out", d.PathOf("ds")])
            .AssertOneLineError("the 'crack' mask holds the values 0, 1, 2, 3, as an index mask does");
        Box(d, "masks/crack/a.png", 0, 0, 5, 5);

        Box(d, "masks/rust/a.png", 0, 0, 5, 5);
        CliRunner.Run(["data", "from-class-masks", d.PathOf("masks"), "--images", d.PathOf("images"), "--out", d.PathOf("ds"), "--classes", "crack"])
            .AssertOneLineError("class 'rust' is not in --classes (crack)");
        CliRunner.Run(["data", "from-class-masks", d.PathOf("masks"), "--out", d.PathOf("ds")]).AssertOneLineError("needs --images DIR");
        Directory.CreateDirectory(d.PathOf("flat"));
        Box(d, "flat/a.png", 0, 0, 5, 5);
        CliRunner.Run(["data", "from-class-masks", d.PathOf("flat"), "--images", d.PathOf("images"), "--out", d.PathOf("ds")])
            .AssertOneLineError("holds no folders");
        Box(d, "images/masks/crack/a.png", 0, 0, 5, 5);
        CliRunner.Run(["data", "from-class-masks", d.PathOf("images/masks"), "--images", d.PathOf("images"), "--out", d.PathOf("ds")])
            .AssertOneLineError("lies inside --images");
        Assert.False(Directory.Exists(d.PathOf("ds/train/masks")));
    }
}
