using System.Text.Json.Serialization;

namespace SharpSeg.Curation.Simulation;

/// <summary>One training run of a simulation: what it was trained on and what it scored on val.</summary>
public sealed record SimulationRunResult
{
    [JsonPropertyName("seed")] public int Seed { get; init; }

    /// <summary>"initial" for the random starting set, else the strategy mix.</summary>
    [JsonPropertyName("strategy")] public string Strategy { get; init; } = "";
    [JsonPropertyName("labelled")] public int Labelled { get; init; }
    [JsonPropertyName("val_miou")] public double? ValMIoU { get; init; }
    [JsonPropertyName("val_pixel_accuracy")] public double? ValPixelAccuracy { get; init; }
    [JsonPropertyName("per_class_iou")] public double?[] PerClassIoU { get; init; } = [];
    [JsonPropertyName("class_names")] public string[] ClassNames { get; init; } = [];
    [JsonPropertyName("train_seconds")] public double TrainSeconds { get; init; }
    [JsonPropertyName("run")] public string Run { get; init; } = "";
    [JsonPropertyName("list")] public string List { get; init; } = "";
}
