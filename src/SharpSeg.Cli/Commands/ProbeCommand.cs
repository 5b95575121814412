using System.ComponentModel;
using SharpSeg.IO;
using SharpSeg.Models;
using SharpSeg.SelfSupervised;
using Spectre.Console;
using Spectre.Console.Cli;
using SharpSeg.Models.Encoders;

namespace SharpSeg.Cli.Commands;

public sealed class ProbeCommand : Command<ProbeCommand.Settings>
{
    public sealed class Settings : ImageReadingSettings
    {
        [CommandOption("-d|--data <DATASET_YAML>")][Description("dataset.yaml with the labelled splits")] public string? Data { get; init; }
        [CommandOption("--data-root <DIR>")][Description("Override the dataset's root folder")] public string? DataRoot { get; init; }
        [CommandOption("--train-split <SPLIT>")][Description("Split the 1x1 head is trained on (default train)")] public string TrainSplit { get; init; } = "train";
        [CommandOption("--val-split <SPLIT>")][Description("Split the probe is scored on (default val)")] public string ValSplit { get; init; } = "val";
        [CommandOption("-w|--weights <FILE>")][Description("Encoder weights: a checkpoint from 'sharpseg pretrain', imagenet, or any model.encoder_weights file for --encoder; without it, a randomly initialised --encoder")] public string? Weights { get; init; }
        [CommandOption("-e|--encoder <NAME>")][Description("Encoder (default resnet18): initialised at random without --weights, or the one a weights file is loaded into")] public string? Encoder { get; init; }
        [CommandOption("--depth <N>")][Description("unet encoder: downsampling stages (default 4)")] public int? Depth { get; init; }
        [CommandOption("--base-width <N>")][Description("unet encoder: channels of the first stage (default 32)")] public int? BaseWidth { get; init; }
        [CommandOption("--seed <N>")][Description("Seed of the random initialisation and of the image order (default 0)")] public long? Seed { get; init; }
        [CommandOption("--scale <F>")][Description("Resize images and masks by this factor (default 1)")] public double? Scale { get; init; }
        [CommandOption("--stage <N>")][Description("Encoder feature map to probe, -1 = deepest (default)")] public int? Stage { get; init; }
        [CommandOption("--iterations <N>")][Description("Adam steps of the 1x1 head (default 300)")] public int? Iterations { get; init; }
        [CommandOption("--lr <LR>")][Description("Adam learning rate, cosine decay (default 0.01)")] public double? Lr { get; init; }
        [CommandOption("-b|--batch-size <N>")][Description("Images per step (default 8)")] public int? BatchSize { get; init; }
        [CommandOption("--threads <N>")][Description("libtorch CPU threads (default: libtorch's)")] public int Threads { get; init; }
        [CommandOption("--device <DEVICE>")][Description("cpu | cuda | auto")] public string Device { get; init; } = "cpu";
        [CommandOption("-o|--out <FILE>")][Description("Write the probe's settings and validation metrics as JSON")] public string? Out { get; init; }
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken cancellationToken)
    {
        if (s.Data == null) throw new SharpSegException("--data is required (a dataset.yaml with labelled train and val splits).");
        Engine.TorchRuntime.SetThreads(s.Threads);
        // Options left out take the library's defaults (LinearProbeOptions, ModelConfig): the one place they are decided.
        var d = new LinearProbeOptions();
        var options = d with
        {
            Iterations = s.Iterations ?? d.Iterations, Lr = s.Lr ?? d.Lr, BatchSize = s.BatchSize ?? d.BatchSize,
            Stage = s.Stage ?? d.Stage, Scale = s.Scale ?? d.Scale, Seed = s.Seed ?? d.Seed,
        };
        var defaults = new ModelConfig();
        var random = new ModelConfig { Encoder = s.Encoder ?? LinearProbeOptions.DefaultEncoder, Depth = s.Depth ?? defaults.Depth, BaseWidth = s.BaseWidth ?? defaults.BaseWidth };
        random.RefuseOptionsTheModelIgnores(); // --depth / --base-width only for the unet encoder
        string what = s.Weights != null ? $"pretrained encoder {s.Weights}" : $"randomly initialised {random.Encoder} (seed {options.Seed})";
        AnsiConsole.MarkupLine(ConsoleOutput.Escape($"Linear probe of the {what}: 1x1 head on frozen features, {options.Iterations} steps on '{s.TrainSplit}', scored on '{s.ValSplit}'"));
        var result = LinearProbe.RunOnDataset(s.Data, s.DataRoot, s.TrainSplit, s.ValSplit, s.Weights, random, options, options.Seed, s.Device, cancellationToken);
        AnsiConsole.MarkupLine(ConsoleOutput.Escape($"Features: {result.FeatureChannels} channels at stride {result.FeatureStride}; head trained on {result.TrainImages} images."));
        ConsoleOutput.WriteMetrics(result.Validation, $"linear probe on {s.ValSplit}");
        AnsiConsole.MarkupLine(ConsoleOutput.Escape($"Done in {result.Elapsed:hh\\:mm\\:ss}; final training loss {result.FinalLoss:F4}."));
        if (s.Out != null)
        {
            AtomicFile.WriteAllText(s.Out, result.ToJson(s.Weights, random.Encoder, s.Data, s.TrainSplit, s.ValSplit, options));
            AnsiConsole.MarkupLine($"Probe written to {ConsoleOutput.Escape(s.Out)}");
        }
        return 0;
    }
}
