using System.ComponentModel;
using SharpSeg.Pretrained;
using Spectre.Console;
using Spectre.Console.Cli;
using SharpSeg.Checkpoints;

namespace SharpSeg.Cli.Commands;

/// <summary><c>sharpseg export-weights</c>: a checkpoint's weights as .safetensors plus a JSON config, for PyTorch
/// (<see cref="WeightsExport"/>; docs/PRETRAINED.md).</summary>
public sealed class ExportWeightsCommand : Command<ExportWeightsCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("-c|--checkpoint <FILE>")][Description("Checkpoint (.ckpt) to export")] public string? Checkpoint { get; init; }
        [CommandOption("-o|--out <FILE>")][Description("Weights file to write (.safetensors); the config goes beside it as .json")] public string? Out { get; init; }
        [CommandOption("--format <FORMAT>")][Description("safetensors (the only weights format; ONNX is a separate export)")] public string Format { get; init; } = "safetensors";
        [CommandOption("--layout <LAYOUT>")][Description("sharpseg (any model, default) | torchvision (fcn, deeplabv3, lraspp keys) | torchvision-encoder (the encoder alone)")] public string Layout { get; init; } = "sharpseg";
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken cancellationToken)
    {
        if (s.Checkpoint == null) throw new SharpSegException("--checkpoint is required.");
        if (s.Out == null) throw new SharpSegException("--out is required, e.g. --out model.safetensors.");
        IO.OutputFile.Check(s.Out);
        if (!s.Format.Equals("safetensors", StringComparison.OrdinalIgnoreCase))
            throw new SharpSegException($"--format {s.Format}: export-weights writes safetensors (PyTorch's recommended weights format).");
        var (weights, config, tensors) = WeightsExport.ToSafetensors(s.Checkpoint, s.Out, WeightsExport.ParseLayout(s.Layout));
        AnsiConsole.MarkupLine($"Wrote {tensors} tensors ({s.Layout} keys) to [bold]{ConsoleOutput.Escape(weights)}[/] and the config to [bold]{ConsoleOutput.Escape(config)}[/].");
        return 0;
    }
}
