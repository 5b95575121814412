using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using SharpSeg.Models;
using SharpSeg.Data;

namespace SharpSeg.Checkpoints;

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
    /// <summary>The class table the model was trained on (names, display colours, and the mask pixel values of an
    /// index-encoded dataset), in the one JSON form of <see cref="Data.Dataset.ClassTableJson"/>.</summary>
    [JsonPropertyName("classes")] public required Data.Dataset.ClassTable Classes { get; init; }
    [JsonPropertyName("ignore_index")] public int IgnoreIndex { get; init; } = Imaging.LabelMask.Ignore;
    [JsonPropertyName("image_channels")] public int ImageChannels { get; init; } = 3;
    /// <summary>Per-channel mean and std applied to images scaled to [0, 1] before the network.</summary>
    [JsonPropertyName("mean")] public required double[] Mean { get; init; }
    [JsonPropertyName("std")] public required double[] Std { get; init; }
    /// <summary>The dataset's <c>image_range</c> ([low, high] raw 16-bit values stretched to 0..255), or null when 16-bit
    /// images were read at full scale (<see cref="Imaging.IntensityRange"/>).</summary>
    [JsonPropertyName("image_range")] public int[]? ImageRange { get; init; }
    /// <summary>How the training images were cut from NIfTI volumes (the dataset's <c>volumes:</c>); <c>predict</c> on a
    /// volume cuts it the same way. Null for a dataset of images.</summary>
    [JsonPropertyName("volume_slicing")] public Imaging.VolumeSlicing? VolumeSlicing { get; init; }
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

    /// <summary>The model config, typed (read from <see cref="Model"/> each time; <see cref="Validate"/> has checked it on
    /// every load path).</summary>
    [JsonIgnore] public ModelConfig Config => ModelConfig.ReadRecorded(Model, what => new SharpSegException($"the checkpoint's model config is invalid ({what})."));

    /// <summary>The normalisation the model was trained with, typed (from <see cref="Mean"/> and <see cref="Std"/>).</summary>
    [JsonIgnore] public Data.Normalization Normalization => Data.Normalization.FromStored(Mean, Std);

    /// <summary>The range 16-bit images are read with, typed (from <see cref="ImageRange"/>); null for full scale.</summary>
    [JsonIgnore] public Imaging.IntensityRange? IntensityRange => Imaging.IntensityRange.FromStored(ImageRange);

    /// <summary>The most <see cref="InferenceScale"/> may be (as <c>eval.scale</c> in a recipe).</summary>
    public const double MaxInferenceScale = 4;

    /// <summary>
    /// Checks what the file claims before anything is built from it (every load path calls it: checkpoints and ONNX
    /// exports): the format and version, a model config within <see cref="ModelConfig.Validate"/>'s bounds, a class
    /// table that matches it (1..255 classes, colours of 3 values), image channels 1 or 3 matching the model, usable
    /// normalisation, an inference scale in (0, 4]. Throws a one-line <see cref="SharpSegException"/> naming
    /// <paramref name="path"/> and returns the model config.
    /// </summary>
    public ModelConfig Validate(string path)
    {
        if (Format != FormatName) throw new SharpSegException($"{path}: not a SharpSeg checkpoint (format '{Format}').");
        if (Version > CurrentVersion)
            throw new SharpSegException($"{path}: checkpoint format version {Version} is newer than this SharpSeg understands ({CurrentVersion}); upgrade SharpSeg.");
        SharpSegException Bad(string what) => new($"{path}: the checkpoint's metadata is invalid ({what}); the file is damaged or was not written by SharpSeg.");
        var config = ModelConfig.ReadRecorded(Model, Bad);
        if (Classes == null || Classes.Count != config.NumClasses)
            throw Bad($"{Classes?.Count ?? 0} classes for a model of {config.NumClasses}");
        if (ImageChannels is not (1 or 3) || ImageChannels != config.InChannels)
            throw Bad($"image_channels {ImageChannels} for a model of {config.InChannels} input channels");
        if (Data.Normalization.Problem(Mean, Std, ImageChannels) is { } norm) throw Bad(norm);
        if (!Imaging.IntensityRange.IsValidStored(ImageRange))
            throw Bad($"image_range [{string.Join(", ", ImageRange)}] is not [low, high] with 0 <= low < high <= 65535");
        if (VolumeSlicing?.Problem(Classes.Count) is { } slicing) throw Bad($"volume_slicing: {slicing}");
        if (!(InferenceScale > 0 && InferenceScale <= MaxInferenceScale)) throw Bad($"inference_scale {InferenceScale} is outside (0, {MaxInferenceScale}]");
        if (IgnoreIndex is < 0 or > 255) throw Bad($"ignore_index {IgnoreIndex} is outside 0..255");
        if (Iteration < 0 || Epoch < 0) throw Bad("negative progress");
        return config;
    }
}
