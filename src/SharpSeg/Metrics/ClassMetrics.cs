using System.Text.Json.Serialization;

namespace SharpSeg.Metrics;

/// <summary>
/// One class's scores. A score is null (n/a) when it is undefined for the data: IoU and Dice when the class occurs in
/// neither ground truth nor prediction, accuracy (recall) when it does not occur in the ground truth.
/// </summary>
/// <param name="Index">Class index.</param>
/// <param name="Name">Class name, or null when none were given.</param>
/// <param name="IoU">TP / (TP + FP + FN).</param>
/// <param name="Dice">2·TP / (2·TP + FP + FN) (= F1 = 2·IoU / (1 + IoU)).</param>
/// <param name="Accuracy">TP / (TP + FN): recall, the share of the class's ground-truth pixels predicted as it.</param>
/// <param name="GroundTruthPixels">TP + FN.</param>
/// <param name="PredictedPixels">TP + FP.</param>
public sealed record ClassMetrics(
    [property: JsonPropertyName("index")] int Index,
    [property: JsonPropertyName("name")] string? Name,
    [property: JsonPropertyName("iou")] double? IoU,
    [property: JsonPropertyName("dice")] double? Dice,
    [property: JsonPropertyName("accuracy")] double? Accuracy,
    [property: JsonPropertyName("ground_truth_pixels")] long GroundTruthPixels,
    [property: JsonPropertyName("predicted_pixels")] long PredictedPixels);
