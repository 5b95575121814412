using System.Text.RegularExpressions;
using SharpSeg.Metrics;
using SharpSeg.Reports;
using SkiaSharp;
using TorchSharp;
using Xunit;

namespace SharpSeg.Tests.Reports;

public sealed class EvaluationReportTests
{
    [Fact]
    public void WorstImagesAreThoseWithTheLowestPerImageMIoU()
    {
        var (report, seen) = ReportFixtures.Build(images: 9, worst: 3);
        // The same per-image mIoU computed independently by the batched tensor implementation.
        using var scope = torch.NewDisposeScope();
        var preds = torch.stack(seen.Select(s => torch.tensor(s.Prediction.Labels, dtype: torch.uint8).reshape(30, 40)).ToArray());
        var truths = torch.stack(seen.Select(s => torch.tensor(s.Sample.Mask.Labels, dtype: torch.uint8).reshape(30, 40)).ToArray());
        var miou = PerImageMetrics.MeanIoU(preds, truths, 3);
        var expected = miou.Select((v, i) => (v!.Value, i)).OrderBy(x => x.Value).ThenBy(x => x.i).Take(3).ToList();
        Assert.Equal(expected.Select(x => seen[x.i].Sample.Id), report.Worst.Select(w => w.Id));
        for (int k = 0; k < 3; k++) Assert.Equal(expected[k].Value, report.Worst[k].MeanIoU, 9);
        Assert.Equal(9, report.Images);
        Assert.Equal(seen.Sum(s => s.Sample.Mask.Labels.Count(l => l != 255)), report.Matrix.Total);
    }

    [Fact]
    public void ReportPageHoldsTheMetricsChartsAndWorstImagesEmbedded()
    {
        var (report, _) = ReportFixtures.Build(images: 6, worst: 2);
        string dir = TestPaths.NewTempDir("eval-report");
        string path = report.Write(dir, new EvaluationReportInfo("run/best.ckpt", "data/dataset.yaml", "tiny", "val"));
        Assert.Equal(Path.Combine(dir, EvaluationReport.FileName), path);
        string html = File.ReadAllText(path);
        Assert.StartsWith("<!DOCTYPE html>", html);
        Assert.Contains("person &lt;&amp;&gt;", html);            // class names are escaped
        Assert.DoesNotContain("person <&>", html);
        Assert.Contains("The 2 worst images by mIoU", html);
        Assert.Contains("Largest confusions", html);
        Assert.DoesNotContain("<script", html);
        Assert.DoesNotContain("http", html);                      // nothing is fetched
        var images = Regex.Matches(html, "<img src=\"data:image/(png|jpeg);base64,([^\"]+)\" width=\"(\\d+)\" height=\"(\\d+)\"");
        Assert.Equal(2 + 4 * 2, images.Count);                  // two charts, four panels per worst image
        Assert.Equal(images.Count, Regex.Matches(html, "<img ").Count);
        foreach (Match m in images)
        {
            using var bitmap = SKBitmap.Decode(Convert.FromBase64String(m.Groups[2].Value));
            Assert.NotNull(bitmap);
            Assert.Equal((int.Parse(m.Groups[3].Value), int.Parse(m.Groups[4].Value)), (bitmap.Width, bitmap.Height));
        }
        Assert.True(File.Exists(Path.Combine(dir, EvaluationReport.IoUChartFileName)));
        Assert.True(File.Exists(Path.Combine(dir, EvaluationReport.ConfusionChartFileName)));
    }

    [Fact]
    public void NoWorstImagesMeansNoWorstSection()
    {
        var (report, _) = ReportFixtures.Build(images: 3, worst: 0);
        string html = File.ReadAllText(report.Write(TestPaths.NewTempDir("eval-report-0"), new EvaluationReportInfo("c", "d", "n", "val")));
        Assert.DoesNotContain("worst images", html);
        Assert.Equal(2, Regex.Matches(html, "<img ").Count);
    }

    [Fact]
    public void PanelsOfLargeImagesAreScaledDownToThePanelWidth()
    {
        var report = new EvaluationReport(ReportFixtures.Classes, 1);
        var image = new SharpSeg.Imaging.RgbImage(1000, 500, 3);
        var mask = new SharpSeg.Imaging.LabelMask(1000, 500);
        var m = new ConfusionMatrix(3);
        m.Update(mask.Labels, mask.Labels);
        report.Add(new SharpSeg.Data.Loading.SegmentationSample("big", image, mask), mask, m);
        string html = File.ReadAllText(report.Write(TestPaths.NewTempDir("eval-report-big"), new EvaluationReportInfo("c", "d", "n", "val")));
        Assert.Equal(4, Regex.Matches(html, $"width=\"{EvaluationReport.PanelWidth}\" height=\"200\"").Count);
    }
}
