using System.Globalization;
using System.Text;
using SharpSeg.Annotation;
using SharpSeg.Imaging;

namespace SharpSeg.Reports;

/// <summary>
/// Writes <c>report.html</c> for <c>sharpseg masks agreement</c>: overall and per-class agreement (Fleiss' kappa,
/// Krippendorff's alpha, mean pairwise IoU and Dice), the pairwise IoU of every two annotators per class, and the most
/// disputed images with every annotator's mask side by side and a map of where they disagree. Self-contained.
/// </summary>
public static class AgreementReport
{
    public const string FileName = "report.html";
    const int PanelWidth = 240;

    public static string Write(AgreementResult result, string directory, int images = 8, CancellationToken cancellationToken = default)
    {
        if (images < 0) throw new SharpSegException($"--worst {images}: must be 0 or more.");
        IO.OutputFolder.Create(directory);
        var inv = CultureInfo.InvariantCulture;
        var masks = result.Masks;
        var spec = masks.Spec;
        var names = masks.Names;
        var colours = spec.Classes.Colors;
        string A(double v) => double.IsFinite(v) ? v.ToString("0.000", inv) : "n/a";
        var html = new HtmlReport($"{spec.Name}: annotator agreement");
        html.Raw($"<h1>{HtmlReport.E(spec.Name)}: agreement of {names.Count} annotators</h1>");
        html.Raw($"<p class=\"meta\">dataset <code>{HtmlReport.E(Path.GetFullPath(spec.SourcePath))}</code> · annotators: "
            + string.Join(", ", masks.Folders.Select((f, j) => $"<b>{HtmlReport.E(names[j])}</b> (<code>{HtmlReport.E(f)}</code>)")) + "</p>");
        html.Raw("<div class=\"cards\">" + HtmlReport.Card("images", result.Images.Count.ToString(inv)) + HtmlReport.Card("disputed pixels", HtmlReport.Pct(result.DisputedShare, 2))
            + HtmlReport.Card("Fleiss' kappa", A(result.FleissKappa)) + HtmlReport.Card("Krippendorff's alpha", A(result.KrippendorffAlpha)) + "</div>");
        html.Paragraph("Kappa and alpha: 1 = perfect agreement, 0 = what chance would give. Kappa counts the pixels every annotator labelled, "
            + "alpha every pixel at least two labelled. Per class: that class against all the others.", "note");

        html.Section("Per class", "classes");
        var pairs = result.Classes.Count > 0 ? result.Classes[0].Pairs : [];
        var headers = new List<string> { "class", "Fleiss' kappa", "Krippendorff's alpha", "mean pairwise IoU", "mean pairwise Dice" };
        headers.AddRange(pairs.Select(p => $"IoU {names[p.A]}–{names[p.B]}"));
        var rows = result.Classes.Select((c, k) => (IReadOnlyList<string>)new[]
        {
            HtmlReport.Swatch(colours[k]) + HtmlReport.E(c.Name), A(c.FleissKappa), A(c.KrippendorffAlpha), HtmlReport.Pct(Finite(c.MeanPairwiseIoU)), HtmlReport.Pct(Finite(c.MeanPairwiseDice)),
        }.Concat(c.Pairs.Select(p => HtmlReport.Pct(Finite(p.IoU)))).ToArray());
        html.Raw(HtmlReport.Table(headers, rows, Enumerable.Range(1, headers.Count - 1).ToHashSet()));

        var worst = result.MostDisputed.Take(images).ToList();
        if (worst.Count > 0)
        {
            html.Section($"The {worst.Count} most disputed images", "disputed");
            html.Raw(HtmlReport.Legend(spec.Classes, ErrorMap.Ignored, "no label"));
            var sb = new StringBuilder();
            foreach (var item in worst)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var read = masks.Read(item.Image);
                var first = read.First(m => m != null)!;
                sb.Append("<div class=\"case\"><p>").Append(HtmlReport.E($"{item.Image.Id} ({item.Image.Split}): {HtmlReport.Pct(Finite(item.DisputedShare), 1)} of the pixels disputed, mean pairwise IoU {HtmlReport.Pct(Finite(item.MeanPairwiseIoU), 1)}"))
                  .Append($"</p><div class=\"panels\" style=\"grid-template-columns: repeat({read.Count + 2}, 1fr)\">");
                var photo = ImageFile.Load(item.Image.ImagePath, 3, spec.ImageRange);
                var (pd, pw, ph) = ReportImages.Encode(photo, PanelWidth, smooth: true, jpeg: true);
                sb.Append("<figure>").Append(HtmlReport.Img(pd, true, pw, ph, item.Image.Id)).Append("<figcaption>image</figcaption></figure>");
                for (int j = 0; j < read.Count; j++)
                {
                    var m = read[j] ?? new LabelMask(first.Width, first.Height, Enumerable.Repeat(LabelMask.Ignore, first.Labels.Length).ToArray());
                    var (d, w, h) = ReportImages.Encode(ReportImages.ColourMask(m, colours, ErrorMap.Ignored), PanelWidth, smooth: false, jpeg: false);
                    sb.Append("<figure>").Append(HtmlReport.Img(d, false, w, h, $"{names[j]}'s mask of {item.Image.Id}")).Append("<figcaption>")
                      .Append(HtmlReport.E(read[j] == null ? $"{names[j]} (no mask)" : names[j])).Append("</figcaption></figure>");
                }
                var (dd, dw, dh) = ReportImages.Encode(Disagreement(read, masks.Classes), PanelWidth, smooth: false, jpeg: false);
                sb.Append("<figure>").Append(HtmlReport.Img(dd, false, dw, dh, $"where the annotators disagree on {item.Image.Id}"))
                  .Append("<figcaption>disagreement (red)</figcaption></figure></div></div>");
            }
            html.Raw(sb.ToString());
        }
        string path = Path.Combine(directory, FileName);
        IO.AtomicFile.WriteAllText(path, html.ToString());
        return Path.GetFullPath(path);
    }

    static double? Finite(double v) => double.IsFinite(v) ? v : null;

    /// <summary>Red where the annotators who labelled a pixel do not all agree, dark grey where fewer than two labelled it, white elsewhere.</summary>
    static RgbImage Disagreement(IReadOnlyList<LabelMask?> masks, int classes)
    {
        var first = masks.First(m => m != null)!;
        var keys = LabelTuples.Keys(masks, classes);
        var image = new RgbImage(first.Width, first.Height, 3);
        for (int i = 0; i < keys.Length; i++)
        {
            byte label = LabelMask.Ignore; int labelled = 0; bool disputed = false;
            for (int j = 0; j < masks.Count; j++)
            {
                byte l = LabelTuples.Label(keys[i], j);
                if (l == LabelMask.Ignore) continue;
                labelled++;
                if (label == LabelMask.Ignore) label = l; else if (l != label) disputed = true;
            }
            var c = labelled < 2 ? ErrorMap.Ignored : disputed ? ErrorMap.Wrong : new Rgb(255, 255, 255);
            image.Pixels[3 * i] = c.R; image.Pixels[3 * i + 1] = c.G; image.Pixels[3 * i + 2] = c.B;
        }
        return image;
    }
}
