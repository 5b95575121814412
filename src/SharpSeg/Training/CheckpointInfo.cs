using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace SharpSeg.Training;

/// <summary>One class as a checkpoint records it: name and display colour (RGB).</summary>
public sealed record CheckpointClass(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("color")] byte[] Color);

/// <summary>
/// Everything a checkpoint says about itself besides the tensors: the model config (enough to rebuild the network),
/// the class table, the image channels and normalisation the model was trained with, and where training stood.
/// <c>eval</c> and <c>predict</c> need nothing else.
/// </summary>
public sealed record CheckpointInfo
{
    public const string FormatName = "sharpseg-checkpoint";
    public const int CurrentVersion = 1;

    [JsonPropertyName("format")] public string Format { get; init; } = FormatName;
    [JsonPropertyName("version")] public int Version { get; init; } = CurrentVersion;
    [JsonPropertyName("sharpseg_version")] public string SharpSegVersion { get; init; } = typeof(CheckpointInfo).Assembly.GetName().Version?.ToString() ?? "";
    [JsonPropertyName("created_utc")] public DateTime CreatedUtc { get; init; } = DateTime.UtcNow;
    /// <summary>The model config as JSON (snake_case), as <c>ModelZoo</c> reads it.</summary>
    [JsonPropertyName("model")] public required JsonObject Model { get; init; }
    [JsonPropertyName("classes")] public required IReadOnlyList<CheckpointClass> Classes { get; init; }
    [JsonPropertyName("ignore_index")] public int IgnoreIndex { get; init; } = Imaging.LabelMask.Ignore;
    [JsonPropertyName("image_channels")] public int ImageChannels { get; init; } = 3;
    /// <summary>Per-channel mean and std applied to images scaled to [0, 1] before the network.</summary>
    [JsonPropertyName("mean")] public required double[] Mean { get; init; }
    [JsonPropertyName("std")] public required double[] Std { get; init; }
    /// <summary>Images are resized by this factor for inference and the logits resized back (1 = native size).</summary>
    [JsonPropertyName("inference_scale")] public double InferenceScale { get; init; } = 1.0;
    [JsonPropertyName("epoch")] public int Epoch { get; init; }
    /// <summary>Optimiser steps completed (the next step to run on resume).</summary>
    [JsonPropertyName("iteration")] public long Iteration { get; init; }
    [JsonPropertyName("best_miou")] public double? BestMIoU { get; init; }
    [JsonPropertyName("best_iteration")] public long? BestIteration { get; init; }
    /// <summary>Validations since the best one (for early stopping on resume).</summary>
    [JsonPropertyName("validations_since_best")] public int ValidationsSinceBest { get; init; }
    /// <summary>The resolved recipe (YAML) that produced this checkpoint.</summary>
    [JsonPropertyName("recipe")] public string? Recipe { get; init; }
    /// <summary>The latest validation metrics (JSON), when there was a validation.</summary>
    [JsonPropertyName("metrics")] public JsonNode? Metrics { get; init; }
}
