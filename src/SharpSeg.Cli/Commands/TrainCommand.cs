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

        [CommandOption("--data <DATASET>")]
        [Description("A dataset.yaml. Without a RECIPE, plans one for it (model, resolution, crops, loss, budget: each choice printed with its reason); with one, the same as --set data.dataset=DATASET")]
        public string? Data { get; init; }

        [CommandOption("--print-plan")]
        [Description("With --data and no RECIPE: print the planned recipe (YAML, its reasons as comments) and exit; save it to edit and train from it")]
        public bool PrintPlan { get; init; }

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
            if (s.Recipe != null || s.Data != null || s.PrintPlan)
                throw new SharpSegException($"--resume continues a run with its own saved recipe: do not also give {(s.Recipe != null ? "a RECIPE" : s.Data != null ? "--data" : "--print-plan")}.");
            trainer = Trainer.Resume(s.Resume, s.Set);
            AnsiConsole.MarkupLine($"Resuming [bold]{ConsoleOutput.Escape(trainer.RunDirectory)}[/]");
        }
        else
        {
            if (s.PrintPlan && (s.Recipe != null || s.Data == null)) throw new SharpSegException("--print-plan prints the recipe --data plans: give --data DATASET and no RECIPE.");
            if (s.Recipe == null && s.Data == null && s.Set.Length == 0)
                throw new SharpSegException("give a dataset (sharpseg train --data my/dataset.yaml plans a recipe for it) or a recipe file (sharpseg train configs/camvid-unet.yaml).");
            TrainingRecipe recipe;
            if (s.Recipe == null && s.Data != null)
            {
                if (!File.Exists(s.Data)) throw new SharpSegException($"--data {s.Data}: no such file; give the dataset.yaml (sharpseg data init writes one).");
                var (train, valSplit, root) = TrainingRecipe.PlanningChoices(s.Set);
                var plan = s.PrintPlan   // the YAML alone on stdout, so that it can be saved
                    ? RecipePlanner.Plan(Path.GetFullPath(s.Data), train, valSplit, cancellationToken: cancellationToken, dataRoot: root)
                    : ProgressRunner.RunPerSplit("planning: reading masks of", p => RecipePlanner.Plan(Path.GetFullPath(s.Data), train, valSplit, p, cancellationToken, dataRoot: root));
                recipe = TrainingRecipe.FromText(plan.Yaml, $"the recipe planned for {s.Data}", s.Set);
                if (s.PrintPlan)
                {
                    // The plan with what --set changed in it (checked above as training would check it, so a key the plan
                    // does not name, such as data.data_root, is added), its reasons on top.
                    var tree = SharpSeg.Configuration.ConfigTree.Parse(plan.Yaml, "plan");
                    foreach (var o in s.Set) tree.SetOrAdd(TrainingRecipe.FromWorkingDirectory(o));
                    foreach (var line in plan.Yaml.Split('\n').TakeWhile(l => l.StartsWith('#'))) Console.WriteLine(line);
                    if (s.Set.Length > 0) Console.WriteLine($"# changed with --set: {string.Join(", ", s.Set)}");
                    Console.Write(tree.ToYaml());
                    return 0;
                }
                AnsiConsole.MarkupLine("[bold]Planned for this dataset[/] (--set KEY=VALUE changes any of it):");
                foreach (var reason in plan.Reasons) AnsiConsole.MarkupLine($"  - {ConsoleOutput.Escape(reason)}");
            }
            else
            {
                if (s.Recipe == null && s.Set.Any(a => a.TrimStart().StartsWith("data.dataset=", StringComparison.Ordinal)))
                    ConsoleOutput.Note("note: no recipe: training with the defaults of --print-defaults; sharpseg train --data DATASET plans a recipe for the dataset instead.");
                recipe = TrainingRecipe.Load(s.Recipe, s.Data == null ? s.Set : [$"data.dataset={s.Data}", .. s.Set]);
            }
            string name = s.Recipe != null ? Path.GetFileNameWithoutExtension(s.Recipe) : s.Data != null ? Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(s.Data))) ?? "run" : "run";
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
