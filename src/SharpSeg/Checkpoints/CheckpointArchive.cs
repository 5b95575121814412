using System.IO.Compression;
using System.IO.Hashing;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;
using SharpSeg.IO;

namespace SharpSeg.Checkpoints;

/// <summary>
/// The container both checkpoint kinds (<see cref="Checkpoint"/>, <see cref="EncoderCheckpoint"/>)
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

    /// <summary>The most bytes <c>info.json</c> may hold (metadata, the resolved recipe, the last metrics): 16 MB.</summary>
    public const long MaxInfoBytes = 16 << 20;

    /// <summary>The most bytes <c>rng.bin</c> may hold (libtorch's CPU generator state is about 5 KB): 1 MB.</summary>
    public const long MaxRngBytes = 1 << 20;

    readonly ZipArchive zip;
    readonly string path;

    CheckpointArchive(ZipArchive zip, string path) { this.zip = zip; this.path = path; }

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
        catch (InvalidDataException e) { throw new SharpSegException($"{path}: {kind} is damaged or {damagedOr} ({OneLine(e.Message)})."); }
        catch (JsonException e) { throw new SharpSegException($"{path}: {kind} metadata is damaged ({OneLine(e.Message)})."); }
        catch (IOException e) when (e is not FileNotFoundException) { throw new SharpSegException($"{path}: cannot read the {kind} ({OneLine(e.Message)})."); }
    }

    /// <summary>Opens the archive at <paramref name="path"/> as it is (no checks; a file that is not a zip throws <see cref="InvalidDataException"/>).</summary>
    public static CheckpointArchive OpenRead(string path) => new(ZipFile.OpenRead(path), path);

    /// <summary>
    /// The bytes of entry <paramref name="name"/>, or null when the archive has none. Bounded and verified, because the
    /// sizes in a zip are the file's own claims and .NET does not check CRCs: the declared size must be within the
    /// entry's cap (<see cref="MaxInfoBytes"/>, <see cref="MaxRngBytes"/>, 2 GB for weights and optimiser state), the
    /// entry must inflate to exactly that size, and its CRC-32 must match; otherwise a one-line
    /// <see cref="SharpSegException"/> naming the file and the entry.
    /// </summary>
    public byte[]? ReadBytes(string name)
    {
        var entry = zip.GetEntry(name);
        if (entry == null) return null;
        long cap = name switch { InfoEntry => MaxInfoBytes, RngEntry => MaxRngBytes, _ => Array.MaxLength };
        // Deflate expands at most 1032:1, so the compressed size bounds what the entry can honestly claim.
        long possible = entry.CompressedLength * 1032 + 1024;
        if (entry.Length > cap || entry.Length < 0 || entry.Length > possible)
            throw new SharpSegException($"{path}: entry '{name}' claims {entry.Length} bytes, more than it can hold ({Math.Min(cap, possible)}); the file is damaged or hostile, not a checkpoint SharpSeg wrote.");
        var bytes = new byte[entry.Length];
        using (var s = entry.Open())
        {
            try { s.ReadExactly(bytes); }
            catch (EndOfStreamException) { throw Damaged(name, $"it inflates to fewer than the {entry.Length} bytes it declares"); }
            if (s.ReadByte() != -1) throw Damaged(name, $"it inflates to more than the {entry.Length} bytes it declares");
        }
        if (Crc32.HashToUInt32(bytes) != entry.Crc32) throw Damaged(name, "CRC mismatch: its bytes changed since it was written");
        return bytes;
    }

    SharpSegException Damaged(string entry, string why) =>
        new($"{path}: checkpoint entry '{entry}' is damaged ({why}); re-copy the file or use another checkpoint.");

    static string OneLine(string s) => s.Replace('\r', ' ').Replace('\n', ' ');

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

    /// <summary>Restores an optimiser's state (when it can load one) and, when recorded, libtorch's RNG, for an exact resume.
    /// <paramref name="path"/> names the checkpoint in the error when the state does not fit the optimiser.</summary>
    public static void RestoreTrainingState(optim.Optimizer optimizer, byte[] optimizerState, byte[]? rng, string path)
    {
        try
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
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException or System.Runtime.InteropServices.ExternalException)
        {
            throw new SharpSegException($"{path}: the optimiser or RNG state in the checkpoint does not fit this run ({OneLine(e.Message)}); resume from a checkpoint this run wrote, or start a new run from its weights.");
        }
    }

    public void Dispose() => zip.Dispose();
}
