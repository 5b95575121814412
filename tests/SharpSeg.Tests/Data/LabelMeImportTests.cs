using System.Text.Json;
using SharpSeg.Data.Dataset;
using SharpSeg.Imaging;
using Xunit;

namespace SharpSeg.Tests.Data;

/// <summary>LabelMe folders to masks (<c>sharpseg data from-labelme</c>, docs/DATASETS.md "From LabelMe").</summary>
public sealed class LabelMeImportTests
{
    const int W = 40, H = 30;

    static void LabelMe(TinyDataset d, string json, string image, params object[] shapes)
    {
        d.Image(image, W, H);
        string path = d.PathOf(json);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, JsonSerializer.Serialize(new { version = "5.4.1", shapes, imagePath = Path.GetRelativePath(Path.GetDirectoryName(path)!, d.PathOf(image)), imageData = (string?)null, imageHeight = H, imageWidth = W }));
    }

    static object Shape(string label, string type, params double[][] points) => new { label, points, group_id = (int?)null, shape_type = type, flags = new { } };

    [Fact]
    public void ShapesArePaintedInOrderWithTheirLabels()
    {
        var d = new TinyDataset("labelme");
        LabelMe(d, "ann/a.json", "ann/a.png",
            Shape("cat", "polygon", [2, 3], [22, 3], [22, 18], [2, 18]),
            Shape("dog", "rectangle", [14, 9], [10, 5]),                 // corners in any order; on top of the cat
            Shape("bird", "circle", [30, 20], [34, 20]),
            Shape("cat", "line", [0, 29], [39, 29]),                      // no area
            Shape("__ignore__", "rectangle", [0, 0], [2, 2]));
        LabelMe(d, "ann/sub/b.json", "ann/sub/b.png", Shape("dog", "polygon", [0, 0], [5, 0], [5, 5], [0, 5]));
        string outDir = d.PathOf("ds");
        var r = CliRunner.Run(["data", "from-labelme", d.PathOf("ann"), "--out", outDir]);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("wrote 2 masks", r.StdOut);
        Assert.Contains("(1 lines or points have no area and were not painted)", r.StdOut);
        Assert.Contains("classes: 0 background, 1 bird, 2 cat, 3 dog", r.StdOut);

        var a = PngCodec.Decode(Path.Combine(outDir, "train/masks/a.png")).Samples;
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++)
            {
                int expected = x < 2 && y < 2 ? 255
                    : x is >= 10 and <= 13 && y is >= 5 and <= 8 ? 3
                    : x is >= 2 and <= 21 && y is >= 3 and <= 17 ? 2
                    : (x + 0.5 - 30) * (x + 0.5 - 30) + (y + 0.5 - 20) * (y + 0.5 - 20) < 15 ? 1   // well inside the circle
                    : -1;
                if (expected >= 0) Assert.True(expected == a[y * W + x], $"a.png ({x}, {y}): expected {expected}, got {a[y * W + x]}");
            }
        Assert.Equal(0, a[29 * W + 20]);   // the line painted nothing
        var spec = DatasetSpec.Load(Path.Combine(outDir, "dataset.yaml"));
        Assert.True(spec.GetSplit("train").Recursive);
        Assert.Equal(["a", "sub/b"], spec.ListSplit("train").Pairs.Select(p => p.Id));
        var check = CliRunner.Run(["data", "check", Path.Combine(outDir, "dataset.yaml")]);
        Assert.True(check.ExitCode == 0, check.ToString());

        var ordered = CliRunner.Run(["data", "from-labelme", d.PathOf("ann"), "--out", d.PathOf("ds2"), "--classes", "dog,cat"]);
        Assert.Equal(1, ordered.ExitCode);
        Assert.Contains("label 'bird' is not in --classes (dog, cat)", ordered.All);
        Assert.Equal(0, CliRunner.Run(["data", "from-labelme", d.PathOf("ann"), "--out", d.PathOf("ds2"), "--classes", "dog,cat,bird"]).ExitCode);
        Assert.Equal(1, PngCodec.Decode(d.PathOf("ds2/train/masks/sub/b.png")).Samples[0]);   // dog is class 1 now
    }

    [Fact]
    public void AWrongImageSizeOrAMissingImageIsOneLine()
    {
        var d = new TinyDataset("labelme-errors");
        LabelMe(d, "ann/a.json", "ann/a.png", Shape("cat", "polygon", [2, 3], [22, 3], [22, 18]));
        d.Image("ann/a.png", W, H + 2);
        var r = CliRunner.Run(["data", "from-labelme", d.PathOf("ann"), "--out", d.PathOf("ds")]);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("a.png: image is 40x32 but", r.All);
        File.Delete(d.PathOf("ann/a.png"));
        var missing = CliRunner.Run(["data", "from-labelme", d.PathOf("ann"), "--out", d.PathOf("ds")]);
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("a.json: its image", missing.All);
        Assert.False(Directory.Exists(d.PathOf("ds/train/masks")));

        // A shape kind it cannot fill is refused, not skipped.
        var m = new TinyDataset("labelme-mask-shape");
        LabelMe(m, "ann/a.json", "ann/a.png", Shape("cat", "mask", [2, 3], [22, 18]));
        var refused = CliRunner.Run(["data", "from-labelme", m.PathOf("ann"), "--out", m.PathOf("ds")]);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("shape 'cat' is a 'mask', which data from-labelme does not read", refused.All);
    }
}
