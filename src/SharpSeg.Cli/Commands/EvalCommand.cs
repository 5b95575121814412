using System.ComponentModel;
using SharpSeg.Evaluation;
using SharpSeg.IO;
using SharpSeg.Inference;
using Spectre.Console;
using Spectre.Console.Cli;
using SharpSeg.Checkpoints;

namespace SharpSeg.Cli.Commands;

public sealed class EvalCommand : Command<EvalCommand.Settings>
{
    public sealed class Settings : InstanceCommandSettings
    {
        [CommandOption("-c|--checkpoint <FILE>")][Description("Checkpoint (.ckpt) to evaluate")] public string? Checkpoint { get; init; }
        [CommandOption("--eager")][Description("Run a checkpoint exactly as trained (default: BatchNorm folded, channels-last)")] public bool Eager { get; init; }
        [CommandOption("--bf16")][Description(ModelArgument.Bf16Description)] public bool Bf16 { get; init; }
        [CommandOption("-m|--model <FILE>")][Description("Exported ONNX model (.onnx, run by ONNX Runtime), a TFLite model (.tflite) or a checkpoint")] public string? Model { get; init; }
        [CommandOption("-d|--data <DATASET_YAML>")][Description("dataset.yaml to evaluate on")] public string? Data { get; init; }
        [CommandOption("--data-root <DIR>")][Description("Override the dataset's root folder")] public string? DataRoot { get; init; }
        [CommandOption("-s|--split <SPLIT>")][Description("Split to evaluate (default: val)")] public string Split { get; init; } = "val";
        [CommandOption("-o|--out <FILE>")][Description("Metrics JSON (default: metrics-<split>.json beside the checkpoint)")] public string? Out { get; init; }
        [CommandOption("--device <DEVICE>")][Description("cpu | cuda | auto")] public string Device { get; init; } = "cpu";
        [CommandOption("--report <DIR>")][Description("Also write an HTML report (report.html: metrics, per-class IoU, confusion matrix, worst images) into DIR")] public string? Report { get; init; }
        [CommandOption("--instances")][Description("Also score instances: connected components of predicted and true masks matched at IoU ≥ 0.5 (precision, recall, F1, count error per class)")] public bool Instances { get; init; }
        [CommandOption("--worst <N>")][Description("Worst images (by per-image mIoU) shown in the report (default: 8)")] public int? Worst { get; init; }
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken cancellationToken)
    {
        string model = ModelArgument.Resolve(s.Checkpoint, s.Model);
        if (s.Data == null) throw new SharpSegException("--data is required (a dataset.yaml).");
        if (s.Worst != null && s.Report == null) throw new SharpSegException("--worst needs --report DIR (the worst images are shown in the HTML report).");
        if (s.AnyInstanceFlag && !s.Instances) throw new SharpSegException("--classes, --stuff, --connectivity, --min-area and --fill-holes shape instances; add --instances.");
        string outPath = IO.OutputFile.Check(s.Out ?? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(model))!, $"metrics-{s.Split}.json"));
        var request = new EvaluationRequest(model, s.Data, s.Split, s.DataRoot, s.Device, s.ToInferenceOptions(), s.Eager, s.Report, s.Worst ?? 8,
            s.Instances ? s.ToInstanceOptions() : null, s.Bf16);
        ModelArgument.CheckRunOptions(model, s.Device, s.Eager, s.Bf16);
        var result = ProgressRunner.Run($"evaluating {s.Split}", progress => EvaluationRunner.Run(request, progress, cancellationToken));
        ConsoleOutput.WriteMetrics(result.Metrics, $"{s.Split}: {result.Images} image{(result.Images == 1 ? "" : "s")}");
        if (result.Metrics.Instances is { } instances) ConsoleOutput.WriteInstanceScores(instances);
        AtomicFile.WriteAllText(outPath, result.Metrics.ToJson());
        AnsiConsole.MarkupLine($"Metrics written to {ConsoleOutput.Escape(outPath)}");
        if (result.ReportPath != null) AnsiConsole.MarkupLine($"Report written to {ConsoleOutput.Escape(result.ReportPath)}");
        return 0;
    }
}
