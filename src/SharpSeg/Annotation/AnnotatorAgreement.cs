using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SharpSeg.IO;

namespace SharpSeg.Annotation;

/// <summary>How much the annotators agree on one image.</summary>
/// <param name="DisputedShare">Share of the pixels labelled by at least two annotators where they do not all agree.</param>
/// <param name="MeanPairwiseIoU">Mean over annotator pairs of the mean IoU over the classes either of them used.</param>
public sealed record ImageAgreement(AnnotatedImage Image, long Pixels, double DisputedShare, double MeanPairwiseIoU);

/// <summary>Agreement on one class: Fleiss' kappa and Krippendorff's alpha of the class against the rest, and IoU/Dice
/// per pair of annotators (in the order (0,1), (0,2), ..., (1,2), ...).</summary>
public sealed record ClassAgreement(string Name, double FleissKappa, double KrippendorffAlpha, IReadOnlyList<(int A, int B, double IoU, double Dice)> Pairs)
{
    public double MeanPairwiseIoU => Mean(Pairs.Select(p => p.IoU));
    public double MeanPairwiseDice => Mean(Pairs.Select(p => p.Dice));
    internal static double Mean(IEnumerable<double> values) { var v = values.Where(double.IsFinite).ToList(); return v.Count == 0 ? double.NaN : v.Average(); }
}

/// <summary>The outcome of <see cref="AnnotatorAgreement.Run"/>.</summary>
public sealed record AgreementResult(AnnotatorMasks Masks, LabelTuples Tuples, double FleissKappa, double KrippendorffAlpha, double DisputedShare,
    IReadOnlyList<ClassAgreement> Classes, IReadOnlyList<ImageAgreement> Images)
{
    /// <summary>The images, most disputed first (then the lowest pairwise IoU).</summary>
    public IReadOnlyList<ImageAgreement> MostDisputed => Images.OrderByDescending(i => double.IsNaN(i.DisputedShare) ? -1 : i.DisputedShare)
        .ThenBy(i => double.IsNaN(i.MeanPairwiseIoU) ? 2 : i.MeanPairwiseIoU).ToList();
}

/// <summary>
/// Agreement between annotators over a dataset (<c>sharpseg masks agreement</c>): per class, pairwise IoU/Dice between
/// every two annotators, Fleiss' kappa and Krippendorff's alpha (<see cref="AgreementStatistics"/>); overall kappa and
/// alpha over all classes; and per image, the disputed share and mean pairwise IoU, to find the images to look at.
/// </summary>
public static class AnnotatorAgreement
{
    public static AgreementResult Run(AnnotatorMasks masks, IProgress<(int Done, int Total)>? progress = null, CancellationToken cancellationToken = default)
    {
        int r = masks.Folders.Count, classes = masks.Classes;
        var all = new LabelTuples(r, classes);
        var images = new List<ImageAgreement>();
        for (int i = 0; i < masks.Images.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var image = all.AddImage(masks.Read(masks.Images[i]));
            images.Add(new ImageAgreement(masks.Images[i], image.Pixels, AgreementStatistics.DisputedShare(image), MeanPairwiseIoU(image)));
            progress?.Report((i + 1, masks.Images.Count));
        }
        var names = masks.Spec.Classes.Names;
        var perClass = Enumerable.Range(0, classes).Select(k => new ClassAgreement(names[k], AgreementStatistics.FleissKappa(all, k), AgreementStatistics.KrippendorffAlpha(all, k),
            Pairs(r).Select(p => { var (iou, dice) = AgreementStatistics.Pairwise(all, p.A, p.B, k); return (p.A, p.B, iou, dice); }).ToList())).ToList();
        return new AgreementResult(masks, all, AgreementStatistics.FleissKappa(all), AgreementStatistics.KrippendorffAlpha(all), AgreementStatistics.DisputedShare(all), perClass, images);
    }

    static IEnumerable<(int A, int B)> Pairs(int annotators)
    {
        for (int a = 0; a < annotators; a++)
            for (int b = a + 1; b < annotators; b++) yield return (a, b);
    }

    static double MeanPairwiseIoU(LabelTuples t) =>
        ClassAgreement.Mean(Pairs(t.Annotators).Select(p => ClassAgreement.Mean(Enumerable.Range(0, t.Classes).Select(k => AgreementStatistics.Pairwise(t, p.A, p.B, k).IoU))));

    /// <summary>Writes <c>disagreement.csv</c> (images, most disputed first) and <c>agreement.json</c> into
    /// <paramref name="directory"/>; returns their paths.</summary>
    public static (string Csv, string Json) Write(AgreementResult result, string directory)
    {
        IO.OutputFolder.Create(directory);
        var inv = CultureInfo.InvariantCulture;
        string F(double v) => double.IsFinite(v) ? v.ToString("0.######", inv) : "";
        var csv = new StringBuilder("split,image,pixels,disputed_share,mean_pairwise_iou\n");
        foreach (var i in result.MostDisputed)
            csv.Append($"{Csv(i.Image.Split)},{Csv(i.Image.ImagePath)},{i.Pixels},{F(i.DisputedShare)},{F(i.MeanPairwiseIoU)}\n");
        string csvPath = Path.Combine(directory, "disagreement.csv");
        AtomicFile.WriteAllText(csvPath, csv.ToString());
        var names = result.Masks.Names;
        static JsonNode? N(double v) => double.IsFinite(v) ? JsonValue.Create(Math.Round(v, 6)) : null;
        var json = new JsonObject
        {
            ["dataset"] = result.Masks.Spec.SourcePath,
            ["annotators"] = new JsonArray(result.Masks.Folders.Select((f, j) => (JsonNode?)new JsonObject { ["name"] = names[j], ["folder"] = f }).ToArray()),
            ["images"] = result.Images.Count, ["pixels"] = result.Tuples.Pixels,
            ["fleiss_kappa"] = N(result.FleissKappa), ["krippendorff_alpha"] = N(result.KrippendorffAlpha), ["disputed_share"] = N(result.DisputedShare),
            ["classes"] = new JsonArray(result.Classes.Select(c => (JsonNode?)new JsonObject
            {
                ["name"] = c.Name, ["fleiss_kappa"] = N(c.FleissKappa), ["krippendorff_alpha"] = N(c.KrippendorffAlpha),
                ["mean_pairwise_iou"] = N(c.MeanPairwiseIoU), ["mean_pairwise_dice"] = N(c.MeanPairwiseDice),
                ["pairs"] = new JsonArray(c.Pairs.Select(p => (JsonNode?)new JsonObject { ["a"] = names[p.A], ["b"] = names[p.B], ["iou"] = N(p.IoU), ["dice"] = N(p.Dice) }).ToArray()),
            }).ToArray()),
        };
        string jsonPath = Path.Combine(directory, "agreement.json");
        AtomicFile.WriteAllText(jsonPath, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return (csvPath, jsonPath);
    }

    static string Csv(string s) => s.IndexOfAny([',', '"', '\n']) >= 0 ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;
}
