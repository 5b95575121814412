using System.Security.Cryptography;
using static TorchSharp.torch;

namespace SharpSeg.Training;

/// <summary>
/// A fingerprint of every stage of each training step (<c>train</c> and <c>pretrain</c>), written to the file named by
/// <c>SHARPSEG_TRACE_STEPS</c>, to find where two runs with the same seed part: the weights and buffers before the first
/// step, the batch (images, masks) and the model's output (<c>train</c> only), the loss's bits, each parameter's gradient,
/// the gradient norm, and each parameter and buffer after the optimiser's step. One line per stage,
/// <c>iteration stage name hash</c>, the hash being the first 8 bytes of the SHA-256 of the tensor's bytes; compare two
/// files with <c>diff</c>: the first differing line is where the runs part (docs/TRAINING.md, "Determinism"). Off (and
/// free) unless the variable is set; it slows a step by reading every tensor back.
/// </summary>
internal sealed class StepTrace : IDisposable
{
    /// <summary>The environment variable naming the trace file (appended to).</summary>
    public const string Variable = "SHARPSEG_TRACE_STEPS";

    readonly StreamWriter writer;

    StepTrace(string path) => writer = new StreamWriter(path, append: true) { AutoFlush = true };

    /// <summary>The trace the environment asks for, or null. A file that cannot be written is the user's error.</summary>
    public static StepTrace? FromEnvironment()
    {
        if (Environment.GetEnvironmentVariable(Variable) is not { Length: > 0 } path) return null;
        try { return new StepTrace(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new SharpSegException($"{Variable}={path}: cannot write the step trace there ({e.Message}); name a file in a folder you can write, or unset {Variable}.");
        }
    }

    /// <summary>The iteration the next lines belong to (1-based, as the metrics log counts).</summary>
    public long Iteration { get; private set; }

    bool started;

    /// <summary>Starts the lines of iteration <paramref name="iteration"/>; before the first, records
    /// <paramref name="model"/>'s weights and buffers as they are (<c>start</c>).</summary>
    public void BeginStep(long iteration, nn.Module model)
    {
        Iteration = iteration;
        if (!started) Weights(model, "start", "start");
        started = true;
    }

    /// <summary>Records each parameter of <paramref name="model"/> under <paramref name="parameters"/>, then each buffer
    /// under <paramref name="buffers"/>.</summary>
    public void Weights(nn.Module model, string parameters, string buffers)
    {
        All(parameters, model.named_parameters().Select(p => (p.name, (Tensor?)p.parameter)));
        All(buffers, model.named_buffers().Select(b => (b.name, (Tensor?)b.buffer)));
    }

    /// <summary>Records each parameter's gradient (<c>grad</c>; <c>none</c> where it has none).</summary>
    public void Gradients(nn.Module model) => All("grad", model.named_parameters().Select(p => (p.name, (Tensor?)p.parameter.grad)));

    /// <summary>Records <paramref name="t"/> under <paramref name="stage"/> and returns it unchanged.</summary>
    public Tensor Tensor(string stage, string name, Tensor t)
    {
        using (no_grad()) Line(stage, name, Hash(t));
        return t;
    }

    /// <summary>Records a number by its exact bits.</summary>
    public void Number(string stage, double value) => Line(stage, "", BitConverter.DoubleToInt64Bits(value).ToString("x16"));

    void All(string stage, IEnumerable<(string Name, Tensor? Value)> tensors)
    {
        using (no_grad())
            foreach (var (name, value) in tensors)
                Line(stage, name, value is null ? "none" : Hash(value));
    }

    void Line(string stage, string name, string hash) => writer.WriteLine($"{Iteration} {stage} {name} {hash}");

    static string Hash(Tensor t)
    {
        using var scope = NewDisposeScope();
        var bytes = t.detach().cpu().contiguous().bytes;
        return Convert.ToHexString(SHA256.HashData(bytes), 0, 8);
    }

    public void Dispose() => writer.Dispose();
}
