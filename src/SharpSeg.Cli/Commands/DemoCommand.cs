using System.ComponentModel;
using SharpSeg.Demo;
using Spectre.Console;
using Spectre.Console.Cli;

namespace SharpSeg.Cli.Commands;

public sealed class DemoCommand : Command<DemoCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("-o|--out <DIR>")][Description("Folder to write into (default ./sharpseg-demo)")] public string Out { get; init; } = "sharpseg-demo";
        [CommandOption("--epochs <N>")][Description("Training epochs (default 40)")] public int Epochs { get; init; } = 40;
        [CommandOption("--seed <N>")][Description("Seed for data generation and training")] public int Seed { get; init; } = 7;
        [CommandOption("--set <KEY=VALUE>")][Description("Override a key of the demo recipe (repeatable)")] public string[] Set { get; init; } = Array.Empty<string>();
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken cancellationToken)
    {
        if (s.Epochs < 1) throw new SharpSegException("--epochs must be at least 1.");
        var options = new DemoOptions { OutDirectory = s.Out, Epochs = s.Epochs, Seed = s.Seed, Overrides = s.Set };
        var result = TrainingReporter.Run("demo training", p => DemoRunner.Run(options, p, msg => AnsiConsole.MarkupLine($"[blue]>[/] {ConsoleOutput.Escape(msg)}"), cancellationToken));
        ConsoleOutput.WriteMetrics(result.Validation, "demo: val split, best checkpoint");
        AnsiConsole.MarkupLine($"Trained {result.Training.Iterations} iterations in {result.Training.Elapsed:mm\\:ss} ({result.Training.TrainImagesPerSecond:F1} images/s).");
        AnsiConsole.MarkupLine("Where everything is:");
        AnsiConsole.MarkupLine($"  dataset      {ConsoleOutput.Escape(result.DatasetYaml)}");
        AnsiConsole.MarkupLine($"  recipe       {ConsoleOutput.Escape(result.RecipePath)}");
        AnsiConsole.MarkupLine($"  checkpoints  {ConsoleOutput.Escape(result.Training.BestCheckpoint)} (and last.ckpt)");
        AnsiConsole.MarkupLine($"  metrics log  {ConsoleOutput.Escape(Path.Combine(result.Training.RunDirectory, "metrics.jsonl"))}");
        AnsiConsole.MarkupLine($"  val metrics  {ConsoleOutput.Escape(Path.Combine(result.OutDirectory, "metrics-val.json"))}");
        AnsiConsole.MarkupLine($"  predictions  {ConsoleOutput.Escape(Path.Combine(result.OutDirectory, "predictions"))} (*_mask.png, *_color.png, *_overlay.png)");
        AnsiConsole.MarkupLine($"Next: sharpseg predict --checkpoint {ConsoleOutput.Escape(result.Training.BestCheckpoint)} --input <your images> --out <folder>");
        return 0;
    }
}
