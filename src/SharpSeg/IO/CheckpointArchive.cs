using System.IO.Compression;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace SharpSeg.IO;

/// <summary>
/// The container both checkpoint kinds (<see cref="Training.Checkpoint"/>, <see cref="SelfSupervised.EncoderCheckpoint"/>)
/// are stored in: a zip archive with <c>info.json</c> first (the kind's metadata, indented JSON), one entry per
/// TorchSharp state dict, and, for resuming, <c>optimizer.bin</c> (the optimiser's state dict) and <c>rng.bin</c>
/// (libtorch's CPU generator state). Written atomically; what each kind names its weight entries, and what its
/// metadata says, is the kind's own business.
/// </summary>
internal sealed class CheckpointArchive : IDisposable
{
    public const string InfoEntry = "info.json";
    public const string OptimizerEntry = "optimizer.bin";
    public const string RngEntry = "rng.bin";

    public static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    readonly ZipArchive zip;

    CheckpointArchive(ZipArchive zip) => this.zip = zip;

    /// <summary>
    /// Writes <paramref name="info"/>, then each module's state dict (deflated, fastest) in the order given, then, when
    /// <paramref name="optimizer"/> can save its state, the optimiser's state and libtorch's RNG state.
    /// </summary>
    public static void Write<TInfo>(string path, TInfo info, IEnumerable<(string Entry, nn.Module Module)> weights, optim.Optimizer? optimizer = null)
    {
        AtomicFile.Write(path, stream =>
        {
            using var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
            using (var s = zip.CreateEntry(InfoEntry).Open()) JsonSerializer.Serialize(s, info, Json);
            foreach (var (entry, module) in weights)
            {
                using var s = zip.CreateEntry(entry, CompressionLevel.Fastest).Open();
                using var w = new BinaryWriter(s);
                module.save(w);
            }
            if (optimizer is TorchSharp.Modules.OptimizerHelper helper)
            {
                using (var s = zip.CreateEntry(OptimizerEntry, CompressionLevel.Fastest).Open())
                using (var w = new BinaryWriter(s)) helper.save_state_dict(w);
                using var state = torch.get_rng_state();
                using (var s = zip.CreateEntry(RngEntry).Open()) s.Write(state.bytes);
            }
        });
    }

    /// <summary>
    /// Opens the archive at <paramref name="path"/> and hands it to <paramref name="read"/>, within the errors both kinds
    /// share, each a one-line <see cref="SharpSegException"/> that names the <paramref name="kind"/> ("checkpoint",
    /// "encoder checkpoint"): a missing file, an archive without <c>info.json</c>, a damaged zip ("… is damaged or
    /// <paramref name="damagedOr"/> (…)"), damaged JSON metadata.
    /// </summary>
    public static T Read<T>(string path, string kind, string damagedOr, Func<CheckpointArchive, T> read)
    {
        if (!File.Exists(path)) throw new SharpSegException($"{path}: {kind} not found.");
        try
        {
            using var archive = OpenRead(path);
            if (archive.zip.GetEntry(InfoEntry) == null) throw new SharpSegException($"{path}: not a SharpSeg {kind} (no {InfoEntry} inside).");
            return read(archive);
        }
        catch (InvalidDataException e) { throw new SharpSegException($"{path}: {kind} is damaged or {damagedOr} ({e.Message})."); }
        catch (JsonException e) { throw new SharpSegException($"{path}: {kind} metadata is damaged ({e.Message})."); }
    }

    /// <summary>Opens the archive at <paramref name="path"/> as it is (no checks; a file that is not a zip throws <see cref="InvalidDataException"/>).</summary>
    public static CheckpointArchive OpenRead(string path) => new(ZipFile.OpenRead(path));

    /// <summary>A stream over entry <paramref name="name"/>, or null when the archive has none.</summary>
    public Stream? Open(string name) => zip.GetEntry(name)?.Open();

    /// <summary>The bytes of entry <paramref name="name"/>, or null when the archive has none.</summary>
    public byte[]? ReadBytes(string name)
    {
        using var s = Open(name);
        if (s == null) return null;
        using var ms = new MemoryStream();
        s.CopyTo(ms);
        return ms.ToArray();
    }

    /// <summary>
    /// Loads a state dict read with <see cref="ReadBytes"/> into <paramref name="module"/> (strict: same names and
    /// shapes); weights that do not fit are a <see cref="SharpSegException"/> with <paramref name="misfit"/>'s message.
    /// </summary>
    public static void LoadWeights(nn.Module module, byte[] weights, Func<Exception, string> misfit)
    {
        using var r = new BinaryReader(new MemoryStream(weights));
        try { module.load(r, strict: true); }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException)
        {
            throw new SharpSegException(misfit(e));
        }
    }

    /// <summary>Restores an optimiser's state (when it can load one) and, when recorded, libtorch's RNG, for an exact resume.</summary>
    public static void RestoreTrainingState(optim.Optimizer optimizer, byte[] optimizerState, byte[]? rng)
    {
        if (optimizer is TorchSharp.Modules.OptimizerHelper helper)
        {
            using var r = new BinaryReader(new MemoryStream(optimizerState));
            helper.load_state_dict(r);
        }
        if (rng != null)
        {
            using var state = torch.tensor(rng, dtype: ScalarType.Byte);
            torch.set_rng_state(state);
        }
    }

    public void Dispose() => zip.Dispose();
}
