using System.Text.Json.Serialization;

namespace SharpSeg.Metrics;

/// <summary>Instance-level scores of one class over a set of images (see <see cref="InstanceScores"/>).</summary>
public sealed record InstanceClassScores
{
    [JsonPropertyName("index")] public required int Index { get; init; }
    [JsonPropertyName("name")] public required string Name { get; init; }
    /// <summary>Ground-truth instances.</summary>
    [JsonPropertyName("true_instances")] public required long TrueInstances { get; init; }
    /// <summary>Predicted instances.</summary>
    [JsonPropertyName("predicted_instances")] public required long PredictedInstances { get; init; }
    /// <summary>Predicted instances matched one-to-one to a true instance with IoU at or above the threshold.</summary>
    [JsonPropertyName("matched")] public required long Matched { get; init; }
    /// <summary>Matched / predicted; null without predictions.</summary>
    [JsonPropertyName("precision")] public double? Precision { get; init; }
    /// <summary>Matched / true; null without true instances.</summary>
    [JsonPropertyName("recall")] public double? Recall { get; init; }
    [JsonPropertyName("f1")] public double? F1 { get; init; }
    /// <summary>Mean over images of |predicted count − true count|.</summary>
    [JsonPropertyName("count_mae")] public required double CountMeanAbsoluteError { get; init; }
    /// <summary>(predicted − true) / true over all images: how far the total count is off, signed; null without true instances.</summary>
    [JsonPropertyName("count_relative_error")] public double? CountRelativeError { get; init; }
}

/// <summary>
/// The detection view of a semantic model: connected components of the predicted and the true masks, matched one-to-one
/// within each class by IoU (greedily, highest IoU first, pairs at or above <see cref="IouThreshold"/>); precision,
/// recall and F1 per class and pooled over classes, and the error in counts.
/// </summary>
public sealed record InstanceScores
{
    [JsonPropertyName("iou_threshold")] public required double IouThreshold { get; init; }
    [JsonPropertyName("connectivity")] public required int Connectivity { get; init; }
    [JsonPropertyName("min_area")] public required int MinArea { get; init; }
    [JsonPropertyName("fill_holes")] public required bool FillHoles { get; init; }
    [JsonPropertyName("images")] public required int Images { get; init; }
    [JsonPropertyName("per_class")] public required IReadOnlyList<InstanceClassScores> PerClass { get; init; }
    /// <summary>Pooled over classes: all matches / all predictions.</summary>
    [JsonPropertyName("precision")] public double? Precision { get; init; }
    [JsonPropertyName("recall")] public double? Recall { get; init; }
    [JsonPropertyName("f1")] public double? F1 { get; init; }
    /// <summary>Mean of the per-class count MAEs.</summary>
    [JsonPropertyName("mean_count_mae")] public double? MeanCountMeanAbsoluteError { get; init; }

    /// <summary>Precision, recall and F1 from counts (null where undefined: no predictions, no truths, or both zero).</summary>
    public static (double? Precision, double? Recall, double? F1) Score(long matched, long predicted, long truth)
    {
        double? p = predicted > 0 ? (double)matched / predicted : null;
        double? r = truth > 0 ? (double)matched / truth : null;
        double? f = predicted + truth > 0 ? 2.0 * matched / (predicted + truth) : null;
        return (p, r, f);
    }
}
