using System.Text.RegularExpressions;
using SharpSeg.Data;
using SharpSeg.Reports;
using SharpSeg.Tests.Training;
using Xunit;
using SharpSeg.Data.Dataset;
using SharpSeg.Data.Checks;

namespace SharpSeg.Tests.Reports;

public sealed class DatasetReportTests
{
    [Fact]
    public void ReportShowsEverySplitWithChartsAndSampleOverlays()
    {
        var spec = DatasetSpec.Load(TrainingFixture.DatasetYaml);
        var stats = DataStats.Compute(spec);
        string dir = TestPaths.NewTempDir("data-report");
        string path = DatasetReport.Write(spec, stats, dir, samples: 5);
        string html = File.ReadAllText(path);
        foreach (var split in stats.Splits)
        {
            Assert.Contains($"<section id=\"split-{split.Split}\">", html);
            Assert.True(File.Exists(Path.Combine(dir, $"class_share_{split.Split}.png")));
            Assert.True(File.Exists(Path.Combine(dir, $"image_sizes_{split.Split}.png")));
        }
        foreach (var c in spec.Classes.Classes) Assert.Contains(c.Name, html);
        // Per split: the class-share chart, the size chart and five overlays.
        Assert.Equal(stats.Splits.Count * (2 + 5), Regex.Matches(html, "<img src=\"data:image/").Count);
        Assert.Contains("5 of 48 images with their masks overlaid", html);
    }

    [Fact]
    public void ManyImageSizesBecomeAHistogramOfTheLongerSide()
    {
        var d = new SharpSeg.Tests.Data.TinyDataset("sizes");
        for (int i = 0; i < 20; i++)
        {
            d.Image($"i/{i:D2}.png", 4 + i, 3);
            d.GrayMask($"m/{i:D2}.png", 4 + i, 3, 0, 1);
        }
        var spec = DatasetSpec.Load(d.Yaml("""
            name: sizes
            splits: { train: { images: i, masks: m } }
            classes: [{ name: a }, { name: b }]
            """));
        string html = File.ReadAllText(DatasetReport.Write(spec, DataStats.Compute(spec), TestPaths.NewTempDir("sizes-report"), samples: 0));
        Assert.Contains("image-size histogram of split train", html);
        Assert.DoesNotContain("with their masks overlaid", html);
        Assert.Throws<SharpSegException>(() => DatasetReport.Write(spec, DataStats.Compute(spec), TestPaths.NewTempDir("x"), samples: -1));
    }
}
