using System.Text.Json;
using SharpSeg.Data.Dataset;
using SharpSeg.Import;
using SharpSeg.Imaging;
using SharpSeg.Instances;
using Xunit;

namespace SharpSeg.Tests.Data;

/// <summary>COCO annotation files to masks (<c>sharpseg data from-coco</c>, docs/DATASETS.md "From COCO"): polygons and
/// both RLE forms land on the pixels they cover, overlaps resolve to the smaller annotation, and the dataset.yaml
/// it writes passes <c>data check</c>.</summary>
public sealed class CocoImportTests
{
    const int W = 40, H = 30;

    static TinyDataset Images(string name, params string[] files)
    {
        var d = new TinyDataset(name);
        foreach (var f in files)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(d.PathOf("images/" + f))!);
            d.Image("images/" + f, W, H);
        }
        return d;
    }

    static bool[] Disc(int cx, int cy, int r)
    {
        var m = new bool[W * H];
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++) m[y * W + x] = (x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r;
        return m;
    }

    /// <summary>Image 1: a cat rectangle (pixels 2..21 × 3..17) as a polygon with a dog rectangle inside it (10..13 ×
    /// 5..8) listed first; a bird disc as compressed RLE. Image 2: a bird disc as an uncompressed RLE list. Image 3: none.</summary>
    static string Coco(TinyDataset d, string file = "train.json", string[]? names = null)
    {
        names ??= ["a.png", "b.png", "c.png"];
        var bird = CocoRle.Encode(Disc(30, 20, 5), W, H);
        var bird2 = CocoRle.Encode(Disc(8, 8, 4), W, H);
        var json = new
        {
            images = names.Select((n, i) => new { id = 100 + i, file_name = n, width = W, height = H }).ToArray(),
            categories = new object[] { new { id = 18, name = "dog" }, new { id = 17, name = "cat" }, new { id = 16, name = "bird" } },
            annotations = new object[]
            {
                new { id = 1, image_id = 100, category_id = 18, area = 16.0, iscrowd = 0, segmentation = new[] { new double[] { 10, 5, 14, 5, 14, 9, 10, 9 } } },
                new { id = 2, image_id = 100, category_id = 17, area = 300.0, iscrowd = 0, segmentation = new[] { new double[] { 2, 3, 22, 3, 22, 18, 2, 18 } } },
                new { id = 3, image_id = 100, category_id = 16, area = (double)bird.Area, iscrowd = 1, segmentation = (object)new { size = new[] { H, W }, counts = bird.ToCompressedString() } },
                new { id = 4, image_id = 101, category_id = 16, area = (double)bird2.Area, iscrowd = 0, segmentation = (object)new { size = new[] { H, W }, counts = bird2.Counts.ToArray() } },
            },
        };
        string path = d.PathOf(file);
        File.WriteAllText(path, JsonSerializer.Serialize(json));
        return path;
    }

    [Fact]
    public void PolygonsAndRlesLandOnTheirPixelsAndTheSmallerAnnotationWins()
    {
        var d = Images("coco", "a.png", "b.png", "c.png", "not-listed.png");
        string outDir = d.PathOf("ds");
        var r = CliRunner.Run(["data", "from-coco", Coco(d), "--images", d.PathOf("images"), "--out", outDir]);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("split 'train': wrote 3 masks", r.StdOut);
        Assert.Contains("(1 crowd, painted as their class)", r.StdOut);
        Assert.Contains("1 images have no annotation: all background", r.StdOut);
        Assert.Contains("classes: 0 background, 1 bird, 2 cat, 3 dog", r.StdOut);   // by category id: 16, 17, 18

        var a = PngCodec.Decode(Path.Combine(outDir, "train/masks/a.png"));
        var birdA = Disc(30, 20, 5);
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++)
            {
                int expected = x is >= 10 and <= 13 && y is >= 5 and <= 8 ? 3
                    : x is >= 2 and <= 21 && y is >= 3 and <= 17 ? 2
                    : birdA[y * W + x] ? 1 : 0;
                Assert.True(expected == a.Samples[y * W + x], $"a.png ({x}, {y}): expected {expected}, got {a.Samples[y * W + x]}");
            }
        var b = PngCodec.Decode(Path.Combine(outDir, "train/masks/b.png"));
        var birdB = Disc(8, 8, 4);
        for (int i = 0; i < W * H; i++) Assert.Equal(birdB[i] ? 1 : 0, b.Samples[i]);
        Assert.All(PngCodec.Decode(Path.Combine(outDir, "train/masks/c.png")).Samples, v => Assert.Equal(0, v));

        // A second split into the same folder; the yaml names both, and data check passes (not-listed.png is left out).
        Coco(d, "val.json", ["b.png", "a.png"]);
        var v = CliRunner.Run(["data", "from-coco", d.PathOf("val.json"), "--images", d.PathOf("images"), "--out", outDir, "--split", "val"]);
        Assert.True(v.ExitCode == 0, v.ToString());
        var spec = DatasetSpec.Load(Path.Combine(outDir, "dataset.yaml"));
        Assert.Equal(["train", "val"], spec.SplitNames);
        Assert.Equal(["background", "bird", "cat", "dog"], spec.Classes.Classes.Select(c => c.Name));
        Assert.Equal(3, spec.ListSplit("train").Pairs.Count);
        Assert.Equal(2, spec.ListSplit("val").Pairs.Count);
        var check = CliRunner.Run(["data", "check", Path.Combine(outDir, "dataset.yaml")]);
        Assert.True(check.ExitCode == 0, check.ToString());

        var again = CliRunner.Run(["data", "from-coco", Coco(d), "--images", d.PathOf("images"), "--out", outDir]);
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("already holds masks; pass --force", again.All);
    }

    [Fact]
    public void PolygonFillMatchesPointInPolygonAtPixelCentres()
    {
        double[][] shapes =
        [
            [3.2, 1.7, 35.9, 6.1, 20.4, 27.8],                       // a triangle
            [5, 5, 30, 5, 30, 25, 18, 12, 5, 25],                     // a concave "M"
            [0, 0, 40, 0, 40, 30, 0, 30, 10, 10, 30, 10, 30, 20, 10, 20], // not used as one ring: see the hole case below
        ];
        foreach (var ring in shapes.Take(2))
        {
            var labels = new byte[W * H];
            PolygonRaster.Fill(labels, W, H, [ring], 1);
            for (int y = 0; y < H; y++)
                for (int x = 0; x < W; x++)
                    Assert.True(Inside(ring, x + 0.5, y + 0.5) == (labels[y * W + x] == 1), $"pixel ({x}, {y})");
        }
        // Two rings: the inner one is a hole.
        var holed = new byte[W * H];
        PolygonRaster.Fill(holed, W, H, [[0, 0, 40, 0, 40, 30, 0, 30], [10, 10, 30, 10, 30, 20, 10, 20]], 1);
        Assert.Equal(1, holed[5 * W + 5]);
        Assert.Equal(0, holed[15 * W + 20]);
        Assert.Equal(W * H - 20 * 10, holed.Count(v => v == 1));
    }

    static bool Inside(double[] ring, double px, double py)
    {
        bool inside = false;
        int n = ring.Length / 2;
        for (int i = 0, j = n - 1; i < n; j = i++)
        {
            double xi = ring[2 * i], yi = ring[2 * i + 1], xj = ring[2 * j], yj = ring[2 * j + 1];
            if ((yi > py) != (yj > py) && px < (xj - xi) * (py - yi) / (yj - yi) + xi) inside = !inside;
        }
        return inside;
    }

    [Fact]
    public void ProblemsAreOneLineNamingTheFile()
    {
        var d = Images("coco-errors", "a.png", "b.png");
        string json = Coco(d);
        var missing = CliRunner.Run(["data", "from-coco", json, "--images", d.PathOf("images"), "--out", d.PathOf("ds")]);
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("image 'c.png' (id 102) is not in", missing.All);
        Assert.Contains("1 of 3 listed images are missing", missing.All);
        Assert.False(Directory.Exists(d.PathOf("ds/train/masks")), "nothing may be written before every image is checked");

        d.Image("images/c.png", W + 1, H);
        var size = CliRunner.Run(["data", "from-coco", json, "--images", d.PathOf("images"), "--out", d.PathOf("ds")]);
        Assert.Equal(1, size.ExitCode);
        Assert.Contains("c.png: image is 41x30 but", size.All);

        File.WriteAllText(d.PathOf("bad.json"), "{\"images\": [], \"annotations\": [], \"categories\": [{\"id\": 1, \"name\": \"x\"}], \"extra\": [");
        Assert.Contains("bad.json: not valid JSON", CliRunner.Run(["data", "from-coco", d.PathOf("bad.json"), "--images", d.PathOf("images"), "--out", d.PathOf("ds")]).All);
        File.WriteAllText(d.PathOf("cat.json"), "{\"images\": [{\"id\": 1, \"file_name\": \"a.png\", \"width\": 40, \"height\": 30}], \"categories\": [{\"id\": 1, \"name\": \"x\"}],"
            + " \"annotations\": [{\"id\": 7, \"image_id\": 1, \"category_id\": 5, \"segmentation\": [[0, 0, 4, 0, 4, 4]]}]}");
        var cat = CliRunner.Run(["data", "from-coco", d.PathOf("cat.json"), "--images", d.PathOf("images"), "--out", d.PathOf("ds2")]);
        Assert.Equal(1, cat.ExitCode);
        Assert.Contains("annotation 7 has category id 5, which 'categories' does not list", cat.All);
    }
}
