using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using SharpSeg.Models;
using SharpSeg.SelfSupervised;
using SharpSeg.Models.Encoders;

namespace SharpSeg.Checkpoints;

/// <summary>
/// What an encoder checkpoint (<see cref="EncoderCheckpoint"/>) says about itself: which encoder (enough to rebuild it),
/// the images' channels and normalisation it was trained with, and how it was trained.
/// </summary>
public sealed record EncoderCheckpointInfo
{
    public const string FormatName = "sharpseg-encoder";
    public const int CurrentVersion = 1;

    [JsonPropertyName("format")] public string Format { get; init; } = FormatName;
    [JsonPropertyName("version")] public int Version { get; init; } = CurrentVersion;
    [JsonPropertyName("sharpseg_version")] public string SharpSegVersion { get; init; } = typeof(EncoderCheckpointInfo).Assembly.GetName().Version?.ToString() ?? "";
    [JsonPropertyName("created_utc")] public DateTime CreatedUtc { get; init; } = DateTime.UtcNow;

    /// <summary>Encoder name, a key of <c>ModelZoo.Encoders</c> (<c>resnet18</c>, <c>unet</c>, …).</summary>
    [JsonPropertyName("encoder")] public required string Encoder { get; init; }

    /// <summary>Image channels the encoder takes.</summary>
    [JsonPropertyName("in_channels")] public required int InChannels { get; init; }

    /// <summary>The encoder's model config (snake_case <c>ModelConfig</c>): rebuilds the encoder with <c>ModelZoo.Encoders</c>.</summary>
    [JsonPropertyName("model")] public required JsonObject Model { get; init; }

    /// <summary>Channels of each feature map, stage 0 first.</summary>
    [JsonPropertyName("out_channels")] public required int[] OutChannels { get; init; }

    /// <summary>Per-channel mean and std applied to images scaled to [0, 1] during pretraining; fine-tune with the same.</summary>
    [JsonPropertyName("mean")] public required double[] Mean { get; init; }
    [JsonPropertyName("std")] public required double[] Std { get; init; }

    /// <summary><c>simclr</c> or <c>dense</c>.</summary>
    /// <summary>The encoder's model config, typed (from <see cref="Model"/>).</summary>
    [JsonIgnore] public Models.ModelConfig Config => Model.Deserialize<Models.ModelConfig>() ?? throw new SharpSegException("the encoder checkpoint's model config is missing.");

    /// <summary>The normalisation the encoder was pretrained with, typed (from <see cref="Mean"/> and <see cref="Std"/>).</summary>
    [JsonIgnore] public Data.Normalization Normalization => Data.Normalization.FromStored(Mean, Std);

    [JsonPropertyName("method")] public required string Method { get; init; }

    /// <summary>Optimiser steps done.</summary>
    [JsonPropertyName("iterations")] public long Iterations { get; init; }

    /// <summary>Steps of the whole run.</summary>
    [JsonPropertyName("total_iterations")] public long TotalIterations { get; init; }

    /// <summary>Number of images pretrained on.</summary>
    [JsonPropertyName("images")] public int Images { get; init; }

    /// <summary>Smoothed loss at the last step.</summary>
    [JsonPropertyName("loss")] public double? Loss { get; init; }

    /// <summary>Seconds spent training so far (all sessions of a resumed run).</summary>
    [JsonPropertyName("train_seconds")] public double TrainSeconds { get; init; }

    /// <summary>True when the run reached its budget (the file then holds the encoder only).</summary>
    [JsonPropertyName("finished")] public bool Finished { get; init; }

    /// <summary>The run's <see cref="PretrainOptions"/> (JSON), to resume it.</summary>
    [JsonPropertyName("options")] public JsonObject? Options { get; init; }

    /// <summary>
    /// Checks what the file claims before an encoder is built from it: a known version, a model config within
    /// <see cref="ModelConfig.Validate"/>'s bounds whose channels match <see cref="InChannels"/> (1 or 3), usable
    /// normalisation. Throws a one-line <see cref="SharpSegException"/> naming <paramref name="path"/>.
    /// </summary>
    public ModelConfig Validate(string path)
    {
        if (Version > CurrentVersion)
            throw new SharpSegException($"{path}: encoder checkpoint version {Version} is newer than this SharpSeg understands ({CurrentVersion}); upgrade SharpSeg.");
        SharpSegException Bad(string what) => new($"{path}: the encoder checkpoint's metadata is invalid ({what}); the file is damaged or was not written by SharpSeg.");
        var config = ModelConfig.ReadRecorded(Model, Bad);
        if (InChannels is not (1 or 3) || InChannels != config.InChannels) throw Bad($"in_channels {InChannels} for an encoder of {config.InChannels}");
        if (Data.Normalization.Problem(Mean, Std, InChannels) is { } norm) throw Bad(norm);
        return config;
    }
}
