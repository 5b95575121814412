using Microsoft.ML.OnnxRuntime;
using SharpSeg.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace SharpSeg.Inference;

/// <summary>
/// An ONNX file exported by SharpSeg, run by ONNX Runtime (CPU) as an <see cref="IInferenceBackend"/>. The class table,
/// normalisation and inference scale come from its <see cref="OnnxMetadata"/>.
/// </summary>
public sealed class OnnxRuntimeBackend : IInferenceBackend
{
    readonly InferenceSession _session;
    readonly string _input, _output;

    OnnxRuntimeBackend(InferenceSession session, OnnxMetadata metadata, string path)
    {
        _session = session; Metadata = metadata; Path = path;
        _input = session.InputMetadata.Keys.Single();
        _output = session.OutputMetadata.Keys.First();
        Classes = metadata.Info.Classes.Count;
        Description = $"ONNX Runtime {(metadata.Quantization == "none" ? "fp32" : "int8")} ({System.IO.Path.GetFileName(path)})";
    }

    /// <summary>Opens an exported model. <paramref name="threads"/>: intra-op threads (0: TorchSharp's thread count, so
    /// both engines are compared on the same cores). A missing or foreign file is a one-line <see cref="SharpSegException"/>.</summary>
    public static OnnxRuntimeBackend Load(string path, int threads = 0)
    {
        if (!File.Exists(path)) throw new SharpSegException($"{path}: ONNX model not found.");
        return Open(options => new InferenceSession(path, options), path, threads);
    }

    /// <summary>Opens a model held in memory (e.g. an imported TFLite model exported on the fly); <paramref name="name"/>
    /// names it in messages and <see cref="Description"/>.</summary>
    public static OnnxRuntimeBackend FromBytes(byte[] model, string name, int threads = 0) =>
        Open(options => new InferenceSession(model, options), name, threads);

    /// <summary>
    /// Whether the intra-op threads of sessions opened from now on spin while waiting for work (ONNX Runtime's default:
    /// lowest latency when the model has the cores to itself) or sleep, leaving the cores to work beside the model.
    /// Process-wide, like the OpenMP wait policy (<see cref="Engine.TorchRuntime"/>). Measured on 2 cores
    /// (docs/BENCHMARKS.md, "Portrait and TFLite models"): a 720p portrait video, where composing the frame costs about as
    /// much as the small selfie model, runs 1.17× slower with spinning threads, and a CamVid model's video at 480×360,
    /// once the class map no longer went through libtorch, 1.04–1.16× slower (three rounds); one image at a time
    /// (<c>bench</c>) shows no consistent difference. <c>sharpseg portrait</c> and <c>sharpseg video</c> turn it off (<see cref="PreferSleepingThreads"/>).
    /// The environment variable <c>SHARPSEG_ORT_SPIN</c> (1 or 0) overrides both.
    /// </summary>
    public static bool SpinWhileIdle
    {
        get => Environment.GetEnvironmentVariable("SHARPSEG_ORT_SPIN") is { } e ? e.Trim() != "0" : _spin;
        set => _spin = value;
    }
    static bool _spin = true;

    /// <summary>Sets <see cref="SpinWhileIdle"/> off: for pipelines whose other stages need the cores the model waits on.</summary>
    public static void PreferSleepingThreads() => SpinWhileIdle = false;

    static OnnxRuntimeBackend Open(Func<SessionOptions, InferenceSession> create, string path, int threads)
    {
        var options = new SessionOptions { IntraOpNumThreads = threads > 0 ? threads : torch.get_num_threads(), InterOpNumThreads = 1 };
        if (!SpinWhileIdle) options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        InferenceSession session;
        try { session = create(options); }
        catch (OnnxRuntimeException e) { throw new SharpSegException($"{path}: ONNX Runtime cannot load this model ({e.Message.Split('\n')[0]})."); }
        try
        {
            var metadata = OnnxMetadata.Read(session.ModelMetadata.CustomMetadataMap, path);
            if (session.InputMetadata.Count != 1) throw new SharpSegException($"{path}: expected one input (the image), found {session.InputMetadata.Count}.");
            return new OnnxRuntimeBackend(session, metadata, path);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>The file's metadata (class table, normalisation, output kind, quantisation).</summary>
    public OnnxMetadata Metadata { get; }

    /// <summary>The file.</summary>
    public string Path { get; }

    public int Classes { get; }
    public Device Device => CPU;
    public string Description { get; }

    /// <summary>Logits of a batch; for a model exported with --argmax, a <see cref="SharpSegException"/> (use <see cref="Labels"/>).</summary>
    public Tensor Logits(Tensor input)
    {
        if (Metadata.OutputsLabels) throw NeedsLogits();
        return Run(input, ScalarType.Float32);
    }

    /// <summary>The one line for asking a model exported with --argmax for what needs logits.</summary>
    internal SharpSegException NeedsLogits() =>
        new($"{Path}: exported with --argmax, the model outputs class indices, not logits; tiling, test-time augmentation and probability maps need logits: export without --argmax (or leave those options out).");

    /// <summary>Class indices <c>[N, H, W]</c> (int64) of a model exported with --argmax.</summary>
    public Tensor Labels(Tensor input) => Run(input, ScalarType.Int64);

    Tensor Run(Tensor input, ScalarType outputType)
    {
        ArgumentNullException.ThrowIfNull(input);
        var x = input.to(ScalarType.Float32).cpu().contiguous();
        var data = new float[x.numel()];
        ImageTensors.FloatSpan(x).CopyTo(data);
        using var value = OrtValue.CreateTensorValueFromMemory(data, x.shape);
        using var runOptions = new RunOptions();
        IDisposableReadOnlyCollection<OrtValue> outputs;
        try { outputs = _session.Run(runOptions, [_input], [value], [_output]); }
        catch (OnnxRuntimeException e)
        {
            // A graph that loads can still fail on its first run (a flipped constant that a Slice or Resize reads).
            throw new SharpSegException($"{Path}: ONNX Runtime could not run the model on an input of [{string.Join(", ", x.shape)}] ({e.Message.Split('\n')[0]}); the file is damaged or was changed after export: export it again.");
        }
        using var _ = outputs;
        var result = outputs[0];
        var shape = result.GetTensorTypeAndShape().Shape;
        // A damaged graph can run and give an output of another shape (a flipped constant in a Resize or Slice): name
        // the file rather than fail later on an empty or misshapen tensor.
        bool logits = outputType == ScalarType.Float32;
        if (shape.Length != (logits ? 4 : 3) || shape[0] != x.shape[0] || (logits && shape[1] != Classes) || shape[^1] < 1 || shape[^2] < 1)
            throw new SharpSegException($"{Path}: the model's output has shape [{string.Join(", ", shape)}] for an input of [{string.Join(", ", x.shape)}], not {(logits ? $"[{x.shape[0]}, {Classes}, height, width]" : $"[{x.shape[0]}, height, width]")}; the file is damaged or was changed after export: export it again.");
        var t = torch.empty(shape, dtype: outputType);
        if (outputType == ScalarType.Float32) result.GetTensorDataAsSpan<float>().CopyTo(ImageTensors.FloatSpan(t));
        else result.GetTensorDataAsSpan<long>().CopyTo(ImageTensors.Int64Span(t));
        return t;
    }

    public void Dispose() => _session.Dispose();
}
