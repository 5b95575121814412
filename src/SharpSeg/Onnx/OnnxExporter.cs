using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using SharpSeg.Data;
using SharpSeg.Inference;
using SharpSeg.Imaging;
using SharpSeg.IO;
using SharpSeg.Models;
using TorchSharp;
using Proto = global::Onnx;
using SharpSeg.Checkpoints;
using SharpSeg.Models.Onnx;
using SharpSeg.Data.Dataset;

namespace SharpSeg.Onnx;

/// <summary>
/// Exports a <see cref="SegmentationModel"/> to ONNX (opset <see cref="OnnxGraphBuilder.Opset"/>): graph written from
/// SharpSeg's own modules (each module's <c>ExportOnnx</c> mirrors its forward), BatchNorms folded into convolutions,
/// dynamic batch, height and width, the checkpoint's facts as <see cref="OnnxMetadata"/>, optionally a final ArgMax and
/// int8 static quantisation (QDQ) calibrated on images.
/// </summary>
/// <remarks>Input <c>image</c>: float32 <c>[batch, C, height, width]</c>, normalised as the metadata says; output
/// <c>logits</c> <c>[batch, classes, height, width]</c> (or <c>labels</c> <c>[batch, height, width]</c> int64).</remarks>
public static class OnnxExporter
{
    /// <summary>Exports a checkpoint to <paramref name="outPath"/> (written atomically). <paramref name="progress"/>
    /// receives (calibration images done, total) when quantising.</summary>
    /// <remarks>A TFLite model (<c>.tflite</c>) is exported through its TorchSharp rebuild
    /// (<see cref="OnnxExporter.ExportTfLite"/>), float32 only.</remarks>
    public static OnnxExportResult ExportCheckpoint(string checkpoint, string outPath, OnnxExportOptions options, IProgress<(int Done, int Total)>? progress = null)
    {
        if (ModelFile.IsTfLite(checkpoint))
        {
            if (options.Int8) throw new SharpSegException($"{checkpoint}: int8 export of an imported TFLite model is not supported; export float32 (drop --int8).");
            using var network = TfLiteModels.Load(checkpoint);
            return ExportTfLite(network, outPath, argMax: options.ArgMax);
        }
        var ckpt = Checkpoint.Load(checkpoint);
        var config = ckpt.Info.Config;
        using var model = ModelZoo.Create(config);
        ckpt.LoadWeights(model);
        return Export(model, ckpt.Info, outPath, options, progress);
    }

    /// <summary>Exports <paramref name="model"/> (its weights as they are; put in eval mode) with the class table and
    /// normalisation of <paramref name="info"/> to <paramref name="outPath"/>.</summary>
    public static OnnxExportResult Export(SegmentationModel model, CheckpointInfo info, string outPath, OnnxExportOptions options, IProgress<(int Done, int Total)>? progress = null)
    {
        var proto = Build(model, info, options, progress, out int quantized);
        var bytes = proto.ToByteArray();
        AtomicFile.Write(outPath, s => s.Write(bytes));
        return new OnnxExportResult(outPath, bytes.LongLength, proto.Graph.Node.Count, quantized, options.CalibrationImages?.Count ?? 0);
    }

    /// <summary>The ONNX model as bytes (what <see cref="Export"/> writes).</summary>
    public static byte[] ToBytes(SegmentationModel model, CheckpointInfo info, OnnxExportOptions options) =>
        Build(model, info, options, null, out _).ToByteArray();

    static Proto.ModelProto Build(SegmentationModel model, CheckpointInfo info, OnnxExportOptions options, IProgress<(int Done, int Total)>? progress, out int quantized)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(info);
        ArgumentNullException.ThrowIfNull(options);
        if (info.Classes.Count != model.NumClasses)
            throw new SharpSegException($"the class table has {info.Classes.Count} classes but the model outputs {model.NumClasses} logits.");
        bool wasTraining = model.training;
        model.eval();
        try
        {
            using var noGrad = torch.no_grad();
            quantized = 0;
            if (!options.Int8)
                return Graph(model, info, null, options.ArgMax, "none");
            var images = options.CalibrationImages!;
            if (images.Count == 0) throw new SharpSegException("int8 export needs at least one calibration image.");
            var calibration = Int8Plan.Calibration();
            var calibrationModel = Graph(model, info, calibration, argMax: false, "calibration");
            var ranges = Calibrate(calibrationModel, calibration.Points, images, info, progress);
            quantized = ranges.Count;
            string description = $"int8 static QDQ: uint8 activations (min/max over {images.Count} calibration images) at every Conv input and output, " +
                "int8 per-output-channel symmetric Conv weights, int32 biases; other ops float32";
            return Graph(model, info, Int8Plan.Quantization(ranges), options.ArgMax, description);
        }
        finally
        {
            model.train(wasTraining);
        }
    }

    static Proto.ModelProto Graph(SegmentationModel model, CheckpointInfo info, Int8Plan? plan, bool argMax, string quantization) =>
        OnnxGraphs.Graph(model, model.InChannels, model.NumClasses, $"SharpSeg {model.Config?.Architecture ?? "model"}/{model.Config?.Encoder ?? ""}", info, plan, argMax, quantization);

    /// <summary>Exports any SharpSeg network that writes itself into ONNX (<see cref="IOnnxExportable"/>; an imported
    /// TFLite model, say) with <paramref name="info"/>'s metadata; float32 only.</summary>
    public static OnnxExportResult Export<TModel>(TModel model, int inChannels, int numClasses, string description, CheckpointInfo info, string outPath, bool argMax = false)
        where TModel : torch.nn.Module, IOnnxExportable
    {
        var proto = OnnxGraphs.Build(model, inChannels, numClasses, description, info, argMax);
        var bytes = proto.ToByteArray();
        AtomicFile.Write(outPath, s => s.Write(bytes));
        return new OnnxExportResult(outPath, bytes.LongLength, proto.Graph.Node.Count, 0, 0);
    }

    /// <summary>Writes an imported TFLite model (its TorchSharp rebuild) as ONNX with SharpSeg's metadata
    /// (<see cref="TfLiteModels.Info"/>; <paramref name="classNames"/> as <see cref="TfLiteModels.Classes"/>), so ONNX
    /// Runtime and <c>predict --model</c> run it.</summary>
    public static OnnxExportResult ExportTfLite(TfLite.TfLiteNetwork network, string outPath, IReadOnlyList<string>? classNames = null, bool argMax = false) =>
        Export(network, network.InChannels, network.NumClasses, $"SharpSeg import of {Path.GetFileName(network.Source.Path)}",
            TfLiteModels.Info(network, TfLiteModels.Classes(network, classNames)), outPath, argMax);

    /// <summary>The ONNX model <see cref="Export{TModel}"/> writes, as bytes.</summary>
    public static byte[] ToBytes<TModel>(TModel model, int inChannels, int numClasses, string description, CheckpointInfo info, bool argMax = false)
        where TModel : torch.nn.Module, IOnnxExportable =>
        OnnxGraphs.Build(model, inChannels, numClasses, description, info, argMax).ToByteArray();

    /// <summary>Runs the float32 graph with every calibration point as an output on each image (prepared as the
    /// predictor would: normalised, resized by the inference scale) and returns each point's min/max.</summary>
    static Dictionary<string, (float Min, float Max)> Calibrate(Proto.ModelProto model, IReadOnlyList<string> points, IReadOnlyList<RgbImage> images,
        CheckpointInfo info, IProgress<(int Done, int Total)>? progress)
    {
        var normalization = info.Normalization;
        var ranges = points.Distinct().ToDictionary(p => p, _ => (Min: float.PositiveInfinity, Max: float.NegativeInfinity));
        using var options = new SessionOptions { IntraOpNumThreads = torch.get_num_threads() };
        using var session = new InferenceSession(model.ToByteArray(), options);
        var names = ranges.Keys.ToArray();
        for (int i = 0; i < images.Count; i++)
        {
            var image = images[i];
            if (image.Channels != info.ImageChannels)
                throw new SharpSegException($"calibration image {i} has {image.Channels} channels but the model expects {info.ImageChannels}.");
            var (data, shape) = CalibrationInput(image, normalization, info.InferenceScale);
            using var input = OrtValue.CreateTensorValueFromMemory(data, shape);
            using var runOptions = new RunOptions();
            using var outputs = session.Run(runOptions, ["image"], [input], names);
            for (int k = 0; k < names.Length; k++)
            {
                var span = outputs[k].GetTensorDataAsSpan<float>();
                float lo = ranges[names[k]].Min, hi = ranges[names[k]].Max;
                foreach (float v in span) { if (v < lo) lo = v; if (v > hi) hi = v; }
                ranges[names[k]] = (lo, hi);
            }
            progress?.Report((i + 1, images.Count));
        }
        return ranges;
    }

    /// <summary>One calibration image as the network input the predictor would give it (<see cref="Preprocessing.Input"/>):
    /// the values of <c>[1, C, h, w]</c> and that shape.</summary>
    internal static (float[] Data, long[] Shape) CalibrationInput(RgbImage image, Normalization normalization, double inferenceScale)
    {
        using var scope = torch.NewDisposeScope();
        var x = Preprocessing.Input(image, normalization, inferenceScale).contiguous();
        var data = new float[x.numel()];
        ImageTensors.FloatSpan(x).CopyTo(data);
        return (data, x.shape);
    }

    /// <summary>Up to <paramref name="count"/> images of a dataset split for int8 calibration, spread evenly over the
    /// split (deterministic), decoded as training reads them (the dataset's image channels and image range).</summary>
    public static IReadOnlyList<RgbImage> LoadCalibrationImages(string datasetYaml, string split = "train", int count = 32, string? dataRoot = null)
    {
        if (count < 1) throw new SharpSegException($"--calibration-images {count}: give at least 1.");
        var spec = DatasetSpec.Load(datasetYaml, dataRoot);
        var pairs = spec.ResolvePairs(split);
        if (pairs.Count == 0) throw new SharpSegException($"{datasetYaml}: split '{split}' has no images to calibrate on.");
        int n = Math.Min(count, pairs.Count);
        return Enumerable.Range(0, n).Select(i => spec.LoadImage(pairs[(int)((long)i * pairs.Count / n)].ImagePath)).ToList();
    }
}
