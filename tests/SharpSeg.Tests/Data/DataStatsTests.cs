using SharpSeg.Data;
using Xunit;
using SharpSeg.Data.Dataset;
using SharpSeg.Data.Checks;

namespace SharpSeg.Tests.Data;

public sealed class DataStatsTests
{
    [Fact]
    public void CountsSharesAndWeightsMatchHandComputedValues()
    {
        // Two 2x2 masks: a = [0 0 0 1], b = [0 2 2 255]. Classes 0, 1, 2, 3 (3 never appears); 255 = ignore.
        var d = new TinyDataset("stats");
        d.Image("i/a.png", 2, 2); d.Image("i/b.png", 2, 2);
        d.GrayMask("m/a.png", 2, 2, 0, 0, 0, 1);
        d.GrayMask("m/b.png", 2, 2, 0, 2, 2, 255);
        var spec = DatasetSpec.Load(d.Yaml("""
            name: hand
            splits: { train: { images: i, masks: m }, test: { images: i } }
            classes: [{ name: zero }, { name: one }, { name: two }, { name: three }]
            """));
        var report = DataStats.Compute(spec);
        Assert.Equal(["test"], report.SkippedUnlabelledSplits);
        var s = Assert.Single(report.Splits);
        Assert.Equal((2, 8L, 1L, 0.125), (s.Images, s.TotalPixels, s.IgnorePixels, s.IgnoreShare));
        Assert.Equal([4L, 1, 2, 0], s.Classes.Select(c => c.Pixels));
        Assert.Equal([0.5, 0.125, 0.25, 0], s.Classes.Select(c => c.Share));
        Assert.Equal([2, 1, 1, 0], s.Classes.Select(c => c.ImagesPresent));
        // Inverse frequency over labelled pixels (7): 7/4, 7/1, 7/2, mean 49/12 -> 3/7, 12/7, 6/7; absent class 0.
        double[] inv = [3.0 / 7, 12.0 / 7, 6.0 / 7, 0];
        for (int c = 0; c < 4; c++) Assert.Equal(inv[c], s.Classes[c].InverseFrequencyWeight, 1e-12);
        // Median frequency: freq = 4/8, 1/4, 2/4 -> median 0.5 -> weights 1, 2, 1.
        Assert.Equal([1.0, 2.0, 1.0, 0.0], s.Classes.Select(c => c.MedianFrequencyWeight));
        Assert.Equal(new ImageSizeCount(2, 2, 2), Assert.Single(s.ImageSizes));

        string json = Path.Combine(d.Root, "out", "hand-stats.json");
        report.WriteJson(json);
        Assert.Contains("\"medianFrequencyWeight\": 2", File.ReadAllText(json));
        var back = DataStatsReport.ReadJson(json);
        Assert.Equal(s.Classes, back.Splits[0].Classes);
    }

    [Fact]
    public void UndefinedValuesAndAskingForAnUnlabelledSplitAreErrors()
    {
        var d = TinyDataset.Clean("stats-bad");
        d.GrayMask("train/masks/a.png", 6, 4, 0, 9);
        var spec = DatasetSpec.Load(d.PathOf("dataset.yaml"));
        Assert.Contains("mask value 9", Assert.Throws<SharpSegException>(() => DataStats.Compute(spec)).Message);
        var d2 = TinyDataset.Clean("stats-unlabelled");
        d2.Image("test/x.png");
        d2.Yaml(TinyDataset.CleanYaml.Replace("splits:", "splits:\n  test: { images: test }"));
        var spec2 = DatasetSpec.Load(d2.PathOf("dataset.yaml"));
        Assert.Contains("split 'test' has no masks", Assert.Throws<SharpSegException>(() => DataStats.Compute(spec2, "test")).Message);
    }

    [Fact]
    public void CliWritesJsonWhereAsked()
    {
        var d = TinyDataset.Clean("stats-cli");
        string outPath = Path.Combine(d.Root, "s.json");
        var r = CliRunner.Run("data", "stats", d.PathOf("dataset.yaml"), "--out", outPath);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("wrote " + outPath, r.StdOut);
        Assert.Contains("dog", r.StdOut);
        Assert.Equal(3, DataStatsReport.ReadJson(outPath).Splits[0].Classes.Count);

        // Default: ./<name>-stats.json in the current folder.
        r = CliRunner.RunIn(d.Root, "data", "stats", "dataset.yaml");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.True(File.Exists(Path.Combine(d.Root, "tiny-stats.json")));
    }
}
