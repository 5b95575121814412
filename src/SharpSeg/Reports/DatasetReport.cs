using System.Globalization;
using System.Text;
using SharpSeg.Imaging;
using SharpSeg.Inference;
using SharpSeg.Data.Dataset;
using SharpSeg.Data.Masks;
using SharpSeg.Data.Checks;

namespace SharpSeg.Reports;

/// <summary>
/// Writes <c>report.html</c> for a dataset from its <see cref="DataStats"/>: per labelled split, a class-share bar
/// chart (ignore included), the class table, an image-size histogram and a grid of sample images with their masks
/// overlaid, plus the class legend. Self-contained (pictures embedded); the charts are also written beside it as PNG.
/// </summary>
public static class DatasetReport
{
    public const string FileName = "report.html";

    /// <summary>Widest sample picture in the page, in pixels.</summary>
    public const int SampleWidth = 360;

    /// <summary>
    /// Writes the report into <paramref name="directory"/> and returns the page's path. <paramref name="samples"/>
    /// images per split (spread evenly over the split, the same ones every time) are shown with their masks overlaid.
    /// </summary>
    public static string Write(DatasetSpec spec, DataStatsReport stats, string directory, int samples = 12, CancellationToken cancellationToken = default)
    {
        if (samples < 0) throw new SharpSegException($"--samples {samples}: must be 0 or more.");
        IO.OutputFolder.Create(directory);
        var inv = CultureInfo.InvariantCulture;
        var colours = spec.Classes.Classes.Select(c => c.Color).ToList();
        var decoder = new SampleDecoder(spec);
        var html = new HtmlReport($"{spec.Name}: dataset report");
        html.Raw($"<h1>{HtmlReport.E(spec.Name)}: dataset</h1>");
        html.Raw($"<p class=\"meta\">dataset <code>{HtmlReport.E(Path.GetFullPath(spec.SourcePath))}</code> · {spec.Classes.Count} classes · splits: "
            + HtmlReport.E(string.Join(", ", stats.Splits.Select(s => $"{s.Split} ({s.Images} images)")))
            + (stats.SkippedUnlabelledSplits.Count > 0 ? HtmlReport.E($" · unlabelled: {string.Join(", ", stats.SkippedUnlabelledSplits)}") : "") + "</p>");
        html.Raw(HtmlReport.Legend(spec.Classes, null));

        foreach (var split in stats.Splits)
        {
            cancellationToken.ThrowIfCancellationRequested();
            string safe = string.Concat(split.Split.Select(ch => char.IsLetterOrDigit(ch) || ch is '-' or '_' ? ch : '_'));
            html.Section($"Split '{split.Split}'", "split-" + safe);
            int present = split.Classes.Count(c => c.Pixels > 0);
            html.Raw("<div class=\"cards\">" + HtmlReport.Card("images", split.Images.ToString(inv)) + HtmlReport.Card("pixels", split.TotalPixels.ToString("N0", inv))
                + HtmlReport.Card("ignore pixels", HtmlReport.Pct(split.IgnoreShare, 2)) + HtmlReport.Card("classes present", $"{present} of {split.Classes.Count}") + "</div>");
            var absent = split.Classes.Where(c => c.Pixels == 0).Select(c => c.Name).ToList();
            if (absent.Count > 0) html.Paragraph($"Absent from this split: {string.Join(", ", absent)}.");

            byte[] shareChart = ShareChart(split, colours);
            IO.AtomicFile.Write(Path.Combine(directory, $"class_share_{safe}.png"), s => s.Write(shareChart));
            var rows = split.Classes.Select(c => (IReadOnlyList<string>)new[]
            {
                HtmlReport.Swatch(colours[c.Index]) + HtmlReport.E(c.Name), HtmlReport.Pct(c.Share, 2),
                $"{c.ImagesPresent} ({HtmlReport.Pct(split.Images > 0 ? c.ImagesPresent / (double)split.Images : null, 0)})",
                c.MedianFrequencyWeight.ToString("0.000", inv), c.InverseFrequencyWeight.ToString("0.000", inv),
            });
            html.Raw("<div class=\"row\"><div>" + HtmlReport.Chart(shareChart, $"class pixel shares of split {split.Split}") + "</div><div>"
                + HtmlReport.Table(["class", "share of pixels", "images with it", "median-freq weight", "inverse-freq weight"], rows, new HashSet<int> { 1, 2, 3, 4 })
                + "<p class=\"note\">Shares are of all mask pixels, ignore included. The weights are what <code>loss.class_weights: median</code> / <code>inverse</code> would use.</p></div></div>");

            byte[] sizeChart = SizeChart(split);
            IO.AtomicFile.Write(Path.Combine(directory, $"image_sizes_{safe}.png"), s => s.Write(sizeChart));
            html.Raw("<h3>Image sizes</h3>" + HtmlReport.Chart(sizeChart, $"image-size histogram of split {split.Split}"));

            var pairs = spec.ResolvePairs(split.Split);
            var picked = Pick(pairs.Count, samples);
            if (picked.Count > 0)
            {
                html.Raw($"<h3>{picked.Count} of {pairs.Count} images with their masks overlaid</h3>");
                var sb = new StringBuilder("<div class=\"grid\">");
                foreach (int i in picked)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var sample = decoder.Decode(pairs[i]);
                    var overlay = MaskRenderer.Overlay(sample.Image, sample.Mask, colours, 0.5);
                    var (data, w, h) = ReportImages.Encode(overlay, SampleWidth, smooth: true, jpeg: true);
                    sb.Append("<figure>").Append(HtmlReport.Img(data, true, w, h, $"{sample.Id} with its mask"))
                      .Append("<figcaption>").Append(HtmlReport.E($"{sample.Id} ({sample.Image.Width}x{sample.Image.Height})")).Append("</figcaption></figure>");
                }
                html.Raw(sb.Append("</div>").ToString());
                html.Paragraph("Overlay: class colours at 50 % over the image; ignore pixels show the image alone.", "note");
            }
        }
        string path = Path.Combine(directory, FileName);
        IO.AtomicFile.WriteAllText(path, html.ToString());
        return Path.GetFullPath(path);
    }

    /// <summary><paramref name="count"/> indices spread evenly over 0..<paramref name="total"/>-1 (all when count ≥ total).</summary>
    public static IReadOnlyList<int> Pick(int total, int count)
    {
        if (count <= 0 || total <= 0) return [];
        if (count >= total) return Enumerable.Range(0, total).ToList();
        return Enumerable.Range(0, count).Select(k => (int)((long)k * total / count)).ToList();
    }


    static byte[] ShareChart(SplitStats split, IReadOnlyList<Rgb> colours)
    {
        var order = split.Classes.OrderByDescending(c => c.Share).ThenBy(c => c.Index).ToList();
        var labels = order.Select(c => c.Name).ToList();
        var values = order.Select(c => (double?)c.Share).ToList();
        var barColours = order.Select(c => colours[c.Index]).ToList();
        if (split.IgnorePixels > 0) { labels.Add("(ignore)"); values.Add(split.IgnoreShare); barColours.Add(ErrorMap.Ignored); }
        return new BarChart
        {
            Title = $"Pixel share per class: {split.Split}", Labels = labels, Values = values, Colors = barColours, Percent = true, Decimals = 2,
            XLabel = "share of all mask pixels",
        }.RenderPng(560);
    }

    /// <summary>One bar per distinct size when there are at most 15, else a histogram of the longer side in 10 bins.</summary>
    static byte[] SizeChart(SplitStats split)
    {
        var sizes = split.ImageSizes;
        if (sizes.Count <= 15)
            return new BarChart
            {
                Title = $"Image sizes: {split.Split}", Labels = sizes.Select(z => $"{z.Width}x{z.Height}").ToList(),
                Values = sizes.Select(z => (double?)z.Images).ToList(), Decimals = 0, XLabel = "images",
            }.RenderPng(560);
        var longSide = sizes.Select(z => (Side: Math.Max(z.Width, z.Height), z.Images)).ToList();
        int min = longSide.Min(z => z.Side), max = longSide.Max(z => z.Side);
        const int bins = 10;
        double width = Math.Max(1, (max - min + 1) / (double)bins);
        var counts = new double?[bins];
        foreach (var (side, images) in longSide)
        {
            int b = Math.Min(bins - 1, (int)((side - min) / width));
            counts[b] = (counts[b] ?? 0) + images;
        }
        var labels = Enumerable.Range(0, bins).Select(b => $"{(int)Math.Ceiling(min + b * width)}-{(int)Math.Ceiling(min + (b + 1) * width) - 1} px").ToList();
        return new BarChart
        {
            Title = $"Longer image side ({sizes.Count} distinct sizes): {split.Split}", Labels = labels,
            Values = counts.Select(c => (double?)(c ?? 0)).ToList(), Decimals = 0, XLabel = "images",
        }.RenderPng(560);
    }
}
