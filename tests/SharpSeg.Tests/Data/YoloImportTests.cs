using SharpSeg.Data.Dataset;
using SharpSeg.Imaging;
using Xunit;

namespace SharpSeg.Tests.Data;

/// <summary>YOLO segmentation labels to masks (<c>sharpseg data from-yolo</c>, docs/DATASETS.md "From YOLO").</summary>
public sealed class YoloImportTests
{
    const int W = 40, H = 20;

    static void Label(TinyDataset d, string relative, params string[] lines)
    {
        string path = d.PathOf(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllLines(path, lines);
    }

    static TinyDataset WithImages(string name)
    {
        var d = new TinyDataset(name);
        Directory.CreateDirectory(d.PathOf("images/sub"));
        d.Image("images/a.png", W, H);
        d.Image("images/sub/b.png", W, H);
        d.Image("images/empty.png", W, H);
        return d;
    }

    [Fact]
    public void PolygonsInFractionsOfTheImageArePaintedWithTheirClassIds()
    {
        var d = WithImages("yolo");
        // a: class 1 over the left half (x 0..20, y 0..20), then class 0 on top of x 10..30, y 5..15.
        Label(d, "labels/a.txt", "1 0 0 0.5 0 0.5 1 0 1", "0 0.25 0.25 0.75 0.25 0.75 0.75 0.25 0.75", "");
        Label(d, "labels/sub/b.txt", "2 0.5 0 1 0 1 1 0.5 1");
        File.WriteAllText(d.PathOf("data.yaml"), "path: .\ntrain: images\nnames:\n  0: scratch\n  1: dent\n  2: rust\n");
        string outDir = d.PathOf("ds");
        var r = CliRunner.Run(["data", "from-yolo", d.PathOf("labels"), "--images", d.PathOf("images"), "--names", d.PathOf("data.yaml"), "--out", outDir]);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("wrote 3 masks", r.StdOut);
        Assert.Contains("from 3 polygons", r.StdOut);
        Assert.Contains("note: 1 of 3 images have no label file", r.StdOut);
        Assert.Contains("classes: 0 background, 1 scratch, 2 dent, 3 rust", r.StdOut);

        var a = PngCodec.Decode(Path.Combine(outDir, "train/masks/a.png")).Samples;
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++)
            {
                int expected = x is >= 10 and < 30 && y is >= 5 and < 15 ? 1 : x < 20 ? 2 : 0;
                Assert.True(expected == a[y * W + x], $"a.png ({x}, {y}): expected {expected}, got {a[y * W + x]}");
            }
        var b = PngCodec.Decode(Path.Combine(outDir, "train/masks/sub/b.png")).Samples;
        Assert.Equal(W / 2 * H, b.Count(v => v == 3));
        Assert.All(PngCodec.Decode(Path.Combine(outDir, "train/masks/empty.png")).Samples, v => Assert.Equal(0, v));
        var spec = DatasetSpec.Load(Path.Combine(outDir, "dataset.yaml"));
        Assert.Equal(["a", "empty", "sub/b"], spec.ListSplit("train").Pairs.Select(p => p.Id));
        var check = CliRunner.Run(["data", "check", Path.Combine(outDir, "dataset.yaml")]);
        Assert.True(check.ExitCode == 0, check.ToString());

        // Names as a list, by --classes, or none (class_k up to the largest id).
        File.WriteAllText(d.PathOf("list.yaml"), "names: [scratch, dent, rust]\n");
        Assert.Equal(["scratch", "dent", "rust"], SharpSeg.Import.YoloImport.Names(d.PathOf("list.yaml")));
        var unnamed = CliRunner.Run(["data", "from-yolo", d.PathOf("labels"), "--images", d.PathOf("images"), "--out", d.PathOf("ds2")]);
        Assert.True(unnamed.ExitCode == 0, unnamed.ToString());
        Assert.Contains("classes: 0 background, 1 class_0, 2 class_1, 3 class_2", unnamed.StdOut);
        // A val split without the largest id would name fewer classes: the line says how to give it the train split's.
        Label(d, "val-labels/a.txt", "0 0 0 1 0 1 1");
        CliRunner.Run(["data", "from-yolo", d.PathOf("val-labels"), "--images", d.PathOf("images"), "--out", d.PathOf("ds2"), "--split", "val"])
            .AssertOneLineError("give this import the same classes (--classes class_0,class_1,class_2), or import into another --out");
        // A classes.txt in the labels folder (LabelImg, CVAT) names the ids when nothing else does.
        File.WriteAllText(d.PathOf("labels/classes.txt"), "scratch\ndent\nrust\n");
        var txt = CliRunner.Run(["data", "from-yolo", d.PathOf("labels"), "--images", d.PathOf("images"), "--out", d.PathOf("ds3")]);
        Assert.True(txt.ExitCode == 0, txt.ToString());
        Assert.Contains("classes: 0 background, 1 scratch, 2 dent, 3 rust", txt.StdOut);
    }

    [Theory]
    [InlineData("0 0.5 0.5 0.2 0.2", "is a YOLO detection box, not a segmentation outline")]
    [InlineData("0 10 5 30 5 30 15", "coordinate 10 is outside 0..1; YOLO coordinates are fractions")]
    [InlineData("0 0.1 0.1 0.2", "3 coordinates; a polygon needs x y pairs, at least 3 points")]
    [InlineData("x 0.1 0.1 0.2 0.1 0.2 0.2", "'x' is not a class id")]
    [InlineData("5 0.1 0.1 0.2 0.1 0.2 0.2", "class id 5, but only 3 classes are named (scratch, dent, rust)")]
    public void ALabelItCannotReadIsOneLineNamingFileAndLine(string line, string expected)
    {
        var d = WithImages("yolo-bad");
        Label(d, "labels/a.txt", "0 0 0 1 0 1 1", line);
        var r = CliRunner.Run(["data", "from-yolo", d.PathOf("labels"), "--images", d.PathOf("images"), "--classes", "scratch,dent,rust", "--out", d.PathOf("ds")]);
        r.AssertOneLineError(expected);
        if (!expected.StartsWith("class id", StringComparison.Ordinal)) Assert.Contains("a.txt, line 2", r.StdErr);
        Assert.False(Directory.Exists(d.PathOf("ds/train/masks")));
    }

    [Fact]
    public void ALabelWithoutItsImageAndMissingNamesAreOneLine()
    {
        var d = WithImages("yolo-missing");
        Label(d, "labels/zz.txt", "0 0 0 1 0 1 1");
        CliRunner.Run(["data", "from-yolo", d.PathOf("labels"), "--images", d.PathOf("images"), "--out", d.PathOf("ds")])
            .AssertOneLineError("zz.txt: no image 'zz.*' in --images");
        File.Delete(d.PathOf("labels/zz.txt"));
        Label(d, "labels/a.txt", "0 0 0 1 0 1 1");
        File.WriteAllText(d.PathOf("gap.yaml"), "names: {0: a, 2: c}\n");
        CliRunner.Run(["data", "from-yolo", d.PathOf("labels"), "--images", d.PathOf("images"), "--names", d.PathOf("gap.yaml"), "--out", d.PathOf("ds")])
            .AssertOneLineError("'names' ids are not 0..1 without gaps");
        CliRunner.Run(["data", "from-yolo", d.PathOf("labels"), "--images", d.PathOf("images"), "--names", d.PathOf("nope.yaml"), "--out", d.PathOf("ds")])
            .AssertOneLineError("--names");
        CliRunner.Run(["data", "from-yolo", d.PathOf("labels"), "--out", d.PathOf("ds")]).AssertOneLineError("needs --images DIR");
    }
}
