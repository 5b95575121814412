using System.ComponentModel;
using SharpSeg.Training;
using Spectre.Console;
using Spectre.Console.Cli;

namespace SharpSeg.Cli.Commands;

public sealed class TrainCommand : Command<TrainCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "[RECIPE]")]
        [Description("Training recipe (YAML). Every key and its default: sharpseg train --print-defaults")]
        public string? Recipe { get; init; }

        [CommandOption("--set <KEY=VALUE>")]
        [Description("Override a recipe key, e.g. --set optimizer.lr=0.01 (repeatable)")]
        public string[] Set { get; init; } = Array.Empty<string>();

        [CommandOption("-o|--out <DIR>")]
        [Description("Run folder (default: runs/<recipe>-<time>)")]
        public string? Out { get; init; }

        [CommandOption("--resume <RUN>")]
        [Description("Continue a run folder (or its last.ckpt) exactly where it stopped")]
        public string? Resume { get; init; }

        [CommandOption("--print-defaults")]
        [Description("Print every recipe key with its default and exit")]
        public bool PrintDefaults { get; init; }
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken cancellationToken)
    {
        if (s.PrintDefaults) { Console.Write(RecipeDefaults.Yaml); return 0; }
        Trainer trainer;
        if (s.Resume != null)
        {
            if (s.Recipe != null) throw new SharpSegException("--resume continues a run with its own saved recipe: do not also give a RECIPE.");
            trainer = Trainer.Resume(s.Resume, s.Set);
            AnsiConsole.MarkupLine($"Resuming [bold]{ConsoleOutput.Escape(trainer.RunDirectory)}[/]");
        }
        else
        {
            if (s.Recipe == null && s.Set.Length == 0) throw new SharpSegException("give a recipe file (e.g. sharpseg train configs/camvid-unet.yaml) or --set data.dataset=path/to/dataset.yaml.");
            var recipe = TrainingRecipe.Load(s.Recipe, s.Set);
            string name = s.Recipe != null ? Path.GetFileNameWithoutExtension(s.Recipe) : "run";
            string outDir = s.Out ?? Path.Combine("runs", $"{name}-{DateTime.Now:yyyyMMdd-HHmmss}");
            trainer = Trainer.Create(recipe, outDir);
            AnsiConsole.WriteLine("Resolved recipe:");
            Console.Write(recipe.ToYaml());
        }
        using var ctrlC = new ConsoleCancellation(cancellationToken);
        TrainingResult result;
        try { result = TrainingReporter.Run("training", p => trainer.Run(p, ctrlC.Token)); }
        catch (OperationCanceledException) when (ctrlC.ByCtrlC && File.Exists(Path.Combine(trainer.RunDirectory, Trainer.LastCheckpointName)))
        {
            AnsiConsole.MarkupLine(ConsoleOutput.Escape($"Stopped; {Path.Combine(trainer.RunDirectory, Trainer.LastCheckpointName)} holds the run so far. Continue with: sharpseg train --resume {trainer.RunDirectory}"));
            return 130;
        }
        if (result.LastValidation != null) ConsoleOutput.WriteMetrics(result.LastValidation, $"validation at iteration {result.Iterations}");
        AnsiConsole.MarkupLine($"Done in {result.Elapsed:hh\\:mm\\:ss}: {result.Iterations} iterations, {result.TrainImagesPerSecond:F1} training images/s{(result.StoppedEarly ? " (stopped early)" : "")}.");
        if (result.BestMIoU != null) AnsiConsole.MarkupLine($"Best val mIoU {ConsoleOutput.Pct(result.BestMIoU)} % at iteration {result.BestIteration}.");
        if (result.PhaseMs is { } phases) AnsiConsole.MarkupLine(ConsoleOutput.Escape($"Time per step: {StepPhases.Describe(phases)} (metrics.jsonl: phase_ms)."));
        AnsiConsole.MarkupLine($"Run folder: {ConsoleOutput.Escape(result.RunDirectory)} (best.ckpt, last.ckpt, metrics.jsonl, recipe.yaml)");
        return 0;
    }
}
