using SharpSeg.Data;
using SharpSeg.Data.Synthetic;
using SharpSeg.Imaging;
using Xunit;
using SharpSeg.Data.Loading;

namespace SharpSeg.Tests.Data;

public sealed class SyntheticSceneTests
{
    static List<SegmentationSample> Make(int seed, int train = 12, string split = "train") =>
        SyntheticSceneGenerator.Generate(new SyntheticSceneOptions { Seed = seed, Train = train, Val = 3 }, split).ToList();

    [Fact]
    public void SameSeedGivesIdenticalBytesAndOtherSeedsDiffer()
    {
        var a = Make(7); var b = Make(7); var c = Make(8);
        Assert.Equal(12, a.Count);
        for (int i = 0; i < a.Count; i++)
        {
            Assert.Equal(a[i].Id, b[i].Id);
            Assert.Equal(a[i].Image.Pixels, b[i].Image.Pixels);
            Assert.Equal(a[i].Mask.Labels, b[i].Mask.Labels);
        }
        Assert.NotEqual(a[0].Image.Pixels, c[0].Image.Pixels);
        Assert.NotEqual(a[0].Mask.Labels, c[0].Mask.Labels);
        // Train and val are different scenes.
        Assert.NotEqual(a[0].Image.Pixels, Make(7, split: "val")[0].Image.Pixels);
    }

    [Fact]
    public void DefaultTrainSplitHasEveryClassARareClassInBandAndOnlyValidValues()
    {
        var samples = SyntheticSceneGenerator.Generate(new SyntheticSceneOptions()).ToList();
        Assert.Equal(160, samples.Count);
        int classes = SyntheticSceneGenerator.ClassNames.Count;
        Assert.Equal(6, classes);
        var counts = new long[256];
        foreach (var s in samples)
        {
            Assert.Equal(128, s.Image.Width); Assert.Equal(128, s.Mask.Height); Assert.Equal(3, s.Image.Channels);
            foreach (var v in s.Mask.Labels) counts[v]++;
        }
        for (int v = classes; v < 255; v++) Assert.True(counts[v] == 0, $"mask value {v} is not a class");
        long total = counts.Sum();
        for (int c = 0; c < classes; c++) Assert.True(counts[c] > 0, $"class {SyntheticSceneGenerator.ClassNames[c]} never appears");
        double rare = (double)counts[SyntheticSceneGenerator.RareClass] / total;
        Assert.InRange(rare, 0.005, 0.025);
        double ignore = (double)counts[LabelMask.Ignore] / total;
        Assert.InRange(ignore, 0.002, 0.05);
        // No class dominates so much that predicting it everywhere looks good.
        for (int c = 0; c < classes; c++) Assert.True((double)counts[c] / total < 0.6, $"class {c} covers {(double)counts[c] / total:P1}");
    }

    [Fact]
    public void ColourAloneDoesNotSeparateTheShapeClasses()
    {
        // Mean colours of disc, box and triangle pixels per image vary widely and overlap: the three classes share a palette.
        var samples = Make(3, train: 60);
        var hueBins = new HashSet<int>[3] { [], [], [] };
        foreach (var s in samples)
            for (int cls = 2; cls <= 4; cls++)
            {
                double r = 0, g = 0, b = 0; int n = 0;
                for (int i = 0; i < s.Mask.Labels.Length; i++)
                    if (s.Mask.Labels[i] == cls) { r += s.Image.Pixels[3 * i]; g += s.Image.Pixels[3 * i + 1]; b += s.Image.Pixels[3 * i + 2]; n++; }
                if (n < 50) continue;
                int dominant = r >= g && r >= b ? 0 : g >= b ? 1 : 2;
                hueBins[cls - 2].Add(dominant);
            }
        foreach (var bins in hueBins) Assert.True(bins.Count >= 2, "a shape class always has the same dominant colour channel");
    }

    [Fact]
    public void NearestMeanColourPerPixelScoresPoorly()
    {
        // A per-pixel classifier on colour alone (nearest class-mean RGB, fitted on train) must not solve the dataset:
        // a model has to use shape and texture. Independent check of "not trivial": its mIoU on val stays low.
        var options = new SyntheticSceneOptions { Train = 60, Val = 20 };
        int k = SyntheticSceneGenerator.ClassNames.Count;
        var sum = new double[k, 3]; var n = new long[k];
        foreach (var s in SyntheticSceneGenerator.Generate(options, "train"))
            for (int i = 0; i < s.Mask.Labels.Length; i++)
            {
                int l = s.Mask.Labels[i]; if (l == LabelMask.Ignore) continue;
                n[l]++; for (int c = 0; c < 3; c++) sum[l, c] += s.Image.Pixels[3 * i + c];
            }
        var inter = new long[k]; var union = new long[k];
        var pred = new long[k]; var truth = new long[k];
        foreach (var s in SyntheticSceneGenerator.Generate(options, "val"))
            for (int i = 0; i < s.Mask.Labels.Length; i++)
            {
                int l = s.Mask.Labels[i]; if (l == LabelMask.Ignore) continue;
                int best = 0; double bestD = double.MaxValue;
                for (int m = 0; m < k; m++)
                {
                    double d = 0;
                    for (int c = 0; c < 3; c++) { double e = s.Image.Pixels[3 * i + c] - sum[m, c] / n[m]; d += e * e; }
                    if (d < bestD) { bestD = d; best = m; }
                }
                pred[best]++; truth[l]++; if (best == l) inter[l]++;
            }
        double miou = Enumerable.Range(0, k).Average(c => (double)inter[c] / (pred[c] + truth[c] - inter[c]));
        Assert.True(miou < 0.45, $"colour-only mIoU {miou:F3}");
        Assert.True(miou > 0.01, $"colour-only mIoU {miou:F3}"); // sanity: the baseline itself works
    }

    [Fact]
    public void BadOptionsAreUserErrors()
    {
        Assert.Throws<SharpSegException>(() => Make(0, train: -1));
        Assert.Throws<SharpSegException>(() => SyntheticSceneGenerator.Generate(new SyntheticSceneOptions { Width = 0 }).ToList());
        Assert.Throws<SharpSegException>(() => SyntheticSceneGenerator.Generate(new SyntheticSceneOptions(), "test").ToList());
    }

    [Fact]
    public void CliSynthWritesTheDatasetDeterministically()
    {
        string dir = TestPaths.NewTempDir("synth");
        string a = Path.Combine(dir, "a"), b = Path.Combine(dir, "b");
        var r1 = CliRunner.Run("data", "synth", "--out", a, "--train", "6", "--val", "2", "--size", "64x48", "--seed", "3");
        Assert.True(r1.ExitCode == 0, r1.ToString());
        var r2 = CliRunner.Run("data", "synth", "--out", b, "--train", "6", "--val", "2", "--size", "64x48", "--seed", "3");
        Assert.True(r2.ExitCode == 0, r2.ToString());
        foreach (var sub in new[] { "train/images", "train/masks", "val/images", "val/masks" })
        {
            var files = Directory.GetFiles(Path.Combine(a, sub), "*.png").Select(Path.GetFileName).Order().ToArray();
            Assert.Equal(sub.StartsWith("train") ? 6 : 2, files.Length);
            foreach (var f in files) Assert.Equal(File.ReadAllBytes(Path.Combine(a, sub, f!)), File.ReadAllBytes(Path.Combine(b, sub, f!)));
        }
        var img = ImageFile.Load(Path.Combine(a, "train/images/scene_0000.png"));
        Assert.Equal((64, 48), (img.Width, img.Height));
        var mask = ImageFile.Load(Path.Combine(a, "train/masks/scene_0000.png"), channels: 1);
        Assert.All(mask.Pixels, v => Assert.True(v < 6 || v == 255));
        string yaml = File.ReadAllText(Path.Combine(a, "dataset.yaml"));
        Assert.Equal(SyntheticSceneGenerator.DatasetYaml(), yaml);
        Assert.StartsWith("name: synthetic-scenes\nsplits:\n  train: { images: train/images, masks: train/masks }\n  val:   { images: val/images, masks: val/masks }\nimage_channels: 3\nmask:\n  encoding: index\n  ignore_values: [255]\nclasses:\n  - { name: background, color: [", yaml);
        Assert.Equal(6, yaml.Split('\n').Count(l => l.StartsWith("  - { name: ")));

        // Rewriting over an earlier synthetic dataset is allowed; a foreign non-empty folder is refused.
        var again = CliRunner.Run("data", "synth", "--out", a, "--train", "2", "--val", "1", "--size", "64x48");
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Equal(2, Directory.GetFiles(Path.Combine(a, "train/images")).Length);
        string foreign = Path.Combine(dir, "foreign");
        Directory.CreateDirectory(foreign); File.WriteAllText(Path.Combine(foreign, "notes.txt"), "mine");
        var refused = CliRunner.Run("data", "synth", "--out", foreign);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("not empty", refused.StdErr);
        Assert.True(File.Exists(Path.Combine(foreign, "notes.txt")));
    }

    [Theory]
    [InlineData("0x5")]
    [InlineData("128")]
    [InlineData("axb")]
    [InlineData("64x0")]
    public void CliSynthBadSizeIsOneLineError(string size)
    {
        string dir = Path.Combine(TestPaths.NewTempDir("synth-bad"), "out");
        var r = CliRunner.Run("data", "synth", "--out", dir, "--size", size);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("--size", r.StdErr);
        Assert.Single(r.StdErr.Trim().Split('\n'));
        Assert.DoesNotContain("   at ", r.All);
        Assert.False(File.Exists(Path.Combine(dir, "dataset.yaml")));
    }
}
