using System.Text.Json;
using static TorchSharp.torch;

namespace SharpSeg.Checkpoints;

/// <summary>
/// A self-describing checkpoint file: a zip archive with <c>info.json</c> (<see cref="CheckpointInfo"/>: model config,
/// class table, normalisation, progress), <c>model.bin</c> (TorchSharp state dict), and for resuming
/// <c>optimizer.bin</c> and <c>rng.bin</c> (libtorch's CPU generator state). Written atomically.
/// </summary>
public sealed class Checkpoint
{
    const string ModelEntry = "model.bin";

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
    public static void Save(string path, nn.Module model, CheckpointInfo info, optim.Optimizer? optimizer = null) =>
        CheckpointArchive.Write(path, info, [(ModelEntry, model)], optimizer);

    /// <summary>Reads a checkpoint; a missing, foreign, damaged or implausible file (<see cref="CheckpointInfo.Validate"/>,
    /// entries bounded and CRC-checked) is a one-line <see cref="SharpSegException"/>.</summary>
    public static Checkpoint Load(string path) => CheckpointArchive.Read(path, "checkpoint", "not a SharpSeg checkpoint", archive =>
    {
        var info = ReadInfo(archive, path);
        byte[] model = archive.ReadBytes(ModelEntry) ?? throw new SharpSegException($"{path}: checkpoint has no weights ({ModelEntry}).");
        return new Checkpoint(path, info, model, archive.ReadBytes(CheckpointArchive.OptimizerEntry), archive.ReadBytes(CheckpointArchive.RngEntry));
    });

    /// <summary>Only the description of a checkpoint (model config, classes, normalisation), without reading its weights: for
    /// checks before a model is built. Errors as <see cref="Load"/>.</summary>
    public static CheckpointInfo ReadInfo(string path) => CheckpointArchive.Read(path, "checkpoint", "not a SharpSeg checkpoint", archive => ReadInfo(archive, path));

    static CheckpointInfo ReadInfo(CheckpointArchive archive, string path)
    {
        var info = JsonSerializer.Deserialize<CheckpointInfo>(archive.ReadBytes(CheckpointArchive.InfoEntry)!, CheckpointArchive.Json)
            ?? throw new SharpSegException($"{path}: empty {CheckpointArchive.InfoEntry}.");
        info.Validate(path);
        return info;
    }

    /// <summary>Loads the weights into <paramref name="model"/> (which must have been built from <see cref="Info"/>'s model config).</summary>
    public void LoadWeights(nn.Module model) =>
        CheckpointArchive.LoadWeights(model, _model, e => $"{Path}: weights do not fit the model described in the checkpoint ({e.Message}).");

    /// <summary>Restores optimiser state and libtorch's RNG, for an exact resume.</summary>
    public void RestoreTrainingState(optim.Optimizer optimizer)
    {
        if (_optimizer == null) throw new SharpSegException($"{Path}: this checkpoint holds weights only and cannot resume training; start a new run with it as initial weights.");
        CheckpointArchive.RestoreTrainingState(optimizer, _optimizer, _rng, Path);
    }
}
