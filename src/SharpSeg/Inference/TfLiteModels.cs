using System.Text.Json.Nodes;
using SharpSeg.Checkpoints;
using SharpSeg.Data.Dataset;
using SharpSeg.TfLite;
using Google.Protobuf;
using TorchSharp;
using static TorchSharp.torch;

namespace SharpSeg.Inference;

/// <summary>
/// A TFLite segmentation model as a SharpSeg model: a <see cref="Inference.Predictor"/> over its TorchSharp rebuild
/// (<see cref="TfLiteNetwork"/>), so <c>predict</c>, <c>video</c>, <c>eval</c>, <c>serve</c> and <see cref="Segmenter"/>
/// take a <c>.tflite</c> file where they take a checkpoint, and an ONNX export with SharpSeg's metadata.
/// The model sees pixels scaled to [0, 1] (mean 0, std 1), as MediaPipe feeds its segmentation models.
/// </summary>
public static class TfLiteModels
{
    /// <summary>Reads and rebuilds <paramref name="path"/>.</summary>
    public static TfLiteNetwork Load(string path) => new(TfLiteModel.Load(path));

    /// <summary>Names for an imported model's classes: <paramref name="names"/> when given (one per logit channel),
    /// else background/foreground for a one-channel model and class_0.. otherwise; colours from the demo palette.</summary>
    public static ClassTable Classes(TfLiteNetwork network, IReadOnlyList<string>? names = null)
    {
        int k = network.NumClasses;
        if (names is { } n && n.Count != k)
            throw new SharpSegException($"{network.Source.Path}: {n.Count} class names given for a model of {k} classes ({(network.Source.Tensors[network.Source.Outputs[0]].Shape[3] == 1 ? "a one-channel output is background + foreground" : "one per output channel")}).");
        var chosen = names ?? (k == 2 ? ["background", "foreground"] : Enumerable.Range(0, k).Select(i => $"class_{i}").ToArray());
        return new ClassTable(chosen.Select((name, i) => new ClassInfo(name, ClassTable.DefaultColor(i), null)).ToArray());
    }

    /// <summary>The checkpoint-style description of an imported model (what ONNX metadata and predictors carry).</summary>
    public static CheckpointInfo Info(TfLiteNetwork network, ClassTable classes) => new()
    {
        Model = new JsonObject
        {
            ["architecture"] = "tflite",
            ["encoder"] = Path.GetFileName(network.Source.Path),
            ["in_channels"] = network.InChannels,
            ["num_classes"] = network.NumClasses,
        },
        Classes = classes,
        ImageChannels = network.InChannels,
        Mean = Enumerable.Repeat(0.0, network.InChannels).ToArray(),
        Std = Enumerable.Repeat(1.0, network.InChannels).ToArray(),
        Recipe = $"imported from {Path.GetFileName(network.Source.Path)} (sha256 {Convert.ToHexString(network.Source.Sha256).ToLowerInvariant()})",
    };

    /// <summary>A predictor over <paramref name="path"/>'s rebuild (see <see cref="CreatePredictor(TfLiteNetwork, string?, IReadOnlyList{string}?, bool?)"/>).</summary>
    public static Predictor CreatePredictor(string path, string? device = "cpu", IReadOnlyList<string>? classNames = null, bool? onnxRuntime = null) =>
        CreatePredictor(Load(path), device, classNames, onnxRuntime);

    /// <summary>
    /// A predictor over <paramref name="network"/> (taking ownership of it). On the CPU it runs, by default
    /// (<paramref name="onnxRuntime"/> null or true), in ONNX Runtime through an in-memory ONNX export of the rebuild:
    /// these small mobile graphs (a few hundred operators on maps of 16–128 channels) run several times faster there
    /// than operator by operator in TorchSharp (docs/BENCHMARKS.md, "Portrait"); the masks are the same within float
    /// rounding (tested). On a GPU, or with <paramref name="onnxRuntime"/> false, the TorchSharp rebuild runs.
    /// </summary>
    public static Predictor CreatePredictor(TfLiteNetwork network, string? device = "cpu", IReadOnlyList<string>? classNames = null, bool? onnxRuntime = null)
    {
        var dev = Engine.TorchRuntime.ResolveDevice(device);
        var info = Info(network, Classes(network, classNames));
        string name = Path.GetFileName(network.Source.Path);
        if (dev.type == DeviceType.CPU && onnxRuntime != false)
        {
            byte[] onnx;
            using (network)
                onnx = OnnxGraphs.Build(network, network.InChannels, network.NumClasses, $"SharpSeg import of {name}", info, argMax: false).ToByteArray();
            return Inference.Predictor.FromBackend(OnnxRuntimeBackend.FromBytes(onnx, $"imported {name}"), info);
        }
        if (onnxRuntime == true) throw new SharpSegException($"{name}: ONNX Runtime runs on the CPU only; use --device cpu.");
        network.to(dev);
        var backend = new TorchInferenceBackend(network, network.NumClasses, dev, channelsLast: false, ownsModel: true,
            description: $"TorchSharp, imported TFLite ({name})");
        return Inference.Predictor.FromBackend(backend, info);
    }
}
