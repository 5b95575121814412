using System.Collections;
using SharpSeg.IO;
using static TorchSharp.torch;

namespace SharpSeg.Pretrained;

/// <summary>
/// Named tensors read from a weights file (PyTorch <c>state_dict</c>, safetensors, the ONNX ResNet-18) on the CPU,
/// with the file they came from. Owns its tensors: dispose it after loading them into a model.
/// </summary>
public sealed class StateDict : IDisposable
{
    private readonly Dictionary<string, Tensor> tensors;
    private readonly List<string> keys;

    /// <param name="source">Where the tensors came from (a path), for messages.</param>
    /// <param name="entries">Key → tensor, in file order; the state dict takes ownership.</param>
    /// <param name="notes">Things the user should hear about the file (e.g. that it is a pickle).</param>
    public StateDict(string source, IEnumerable<(string Key, Tensor Value)> entries, IEnumerable<string>? notes = null)
    {
        Source = source;
        tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        keys = [];
        foreach (var (k, v) in entries)
        {
            if (!tensors.TryAdd(k, v)) throw new SharpSegException($"{source}: holds the key '{k}' twice.");
            keys.Add(k);
        }
        Notes = notes?.ToList() ?? [];
    }

    /// <summary>The file (or description) the tensors were read from.</summary>
    public string Source { get; }

    /// <summary>The keys in file order.</summary>
    public IReadOnlyList<string> Keys => keys;

    /// <summary>Remarks for the user about this file (printed by front ends), e.g. the pickle warning.</summary>
    public IReadOnlyList<string> Notes { get; }

    /// <summary>Number of tensors.</summary>
    public int Count => keys.Count;

    /// <summary>The tensor stored under <paramref name="key"/>.</summary>
    public Tensor this[string key] => tensors[key];

    /// <summary>True (and the tensor) when <paramref name="key"/> is present.</summary>
    public bool TryGet(string key, out Tensor tensor) => tensors.TryGetValue(key, out tensor!);

    /// <summary>True when <paramref name="key"/> is present.</summary>
    public bool Contains(string key) => tensors.ContainsKey(key);

    /// <summary>
    /// Reads a weights file by its extension: <c>.safetensors</c> (read by <see cref="Safetensors"/>, nothing executed),
    /// <c>.pth</c>/<c>.pt</c>/<c>.bin</c> (a PyTorch <c>torch.save(model.state_dict())</c> pickle, read by TorchSharp.PyBridge;
    /// a note warns that pickles can run code and only trusted files should be loaded). A checkpoint whose weights sit
    /// under <c>state_dict</c> or <c>model</c> is not unwrapped: save <c>model.state_dict()</c> itself.
    /// </summary>
    public static StateDict Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new SharpSegException($"{path}: weights file not found.");
        string ext = Path.GetExtension(path).ToLowerInvariant();
        switch (ext)
        {
            case ".safetensors":
                return new StateDict(path, Safetensors.Read(path).Tensors);
            case ".pth" or ".pt" or ".bin":
            {
                Hashtable table;
                try { table = TorchSharp.PyBridge.PyTorchUnpickler.UnpickleStateDict(path); }
                catch (Exception e) when (e is not SharpSegException and not OutOfMemoryException)
                {
                    throw new SharpSegException($"{path}: cannot read this PyTorch file as a state dict ({e.GetType().Name}: {e.Message}); save it with torch.save(model.state_dict(), path) or convert it to .safetensors.");
                }
                var entries = new List<(string, Tensor)>();
                foreach (DictionaryEntry e in table)
                {
                    if (e.Value is Tensor t) entries.Add((e.Key.ToString()!, t));
                    else throw new SharpSegException($"{path}: entry '{e.Key}' is not a tensor ({e.Value?.GetType().Name ?? "null"}): the file holds more than a state dict; save model.state_dict() itself.");
                }
                entries.Sort((a, b) => string.CompareOrdinal(a.Item1, b.Item1));
                return new StateDict(path, entries,
                    [$"{Path.GetFileName(path)} is a Python pickle: pickles can run code when loaded in Python, so use only files you trust; safetensors is the recommended format."]);
            }
            case ".ckpt":
                return FromTrainingCheckpoint(path);
            default:
                throw new SharpSegException($"{path}: unknown weights format '{ext}': use .safetensors (recommended), a PyTorch state dict (.pth/.pt), or a SharpSeg checkpoint (.ckpt).");
        }
    }

    /// <summary>
    /// The whole model of a training checkpoint (<c>sharpseg train</c>), under SharpSeg's own keys: the model is rebuilt
    /// from the recorded config and its weights copied out. For continuing from a finished run with another recipe
    /// (<c>model.init_weights</c>, e.g. a second, higher-resolution phase) or taking its encoder (<c>model.encoder_weights</c>).
    /// </summary>
    public static StateDict FromTrainingCheckpoint(string path)
    {
        Checkpoints.Checkpoint ckpt;
        try { ckpt = Checkpoints.Checkpoint.Load(path); }
        catch (SharpSegException e)
        {
            throw new SharpSegException($"{path}: not a training checkpoint of 'sharpseg train' ({e.Message})");
        }
        using var source = Models.ModelZoo.Create(ckpt.Info.Config);
        ckpt.LoadWeights(source);
        var entries = source.state_dict().Select(kv => (kv.Key, kv.Value.detach().clone())).ToList();
        return new StateDict(path, entries);
    }

    public void Dispose()
    {
        foreach (var t in tensors.Values) t.Dispose();
        tensors.Clear();
    }
}
