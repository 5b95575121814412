using SharpSeg.Data;
using SharpSeg.Imaging;
using SharpSeg.Metrics;
using SharpSeg.Reports;
using SharpSeg.Data.Dataset;
using SharpSeg.Data.Loading;

namespace SharpSeg.Tests.Reports;

/// <summary>An evaluation report fed with made-up images and predictions (no model), for the report tests.</summary>
public static class ReportFixtures
{
    public static readonly ClassTable Classes = new([
        new ClassInfo("road", new Rgb(128, 64, 128), 0), new ClassInfo("car", new Rgb(0, 0, 142), 1), new ClassInfo("person <&>", new Rgb(220, 20, 60), 2)]);

    /// <summary>
    /// <paramref name="images"/> 40x30 images whose predictions are wrong on a growing share of pixels (image i: i·7 %),
    /// with an ignore border on every other image; returns the report and the samples and predictions it saw.
    /// </summary>
    public static (EvaluationReport Report, List<(SegmentationSample Sample, LabelMask Prediction)> Seen) Build(int images, int worst)
    {
        var report = new EvaluationReport(Classes, worst);
        var seen = new List<(SegmentationSample, LabelMask)>();
        var random = new Random(11);
        for (int n = 0; n < images; n++)
        {
            int w = 40, h = 30;
            var image = new RgbImage(w, h, 3);
            random.NextBytes(image.Pixels);
            var truth = new LabelMask(w, h);
            var prediction = new LabelMask(w, h);
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                {
                    int i = y * w + x;
                    byte t = (byte)(x < 20 ? 0 : y < 15 ? 1 : 2);
                    truth.Labels[i] = n % 2 == 1 && (x == 0 || y == 0) ? LabelMask.Ignore : t;
                    prediction.Labels[i] = random.NextDouble() < n * 0.07 ? (byte)((t + 1) % 3) : t;
                }
            var sample = new SegmentationSample($"img{n:D2}", image, truth);
            var m = new ConfusionMatrix(3);
            m.Update(prediction.Labels, truth.Labels);
            report.Add(sample, prediction, m);
            seen.Add((sample, prediction));
        }
        return (report, seen);
    }
}
