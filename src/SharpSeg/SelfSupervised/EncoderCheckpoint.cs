using System.IO.Compression;
using System.Text.Json;
using SharpSeg.Data.Augmentation;
using SharpSeg.IO;
using SharpSeg.Models;
using SharpSeg.Models.Encoders;
using TorchSharp;
using static TorchSharp.torch;

namespace SharpSeg.SelfSupervised;

/// <summary>
/// A pretrained encoder, as <c>sharpseg pretrain</c> writes it: a zip archive with <c>info.json</c>
/// (<see cref="EncoderCheckpointInfo"/>: encoder name and config, channels, normalisation, method, iterations) and
/// <c>encoder.bin</c> (the encoder's TorchSharp state dict, loadable with <c>encoder.load(path)</c>). While a run is
/// unfinished it also holds <c>network.bin</c> (encoder + projection heads), <c>optimizer.bin</c> and <c>rng.bin</c>
/// so that it can be resumed. Written atomically.
/// </summary>
public sealed class EncoderCheckpoint
{
    const string InfoEntry = "info.json";
    const string EncoderEntry = "encoder.bin";
    const string NetworkEntry = "network.bin";
    const string OptimizerEntry = "optimizer.bin";
    const string RngEntry = "rng.bin";

    static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

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
    public Normalization Normalization => new(Info.Mean.Select(v => (float)v).ToArray(), Info.Std.Select(v => (float)v).ToArray());

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
            using var zip = ZipFile.OpenRead(path);
            var entry = zip.GetEntry(InfoEntry);
            if (entry == null) return false;
            using var s = entry.Open();
            using var doc = JsonDocument.Parse(s);
            return doc.RootElement.TryGetProperty("format", out var f) && f.ValueKind == JsonValueKind.String && f.GetString() == EncoderCheckpointInfo.FormatName;
        }
        catch (Exception e) when (e is InvalidDataException or JsonException or IOException) { return false; }
    }

    /// <summary>The encoder's model config, as recorded.</summary>
    public ModelConfig EncoderConfig => Info.Model.Deserialize<ModelConfig>() ?? throw new SharpSegException($"{Path}: encoder config is missing.");

    /// <summary>
    /// Writes <paramref name="encoder"/>'s weights and <paramref name="info"/>; with <paramref name="network"/> and
    /// <paramref name="optimizer"/> also the training state (heads, optimiser, libtorch's RNG) for resuming.
    /// </summary>
    public static void Save(string path, Encoder encoder, EncoderCheckpointInfo info, nn.Module? network = null, optim.Optimizer? optimizer = null)
    {
        AtomicFile.Write(path, stream =>
        {
            using var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
            using (var s = zip.CreateEntry(InfoEntry).Open()) JsonSerializer.Serialize(s, info, Json);
            using (var s = zip.CreateEntry(EncoderEntry, CompressionLevel.Fastest).Open())
            using (var w = new BinaryWriter(s)) encoder.save(w);
            if (network != null && optimizer is TorchSharp.Modules.OptimizerHelper helper)
            {
                using (var s = zip.CreateEntry(NetworkEntry, CompressionLevel.Fastest).Open())
                using (var w = new BinaryWriter(s)) network.save(w);
                using (var s = zip.CreateEntry(OptimizerEntry, CompressionLevel.Fastest).Open())
                using (var w = new BinaryWriter(s)) helper.save_state_dict(w);
                using var state = torch.get_rng_state();
                using (var s = zip.CreateEntry(RngEntry).Open()) s.Write(state.bytes);
            }
        });
    }

    /// <summary>Reads an encoder checkpoint; a missing, foreign or damaged file is a one-line <see cref="SharpSegException"/>.</summary>
    public static EncoderCheckpoint Load(string path)
    {
        if (!File.Exists(path)) throw new SharpSegException($"{path}: encoder checkpoint not found.");
        try
        {
            using var zip = ZipFile.OpenRead(path);
            var infoEntry = zip.GetEntry(InfoEntry) ?? throw new SharpSegException($"{path}: not a SharpSeg encoder checkpoint (no {InfoEntry} inside).");
            using var doc = JsonDocument.Parse(ReadEntry(zip, InfoEntry)!);
            string? format = doc.RootElement.TryGetProperty("format", out var f) ? f.GetString() : null;
            if (format == Training.CheckpointInfo.FormatName)
                throw new SharpSegException($"{path}: is a model checkpoint from 'sharpseg train', not an encoder from 'sharpseg pretrain'; give the .ckpt that 'sharpseg pretrain --out' wrote.");
            if (format != EncoderCheckpointInfo.FormatName)
                throw new SharpSegException($"{path}: not a SharpSeg encoder checkpoint (format '{format}').");
            var info = doc.RootElement.Deserialize<EncoderCheckpointInfo>(Json) ?? throw new SharpSegException($"{path}: empty {InfoEntry}.");
            if (info.Version > EncoderCheckpointInfo.CurrentVersion)
                throw new SharpSegException($"{path}: encoder checkpoint version {info.Version} is newer than this SharpSeg understands ({EncoderCheckpointInfo.CurrentVersion}); upgrade SharpSeg.");
            byte[] weights = ReadEntry(zip, EncoderEntry) ?? throw new SharpSegException($"{path}: encoder checkpoint has no weights ({EncoderEntry}).");
            return new EncoderCheckpoint(path, info, weights, ReadEntry(zip, NetworkEntry), ReadEntry(zip, OptimizerEntry), ReadEntry(zip, RngEntry));
        }
        catch (InvalidDataException e) { throw new SharpSegException($"{path}: encoder checkpoint is damaged or not a zip ({e.Message})."); }
        catch (JsonException e) { throw new SharpSegException($"{path}: encoder checkpoint metadata is damaged ({e.Message})."); }
    }

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
        using (var r = new BinaryReader(new MemoryStream(network))) networkModule.load(r, strict: true);
        if (opt is TorchSharp.Modules.OptimizerHelper helper)
        {
            using var r = new BinaryReader(new MemoryStream(optimizer));
            helper.load_state_dict(r);
        }
        if (rng != null)
        {
            using var state = torch.tensor(rng, dtype: ScalarType.Byte);
            torch.set_rng_state(state);
        }
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

    void ReadWeights(Encoder encoder)
    {
        using var r = new BinaryReader(new MemoryStream(encoderWeights));
        try { encoder.load(r, strict: true); }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException)
        {
            throw new SharpSegException($"{Path}: weights do not fit the '{Info.Encoder}' encoder the checkpoint describes; the file is damaged ({e.Message}).");
        }
    }

    static byte[]? ReadEntry(ZipArchive zip, string name)
    {
        var e = zip.GetEntry(name);
        if (e == null) return null;
        using var s = e.Open();
        using var ms = new MemoryStream();
        s.CopyTo(ms);
        return ms.ToArray();
    }
}
