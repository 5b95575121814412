using System.Globalization;
using System.Text;
using SharpSeg.Imaging;
using SharpSeg.Metrics;
using SharpSeg.Data.Dataset;
using SharpSeg.Data.Loading;

namespace SharpSeg.Reports;

/// <summary>
/// Collects what an evaluation shows (the confusion matrix and the worst images by per-image mIoU; pass
/// <see cref="Add"/> as the evaluator's per-image callback) and writes <c>report.html</c>: the metrics, a per-class
/// IoU bar chart, the row-normalised confusion matrix with the largest confusions, and the worst images as
/// image | ground truth | prediction | error map, with the class legend. The page is self-contained (pictures
/// embedded); the two charts are also written beside it as PNG.
/// </summary>
public sealed class EvaluationReport
{
    public const string FileName = "report.html";
    public const string IoUChartFileName = "per_class_iou.png";
    public const string ConfusionChartFileName = "confusion_matrix.png";

    /// <summary>Widest picture of a worst-image panel in the page, in pixels (larger images are scaled down).</summary>
    public const int PanelWidth = 400;

    readonly ClassTable _classes;
    readonly WorstCases<WorstImage> _worst;

    /// <param name="classes">The dataset's classes (names and display colours), in class-index order.</param>
    /// <param name="worstImages">How many of the lowest-mIoU images to show (0 = none).</param>
    public EvaluationReport(ClassTable classes, int worstImages = 8)
    {
        _classes = classes;
        _worst = new WorstCases<WorstImage>(worstImages);
        Matrix = new ConfusionMatrix(classes.Count);
    }

    /// <summary>The confusion matrix summed over the images added so far.</summary>
    public ConfusionMatrix Matrix { get; }

    /// <summary>Images added so far.</summary>
    public int Images { get; private set; }

    /// <summary>The worst images kept so far, lowest mIoU first.</summary>
    public IReadOnlyList<WorstImage> Worst => _worst.Items.Select(x => x.Item).ToList();

    /// <summary>Adds one evaluated image (the signature of <see cref="Evaluation.Evaluator.ImageResult"/>).</summary>
    public void Add(SegmentationSample sample, LabelMask prediction, ConfusionMatrix imageMatrix)
    {
        Matrix.Merge(imageMatrix);
        Images++;
        var m = SegmentationMetrics.From(imageMatrix);
        if (m.MeanIoU is double miou)
            _worst.Offer(miou, () => new WorstImage(sample.Id, miou, m.PixelAccuracy, sample.Image, sample.Mask, prediction));
    }

    /// <summary>Writes <c>report.html</c> (and the chart PNGs) into <paramref name="directory"/>; returns the page's path.</summary>
    public string Write(string directory, EvaluationReportInfo info)
    {
        IO.OutputFolder.Create(directory);
        var names = _classes.Names;
        var colours = _classes.Classes.Select(c => c.Color).ToList();
        var metrics = SegmentationMetrics.From(Matrix, names);
        var inv = CultureInfo.InvariantCulture;

        byte[] iouChart = IoUChart(metrics, colours);
        byte[] confusionChart = ConfusionChart(names);
        IO.AtomicFile.Write(Path.Combine(directory, IoUChartFileName), s => s.Write(iouChart));
        IO.AtomicFile.Write(Path.Combine(directory, ConfusionChartFileName), s => s.Write(confusionChart));

        var html = new HtmlReport($"{info.DatasetName} / {info.Split}: evaluation report");
        html.Raw($"<h1>{HtmlReport.E(info.DatasetName)} / {HtmlReport.E(info.Split)}: evaluation</h1>");
        html.Raw($"<p class=\"meta\">checkpoint <code>{HtmlReport.E(info.Checkpoint)}</code> · dataset <code>{HtmlReport.E(info.DatasetPath)}</code> · "
            + $"{Images} images · {metrics.Pixels.ToString("N0", inv)} scored pixels{(info.Inference == null ? "" : " · " + HtmlReport.E(info.Inference))}</p>");
        html.Raw("<div class=\"cards\">"
            + HtmlReport.Card("mIoU", HtmlReport.Pct(metrics.MeanIoU)) + HtmlReport.Card("pixel accuracy", HtmlReport.Pct(metrics.PixelAccuracy))
            + HtmlReport.Card("mean class accuracy", HtmlReport.Pct(metrics.MeanClassAccuracy)) + HtmlReport.Card("mean Dice", HtmlReport.Pct(metrics.MeanDice))
            + HtmlReport.Card("frequency-weighted IoU", HtmlReport.Pct(metrics.FrequencyWeightedIoU)) + HtmlReport.Card("images", Images.ToString(inv)) + "</div>");
        var weakest = metrics.PerClass.Where(c => c.IoU.HasValue).OrderBy(c => c.IoU).Take(3).ToList();
        if (weakest.Count > 0)
            html.Paragraph("Weakest classes: " + string.Join(", ", weakest.Select(c => $"{c.Name} (IoU {HtmlReport.Pct(c.IoU)})")) + ".");

        html.Section("Classes", "classes");
        html.Raw(HtmlReport.Legend(_classes, null));
        var rows = metrics.PerClass.Select(c => (IReadOnlyList<string>)new[]
        {
            HtmlReport.Swatch(colours[c.Index]) + HtmlReport.E(c.Name ?? c.Index.ToString(inv)),
            IoUCell(c.IoU), HtmlReport.Pct(c.Dice), HtmlReport.Pct(c.Accuracy),
            HtmlReport.Pct(metrics.Pixels > 0 ? c.GroundTruthPixels / (double)metrics.Pixels : null, 2),
            HtmlReport.Pct(metrics.Pixels > 0 ? c.PredictedPixels / (double)metrics.Pixels : null, 2),
        });
        html.Raw("<div class=\"row\"><div>" + HtmlReport.Table(["class", "IoU", "Dice", "accuracy (recall)", "share of ground truth", "share of prediction"], rows, new HashSet<int> { 1, 2, 3, 4, 5 })
            + "<p class=\"note\">IoU = TP / (TP + FP + FN) over all scored pixels of the split; n/a = the class is in neither ground truth nor prediction.</p></div>"
            + "<div>" + HtmlReport.Chart(iouChart, "per-class IoU bar chart") + "</div></div>");

        html.Section("Confusion matrix", "confusion");
        var confusions = ConfusionAnalysis.Largest(Matrix, 10);
        string confusionTable = confusions.Count == 0 ? "<p>No confusions: every scored pixel is right.</p>" : HtmlReport.Table(
            ["ground truth", "predicted as", "share of the class", "pixels"],
            confusions.Select(x => (IReadOnlyList<string>)new[]
            {
                HtmlReport.Swatch(colours[x.Truth]) + HtmlReport.E(names[x.Truth]), HtmlReport.Swatch(colours[x.Predicted]) + HtmlReport.E(names[x.Predicted]),
                HtmlReport.Pct(x.ShareOfTruth), x.Pixels.ToString("N0", inv),
            }), new HashSet<int> { 2, 3 });
        html.Raw("<div class=\"row\"><div>" + HtmlReport.Chart(confusionChart, "row-normalised confusion matrix")
            + "<p class=\"note\">Each row is one ground-truth class and sums to 100 %: the cell in column k is the share of that class's pixels predicted as class k. The outlined diagonal is what was right.</p></div>"
            + "<div><h3>Largest confusions</h3>" + confusionTable + "</div></div>");

        var worst = Worst;
        if (_worst.Capacity == 0) return Save(html, directory);
        html.Section($"The {worst.Count} worst images by mIoU", "worst");
        html.Paragraph("Per-image mIoU averages the classes present in that image's ground truth or prediction. Error map: "
            + "red = wrong, gray = right (the image, faded), dark slate = not scored (ignore).", "note");
        html.Raw(HtmlReport.Legend(_classes, ErrorMap.Ignored));
        var colourList = colours.ToArray();
        for (int i = 0; i < worst.Count; i++)
        {
            var w = worst[i];
            var sb = new StringBuilder();
            sb.Append("<div class=\"case\"><h3>").Append(HtmlReport.E($"#{i + 1} {w.Id}: mIoU {HtmlReport.Pct(w.MeanIoU)}, pixel accuracy {HtmlReport.Pct(w.PixelAccuracy)}"))
              .Append("</h3><div class=\"panels\">");
            sb.Append(Panel(w.Image, true, $"{w.Id}: image", "image"));
            sb.Append(Panel(ReportImages.ColourMask(w.Truth, colourList, ErrorMap.Ignored), false, $"{w.Id}: ground truth", "ground truth"));
            sb.Append(Panel(ReportImages.ColourMask(w.Prediction, colourList, ErrorMap.Ignored), false, $"{w.Id}: prediction", "prediction"));
            sb.Append(Panel(ErrorMap.Render(w.Image, w.Truth, w.Prediction), false, $"{w.Id}: error map", $"errors ({HtmlReport.Pct(ErrorMap.WrongShare(w.Truth, w.Prediction))} wrong)"));
            html.Raw(sb.Append("</div></div>").ToString());
        }
        return Save(html, directory);
    }

    static string Save(HtmlReport html, string directory)
    {
        string path = Path.Combine(directory, FileName);
        IO.AtomicFile.WriteAllText(path, html.ToString());
        return Path.GetFullPath(path);
    }


    static string IoUCell(double? iou) => iou is double v
        ? $"<span class=\"bar\" style=\"width:{(60 * v).ToString("F0", CultureInfo.InvariantCulture)}px\"></span> {HtmlReport.Pct(v)}"
        : "n/a";

    static string Panel(RgbImage image, bool photo, string alt, string caption)
    {
        var (data, w, h) = ReportImages.Encode(image, PanelWidth, smooth: photo, jpeg: photo);
        return $"<figure>{HtmlReport.Img(data, photo, w, h, alt)}<figcaption>{HtmlReport.E(caption)}</figcaption></figure>";
    }

    byte[] IoUChart(SegmentationMetrics metrics, IReadOnlyList<Rgb> colours)
    {
        // Worst class on top: the chart answers "which classes fail".
        var order = metrics.PerClass.OrderBy(c => c.IoU ?? double.PositiveInfinity).ThenBy(c => c.Index).ToList();
        return new BarChart
        {
            Title = $"IoU per class (mIoU {HtmlReport.Pct(metrics.MeanIoU)})",
            Labels = order.Select(c => c.Name ?? c.Index.ToString(CultureInfo.InvariantCulture)).ToList(),
            Values = order.Select(c => c.IoU).ToList(),
            Colors = order.Select(c => colours[c.Index]).ToList(),
            Max = 1, Percent = true, XLabel = "IoU",
        }.RenderPng(560);
    }

    byte[] ConfusionChart(IReadOnlyList<string> names) => new Heatmap
    {
        Title = "Confusion matrix (% of each ground-truth class)",
        RowLabels = names, ColumnLabels = names,
        Values = ConfusionAnalysis.RowNormalized(Matrix),
        RowTitle = "ground truth", ColumnTitle = "predicted",
    }.RenderPng();
}
