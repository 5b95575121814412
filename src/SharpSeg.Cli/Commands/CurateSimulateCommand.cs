using System.ComponentModel;
using System.Globalization;
using Spectre.Console;
using Spectre.Console.Cli;
using SharpSeg.Curation.Selection;
using SharpSeg.Curation.Simulation;

namespace SharpSeg.Cli.Commands;

public sealed class CurateSimulateCommand : Command<CurateSimulateCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "[RECIPE]")][Description("Training recipe whose train split is the pool (e.g. configs/curation/camvid-al.yaml)")] public string? Recipe { get; init; }
        [CommandOption("-s|--strategy <MIX>")][Description("A strategy to compare with random (repeatable), e.g. --strategy uncertainty --strategy uncertainty:0.5,diversity:0.5")] public string[] Strategy { get; init; } = [];
        [CommandOption("--seeds <LIST>")][Description("Seeds (default 1,2,3)")] public string Seeds { get; init; } = "1,2,3";
        [CommandOption("--initial <F>")][Description("Share of the pool labelled at random at the start (default 0.05)")] public double Initial { get; init; } = 0.05;
        [CommandOption("--step <F>")][Description("Share each strategy adds (default 0.05)")] public double Step { get; init; } = 0.05;
        [CommandOption("--embedder <E>")][Description("Embeddings for diversity/typicality: checkpoint (the initial model's encoder, default) | thumbnail")] public string Embedder { get; init; } = "checkpoint";
        [CommandOption("--dedupe-threshold <COS>")][Description("Thumbnail near-duplicate threshold for the strategies that name dedupe, e.g. dedupe,diversity (default 0.95)")] public double DedupeThreshold { get; init; } = CurationOptions.DefaultDedupeThreshold;
        [CommandOption("--no-dedupe")][Description("Do not remove near-duplicates, even for a strategy that names dedupe")] public bool NoDedupe { get; init; }
        [CommandOption("--evaluator <E>")][Description("train (every labelled set trains the recipe from scratch, default) | frozen (the recipe's pretrained encoder frozen, features cached once, a light head per set: minutes for a whole study) | finetune (the sets frozen chooses, each measured by training the recipe, e.g. fine-tuning the whole ImageNet U-Net)")] public string Evaluator { get; init; } = "train";
        [CommandOption("--head-iterations <N>")][Description("Steps of the light head per labelled set (--evaluator frozen; with finetune, of the warm start's scoring head; default 300)")] public int HeadIterations { get; init; } = 300;
        [CommandOption("--scale <F>")][Description("Image scale for the frozen features (--evaluator frozen or finetune; default 0.5)")] public double Scale { get; init; } = 0.5;
        [CommandOption("--set <KEY=VALUE>")][Description("Recipe override for every training run (repeatable)")] public string[] Set { get; init; } = [];
        [CommandOption("-o|--out <DIR>")][Description("Output folder (results.jsonl, results.md, one folder per seed); rerun to resume")] public string? Out { get; init; }
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken cancellationToken)
    {
        if (s.Recipe == null) throw new SharpSegException("give the training recipe, e.g. sharpseg curate-simulate configs/curation/camvid-al.yaml --out runs/al.");
        if (s.Out == null) throw new SharpSegException("--out is required (the simulation folder; rerunning with it resumes).");
        var seeds = s.Seeds.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(t => int.TryParse(t, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) ? v : throw new SharpSegException($"--seeds '{s.Seeds}': give whole numbers like 1,2,3.")).ToList();
        string evaluator = s.Evaluator.Trim().ToLowerInvariant();
        if (evaluator is not ("train" or "frozen" or "finetune"))
            throw new SharpSegException($"--evaluator '{s.Evaluator}': use train, frozen or finetune.");
        bool choosesOnFrozenFeatures = evaluator != "train"; // finetune chooses the sets as frozen does
        var strategies = new List<StrategyMix> { StrategyMix.Of(SelectionStrategy.Random) };
        var extras = new List<string>();
        foreach (var text in s.Strategy)
        {
            if (FrozenEncoderSimulation.ExtraStrategies.Contains(text.Trim().ToLowerInvariant()))
            {
                if (!choosesOnFrozenFeatures) throw new SharpSegException($"--strategy {text} is offered with --evaluator frozen or finetune only.");
                extras.Add(text.Trim().ToLowerInvariant());
                continue;
            }
            var mix = StrategyMix.Parse(text);
            if (mix.DedupeOnly) throw new SharpSegException("--strategy dedupe alone selects no fixed number of images; combine it, e.g. dedupe,diversity.");
            if (strategies.All(m => m.Text != mix.Text)) strategies.Add(mix);
        }
        var options = new SimulationOptions
        {
            Recipe = s.Recipe, Overrides = s.Set, Out = s.Out, Strategies = strategies, Seeds = seeds,
            InitialFraction = s.Initial, StepFraction = s.Step, Embedder = s.Embedder, DedupeThreshold = s.NoDedupe ? null : s.DedupeThreshold,
            ExtraStrategies = extras,
        };
        using var ctrlC = new ConsoleCancellation(cancellationToken);
        var head = new SharpSeg.Curation.Simulation.FrozenHeadOptions { Iterations = s.HeadIterations };
        Action<string> log = line => AnsiConsole.WriteLine(line);
        // The evaluators that train the recipe show its progress (minutes per run); the frozen one logs each head.
        var results = evaluator == "frozen"
            ? FrozenEncoderSimulation.Run(options, head, s.Scale, log, ctrlC.Token)
            : TrainingReporter.Run("training", p => evaluator == "finetune"
                ? FrozenEncoderSimulation.Run(options, head, s.Scale, log, ctrlC.Token, fineTune: true, training: p)
                : ActiveLearningSimulation.Run(options, log, p, ctrlC.Token));
        Console.Write(ActiveLearningSimulation.Table(results));
        AnsiConsole.MarkupLine($"Results: {ConsoleOutput.Escape(Path.Combine(Path.GetFullPath(s.Out), "results.md"))} and results.jsonl");
        return 0;
    }
}
