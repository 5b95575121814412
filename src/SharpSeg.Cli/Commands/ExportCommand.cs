using System.ComponentModel;
using SharpSeg.Onnx;
using Spectre.Console;
using Spectre.Console.Cli;
using SharpSeg.Checkpoints;
using SharpSeg.Models.Onnx;

namespace SharpSeg.Cli.Commands;

public sealed class ExportCommand : Command<ExportCommand.Settings>
{
    public sealed class Settings : ImageReadingSettings
    {
        [CommandOption("-c|--checkpoint <FILE>")][Description("Checkpoint (.ckpt) to export, or a TFLite model (.tflite; general / landscape: the built-in selfie models)")] public string? Checkpoint { get; init; }
        [CommandOption("--format <FORMAT>")][Description("Export format (onnx)")] public string Format { get; init; } = "onnx";
        [CommandOption("-o|--out <FILE>")][Description("Output file, e.g. model.onnx")] public string? Out { get; init; }
        [CommandOption("--argmax")][Description("End the graph in ArgMax: output class indices [[N, H, W]] instead of logits (for deployment; SharpSeg's predict needs logits for tiling and TTA)")] public bool ArgMax { get; init; }
        [CommandOption("--int8")][Description("Quantise to int8 (static QDQ, calibrated on --calibration-data)")] public bool Int8 { get; init; }
        [CommandOption("--calibration-data <DATASET_YAML>")][Description("dataset.yaml whose images calibrate the int8 activation ranges")] public string? CalibrationData { get; init; }
        [CommandOption("--calibration-split <SPLIT>")][Description("Split to calibrate on (default: train)")] public string CalibrationSplit { get; init; } = "train";
        [CommandOption("--calibration-images <N>")][Description("Calibration images, spread over the split (default 32)")] public int CalibrationImages { get; init; } = 32;
        [CommandOption("--data-root <DIR>")][Description("Override the calibration dataset's root folder")] public string? DataRoot { get; init; }
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken cancellationToken)
    {
        if (s.Checkpoint == null) throw new SharpSegException("--checkpoint is required (e.g. runs/my-run/best.ckpt).");
        if (s.Out == null) throw new SharpSegException("--out is required (e.g. model.onnx).");
        IO.OutputFile.Check(s.Out);
        if (!s.Format.Equals("onnx", StringComparison.OrdinalIgnoreCase)) throw new SharpSegException($"--format '{s.Format}': only onnx is supported.");
        // predict, eval, bench and serve tell an ONNX model by its extension: another name would be read as a checkpoint.
        if (!SharpSeg.Inference.ModelFile.IsOnnx(s.Out)) throw new SharpSegException($"--out {s.Out}: an ONNX model's file name ends in .onnx (SharpSeg tells models apart by it), e.g. --out {Path.ChangeExtension(s.Out, ".onnx")}.");
        if (s.Int8 && s.CalibrationData == null) throw new SharpSegException("--int8 needs --calibration-data <dataset.yaml> (images to measure activation ranges on, e.g. the training split).");
        if (!s.Int8 && s.CalibrationData != null) throw new SharpSegException("--calibration-data is only used with --int8.");
        var images = s.Int8 ? OnnxExporter.LoadCalibrationImages(s.CalibrationData!, s.CalibrationSplit, s.CalibrationImages, s.DataRoot) : null;
        var options = new OnnxExportOptions(s.ArgMax, images);
        OnnxExportResult result;
        if (!File.Exists(s.Checkpoint) && Portrait.SelfieSegmentation.Parse(s.Checkpoint) is { } builtIn)
        {
            if (s.Int8) throw new SharpSegException($"{s.Checkpoint}: int8 export of the built-in selfie model is not supported; export float32 (drop --int8).");
            using var network = Portrait.SelfieSegmentation.Load(builtIn);
            result = OnnxExporter.ExportTfLite(network, s.Out, Portrait.SelfieSegmentation.ClassNames, s.ArgMax);
        }
        else
            result = s.Int8
                ? ProgressRunner.Run("calibrating int8", progress => OnnxExporter.ExportCheckpoint(s.Checkpoint, s.Out, options, progress))
                : OnnxExporter.ExportCheckpoint(s.Checkpoint, s.Out, options);
        string kind = s.Int8 ? $"int8 (QDQ on {result.QuantizedTensors} tensors, calibrated on {result.CalibrationImages} images)" : "float32";
        AnsiConsole.WriteLine($"Exported {Path.GetFullPath(result.Path)}: ONNX opset {OnnxGraphBuilder.Opset}, {kind}, {result.Nodes} nodes, {result.Bytes / 1048576.0:F1} MiB, output {(s.ArgMax ? "labels [N, H, W]" : "logits [N, C, H, W]")}.");
        return 0;
    }
}
