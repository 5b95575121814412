using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace SharpSeg.Metrics;

/// <summary>
/// Scores derived from a <see cref="ConfusionMatrix"/> (all in [0, 1]). Means are taken over the classes whose score
/// is defined (not null); a class absent from both ground truth and prediction is n/a and does not pull a mean down,
/// while a class predicted but absent from the ground truth has IoU 0 and does. Summary values are null when there is
/// nothing to average (no counted pixels).
/// </summary>
public sealed record SegmentationMetrics
{
    /// <summary>Per-class scores, by class index.</summary>
    [JsonPropertyName("per_class")] public required IReadOnlyList<ClassMetrics> PerClass { get; init; }

    /// <summary>Counted (non-ignored) pixels.</summary>
    [JsonPropertyName("pixels")] public required long Pixels { get; init; }

    /// <summary>Σ TP / pixels.</summary>
    [JsonPropertyName("pixel_accuracy")] public double? PixelAccuracy { get; init; }

    /// <summary>Mean of the defined per-class accuracies (recalls).</summary>
    [JsonPropertyName("mean_class_accuracy")] public double? MeanClassAccuracy { get; init; }

    /// <summary>Mean of the defined per-class IoUs (mIoU).</summary>
    [JsonPropertyName("mean_iou")] public double? MeanIoU { get; init; }

    /// <summary>Mean of the defined per-class Dice scores.</summary>
    [JsonPropertyName("mean_dice")] public double? MeanDice { get; init; }

    /// <summary>Σ_c (ground-truth pixels of c / pixels) · IoU_c.</summary>
    [JsonPropertyName("frequency_weighted_iou")] public double? FrequencyWeightedIoU { get; init; }

    /// <summary>Instance-level scores (<c>eval --instances</c>); absent from the JSON otherwise.</summary>
    [JsonPropertyName("instances")][JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public InstanceScores? Instances { get; init; }

    /// <summary>Computes the scores of <paramref name="matrix"/>; <paramref name="classNames"/>, if given, has one name per class.</summary>
    public static SegmentationMetrics From(ConfusionMatrix matrix, IReadOnlyList<string>? classNames = null)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        int c = matrix.NumClasses;
        if (classNames is not null && classNames.Count != c)
            throw new ArgumentException($"{classNames.Count} class names for {c} classes", nameof(classNames));
        var perClass = new ClassMetrics[c];
        long total = 0, correct = 0;
        double fw = 0;
        for (int k = 0; k < c; k++)
        {
            long tp = matrix[k, k], gt = 0, pred = 0;
            for (int j = 0; j < c; j++) { gt += matrix[k, j]; pred += matrix[j, k]; }
            long union = gt + pred - tp;
            double? iou = union > 0 ? (double)tp / union : null;
            double? dice = gt + pred > 0 ? 2.0 * tp / (gt + pred) : null;
            double? acc = gt > 0 ? (double)tp / gt : null;
            perClass[k] = new ClassMetrics(k, classNames?[k], iou, dice, acc, gt, pred);
            total += gt;
            correct += tp;
            if (gt > 0) fw += gt * iou!.Value;
        }
        return new SegmentationMetrics
        {
            PerClass = perClass,
            Pixels = total,
            PixelAccuracy = total > 0 ? (double)correct / total : null,
            MeanClassAccuracy = Mean(perClass.Select(m => m.Accuracy)),
            MeanIoU = Mean(perClass.Select(m => m.IoU)),
            MeanDice = Mean(perClass.Select(m => m.Dice)),
            FrequencyWeightedIoU = total > 0 ? fw / total : null,
        };
    }

    /// <summary>Indented JSON with snake_case names; n/a scores are <c>null</c>.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>
    /// A per-class table as plain text cells for a front end to render: a header row, one row per class
    /// (name or index, IoU, Dice, accuracy, ground-truth pixels, predicted pixels; scores with
    /// <paramref name="decimals"/> decimals, "n/a" when undefined), and a final "mean" row.
    /// </summary>
    public IReadOnlyList<string[]> ToTableRows(int decimals = 4)
    {
        string F(double? v) => v.HasValue ? v.Value.ToString("F" + decimals, CultureInfo.InvariantCulture) : "n/a";
        var rows = new List<string[]> { new[] { "class", "iou", "dice", "accuracy", "gt_pixels", "pred_pixels" } };
        foreach (var m in PerClass)
            rows.Add([m.Name ?? m.Index.ToString(CultureInfo.InvariantCulture), F(m.IoU), F(m.Dice), F(m.Accuracy),
                m.GroundTruthPixels.ToString(CultureInfo.InvariantCulture), m.PredictedPixels.ToString(CultureInfo.InvariantCulture)]);
        rows.Add(["mean", F(MeanIoU), F(MeanDice), F(MeanClassAccuracy), Pixels.ToString(CultureInfo.InvariantCulture), ""]);
        return rows;
    }

    private static double? Mean(IEnumerable<double?> values)
    {
        double sum = 0; int n = 0;
        foreach (var v in values) if (v.HasValue) { sum += v.Value; n++; }
        return n > 0 ? sum / n : null;
    }

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.Never, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
