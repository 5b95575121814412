using System.IO.Compression;
using System.Text.Json;
using SharpSeg.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace SharpSeg.Training;

/// <summary>
/// A self-describing checkpoint file: a zip archive with <c>info.json</c> (<see cref="CheckpointInfo"/>: model config,
/// class table, normalisation, progress), <c>model.bin</c> (TorchSharp state dict), and for resuming
/// <c>optimizer.bin</c> and <c>rng.bin</c> (libtorch's CPU generator state). Written atomically.
/// </summary>
public sealed class Checkpoint
{
    const string InfoEntry = "info.json";
    const string ModelEntry = "model.bin";
    const string OptimizerEntry = "optimizer.bin";
    const string RngEntry = "rng.bin";

    static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    Checkpoint(string path, CheckpointInfo info, byte[] model, byte[]? optimizer, byte[]? rng)
    {
        Path = path; Info = info; _model = model; _optimizer = optimizer; _rng = rng;
    }

    readonly byte[] _model;
    readonly byte[]? _optimizer;
    readonly byte[]? _rng;

    public string Path { get; }
    public CheckpointInfo Info { get; }
    public bool CanResume => _optimizer != null;

    /// <summary>Writes model weights (+ optimiser and RNG state when given) and <paramref name="info"/> to <paramref name="path"/>.</summary>
    public static void Save(string path, nn.Module model, CheckpointInfo info, optim.Optimizer? optimizer = null)
    {
        AtomicFile.Write(path, stream =>
        {
            using var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
            using (var s = zip.CreateEntry(InfoEntry).Open()) JsonSerializer.Serialize(s, info, Json);
            using (var s = zip.CreateEntry(ModelEntry, CompressionLevel.Fastest).Open())
            using (var w = new BinaryWriter(s)) model.save(w);
            if (optimizer is TorchSharp.Modules.OptimizerHelper helper)
            {
                using (var s = zip.CreateEntry(OptimizerEntry, CompressionLevel.Fastest).Open())
                using (var w = new BinaryWriter(s)) helper.save_state_dict(w);
                using var state = torch.get_rng_state();
                using (var s = zip.CreateEntry(RngEntry).Open()) s.Write(state.bytes);
            }
        });
    }

    /// <summary>Reads a checkpoint; a missing, foreign or damaged file is a one-line <see cref="SharpSegException"/>.</summary>
    public static Checkpoint Load(string path)
    {
        if (!File.Exists(path)) throw new SharpSegException($"{path}: checkpoint not found.");
        try
        {
            using var zip = ZipFile.OpenRead(path);
            var infoEntry = zip.GetEntry(InfoEntry) ?? throw new SharpSegException($"{path}: not a SharpSeg checkpoint (no {InfoEntry} inside).");
            CheckpointInfo info;
            using (var s = infoEntry.Open())
                info = JsonSerializer.Deserialize<CheckpointInfo>(s, Json) ?? throw new SharpSegException($"{path}: empty {InfoEntry}.");
            if (info.Format != CheckpointInfo.FormatName)
                throw new SharpSegException($"{path}: not a SharpSeg checkpoint (format '{info.Format}').");
            if (info.Version > CheckpointInfo.CurrentVersion)
                throw new SharpSegException($"{path}: checkpoint format version {info.Version} is newer than this SharpSeg understands ({CheckpointInfo.CurrentVersion}); upgrade SharpSeg.");
            byte[] model = ReadEntry(zip, ModelEntry) ?? throw new SharpSegException($"{path}: checkpoint has no weights ({ModelEntry}).");
            return new Checkpoint(path, info, model, ReadEntry(zip, OptimizerEntry), ReadEntry(zip, RngEntry));
        }
        catch (InvalidDataException e) { throw new SharpSegException($"{path}: checkpoint is damaged or not a SharpSeg checkpoint ({e.Message})."); }
        catch (JsonException e) { throw new SharpSegException($"{path}: checkpoint metadata is damaged ({e.Message})."); }
    }

    /// <summary>Loads the weights into <paramref name="model"/> (which must have been built from <see cref="Info"/>'s model config).</summary>
    public void LoadWeights(nn.Module model)
    {
        using var r = new BinaryReader(new MemoryStream(_model));
        try { model.load(r, strict: true); }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException)
        {
            throw new SharpSegException($"{Path}: weights do not fit the model described in the checkpoint ({e.Message}).");
        }
    }

    /// <summary>Restores optimiser state and libtorch's RNG, for an exact resume.</summary>
    public void RestoreTrainingState(optim.Optimizer optimizer)
    {
        if (_optimizer == null) throw new SharpSegException($"{Path}: this checkpoint holds weights only and cannot resume training; start a new run with it as initial weights.");
        if (optimizer is TorchSharp.Modules.OptimizerHelper helper)
        {
            using var r = new BinaryReader(new MemoryStream(_optimizer));
            helper.load_state_dict(r);
        }
        if (_rng != null)
        {
            using var state = torch.tensor(_rng, dtype: ScalarType.Byte);
            torch.set_rng_state(state);
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
