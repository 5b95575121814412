using System.Text.Json;
using SharpSeg.Data;
using SharpSeg.IO;
using SharpSeg.Models;
using SharpSeg.Models.Encoders;
using TorchSharp;
using static TorchSharp.torch;

namespace SharpSeg.Checkpoints;

/// <summary>
/// A pretrained encoder, as <c>sharpseg pretrain</c> writes it: a zip archive with <c>info.json</c>
/// (<see cref="EncoderCheckpointInfo"/>: encoder name and config, channels, normalisation, method, iterations) and
/// <c>encoder.bin</c> (the encoder's TorchSharp state dict, loadable with <c>encoder.load(path)</c>). While a run is
/// unfinished it also holds <c>network.bin</c> (encoder + projection heads), <c>optimizer.bin</c> and <c>rng.bin</c>
/// so that it can be resumed. Written atomically.
/// </summary>
public sealed class EncoderCheckpoint
{
    const string EncoderEntry = "encoder.bin";
    const string NetworkEntry = "network.bin";

    readonly byte[] encoderWeights;
    readonly byte[]? network, optimizer, rng;

    EncoderCheckpoint(string path, EncoderCheckpointInfo info, byte[] encoderWeights, byte[]? network, byte[]? optimizer, byte[]? rng)
    {
        Path = path; Info = info; this.encoderWeights = encoderWeights; this.network = network; this.optimizer = optimizer; this.rng = rng;
    }

    public string Path { get; }
    public EncoderCheckpointInfo Info { get; }

    /// <summary>True when the file holds the training state of an unfinished run (heads, optimiser, RNG).</summary>
    public bool CanResume => network != null && optimizer != null;

    /// <summary>The normalisation the encoder was pretrained with (mean/std per channel of images scaled to [0, 1]).</summary>
    public Normalization Normalization => Info.Normalization;

    /// <summary>
    /// True when <paramref name="path"/> is an encoder checkpoint from <c>sharpseg pretrain</c> (a zip whose
    /// <c>info.json</c> says <c>format: sharpseg-encoder</c>), false for anything else (a training checkpoint, another
    /// file, a missing one), without reading the weights: lets a caller that accepts several kinds of <c>.ckpt</c>
    /// dispatch to <see cref="LoadInto"/>.
    /// </summary>
    public static bool IsEncoderCheckpoint(string path)
    {
        if (!File.Exists(path)) return false;
        try
        {
            using var archive = CheckpointArchive.OpenRead(path);
            var info = archive.ReadBytes(CheckpointArchive.InfoEntry);
            if (info == null) return false;
            using var doc = JsonDocument.Parse(info);
            return doc.RootElement.TryGetProperty("format", out var f) && f.ValueKind == JsonValueKind.String && f.GetString() == EncoderCheckpointInfo.FormatName;
        }
        catch (Exception e) when (e is InvalidDataException or JsonException or IOException or SharpSegException) { return false; }
    }

    /// <summary>The encoder's model config, as recorded.</summary>
    public ModelConfig EncoderConfig => Info.Config;

    /// <summary>
    /// Writes <paramref name="encoder"/>'s weights and <paramref name="info"/>; with <paramref name="network"/> and
    /// <paramref name="optimizer"/> also the training state (heads, optimiser, libtorch's RNG) for resuming.
    /// </summary>
    public static void Save(string path, Encoder encoder, EncoderCheckpointInfo info, nn.Module? network = null, optim.Optimizer? optimizer = null)
    {
        // The training state goes in whole or not at all: heads, optimiser and RNG together.
        bool resumable = network != null && optimizer is TorchSharp.Modules.OptimizerHelper;
        CheckpointArchive.Write(path, info, resumable ? [(EncoderEntry, encoder), (NetworkEntry, network!)] : [(EncoderEntry, encoder)],
            resumable ? optimizer : null);
    }

    /// <summary>Reads an encoder checkpoint; a missing, foreign or damaged file is a one-line <see cref="SharpSegException"/>.</summary>
    public static EncoderCheckpoint Load(string path) => CheckpointArchive.Read(path, "encoder checkpoint", "not a zip", archive =>
    {
        using var doc = JsonDocument.Parse(archive.ReadBytes(CheckpointArchive.InfoEntry)!);
        string? format = doc.RootElement.TryGetProperty("format", out var f) ? f.GetString() : null;
        if (format == CheckpointInfo.FormatName)
            throw new SharpSegException($"{path}: is a model checkpoint from 'sharpseg train', not an encoder from 'sharpseg pretrain'; give the .ckpt that 'sharpseg pretrain --out' wrote.");
        if (format != EncoderCheckpointInfo.FormatName)
            throw new SharpSegException($"{path}: not a SharpSeg encoder checkpoint (format '{format}').");
        var info = doc.RootElement.Deserialize<EncoderCheckpointInfo>(CheckpointArchive.Json) ?? throw new SharpSegException($"{path}: empty {CheckpointArchive.InfoEntry}.");
        info.Validate(path);
        byte[] weights = archive.ReadBytes(EncoderEntry) ?? throw new SharpSegException($"{path}: encoder checkpoint has no weights ({EncoderEntry}).");
        return new EncoderCheckpoint(path, info, weights, archive.ReadBytes(NetworkEntry), archive.ReadBytes(CheckpointArchive.OptimizerEntry),
            archive.ReadBytes(CheckpointArchive.RngEntry));
    });

    /// <summary>
    /// Loads the pretrained weights of the checkpoint at <paramref name="path"/> into <paramref name="encoder"/> (e.g. a
    /// <c>SegmentationModel</c>'s <c>Encoder</c> before training) and returns what the checkpoint says about itself.
    /// <paramref name="encoderName"/> (the model's <c>model.encoder</c>), when given, must be the pretrained encoder's
    /// name. The weights must fit exactly (same names and shapes; the output stride may differ, dilation has no
    /// weights); anything else is a one-line <see cref="SharpSegException"/> saying what differs.
    /// </summary>
    public static EncoderCheckpointInfo LoadInto(Encoder encoder, string path, string? encoderName = null)
    {
        var ckpt = Load(path);
        ckpt.LoadWeights(encoder, encoderName);
        return ckpt.Info;
    }

    /// <summary>A new encoder built from the recorded config, with the pretrained weights (training mode).</summary>
    public Encoder CreateEncoder()
    {
        var encoder = BuildEncoder(EncoderConfig);
        ReadWeights(encoder);
        return encoder;
    }

    /// <summary>Loads the pretrained weights into <paramref name="encoder"/>; see <see cref="LoadInto"/>.</summary>
    public void LoadWeights(Encoder encoder, string? encoderName = null)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        string pretrained = Info.Encoder;
        if (encoderName != null && !string.Equals(encoderName.Trim(), pretrained, StringComparison.OrdinalIgnoreCase))
            throw new SharpSegException($"{Path}: holds a pretrained '{pretrained}' encoder but the model's encoder is '{encoderName}'; set model.encoder: {pretrained}, or pretrain with --encoder {encoderName}.");
        if (encoder.InChannels != Info.InChannels)
            throw new SharpSegException($"{Path}: the '{pretrained}' encoder was pretrained on {Info.InChannels}-channel images but the model takes {encoder.InChannels}-channel images; pretrain with --channels {encoder.InChannels}, or set the dataset's image_channels to {Info.InChannels}.");
        using var source = CreateEncoder();
        var want = encoder.state_dict();
        var have = source.state_dict();
        var missing = want.Keys.Where(k => !have.ContainsKey(k)).ToList();
        var unexpected = have.Keys.Where(k => !want.ContainsKey(k)).ToList();
        var shapes = want.Keys.Where(k => have.ContainsKey(k) && !want[k].shape.SequenceEqual(have[k].shape))
            .Select(k => $"{k} [{string.Join(", ", have[k].shape)}] vs [{string.Join(", ", want[k].shape)}]").ToList();
        if (missing.Count + unexpected.Count + shapes.Count > 0)
        {
            string example = shapes.Count > 0 ? $"e.g. {shapes[0]}" : missing.Count > 0 ? $"e.g. the model needs {missing[0]}" : $"e.g. the checkpoint has {unexpected[0]}";
            var m = EncoderConfig;
            string settings = m.Encoder == "unet" ? $" (depth {m.Depth}, base width {m.BaseWidth}, batch norm {m.BatchNorm.ToString().ToLowerInvariant()})" : "";
            throw new SharpSegException($"{Path}: the pretrained '{pretrained}' encoder{settings} does not fit the model's encoder: {shapes.Count} weights differ in shape, {missing.Count} missing, {unexpected.Count} unexpected ({example}); pretrain with the model's encoder settings.");
        }
        using var noGrad = torch.no_grad();
        foreach (var (k, t) in want) t.copy_(have[k]);
    }

    /// <summary>Restores heads, optimiser and libtorch's RNG into a run being resumed.</summary>
    internal void RestoreTraining(nn.Module networkModule, optim.Optimizer opt)
    {
        if (network == null || optimizer == null) throw new SharpSegException($"{Path}: holds the finished encoder only and cannot be resumed; start a new run (or pretrain longer with a new --out).");
        CheckpointArchive.LoadWeights(networkModule, network, e => $"{Path}: the projection heads in the checkpoint do not fit this run ({e.Message}); start a new run with a new --out.");
        CheckpointArchive.RestoreTrainingState(opt, optimizer, rng, Path);
    }

    /// <summary>Builds an encoder of the zoo from a config (unknown names are a <see cref="SharpSegException"/>).</summary>
    internal static Encoder BuildEncoder(ModelConfig config)
    {
        string name = config.Encoder.Trim().ToLowerInvariant();
        if (!ModelZoo.Encoders.TryGetValue(name, out var build))
            throw new SharpSegException($"unknown encoder '{config.Encoder}': use one of {string.Join(", ", ModelZoo.Encoders.Keys)}.");
        config.Validate();
        return build(config with { Encoder = name });
    }

    void ReadWeights(Encoder encoder) => CheckpointArchive.LoadWeights(encoder, encoderWeights,
        e => $"{Path}: weights do not fit the '{Info.Encoder}' encoder the checkpoint describes; the file is damaged ({e.Message}).");
}
