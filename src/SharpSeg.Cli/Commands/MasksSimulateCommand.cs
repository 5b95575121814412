using System.ComponentModel;
using SharpSeg.Annotation;
using SharpSeg.Data.Dataset;
using Spectre.Console;
using Spectre.Console.Cli;

namespace SharpSeg.Cli.Commands;

/// <summary><c>sharpseg masks simulate</c>: simulated annotators (perturbed copies of a dataset's masks) to try fusion on.</summary>
public sealed class MasksSimulateCommand : Command<MasksSimulateCommand.Settings>
{
    public sealed class Settings : ImageReadingSettings
    {
        [CommandOption("-d|--dataset <DATASET_YAML>")][Description("The dataset whose masks are perturbed")] public string? Dataset { get; init; }
        [CommandOption("--data-root <DIR>")][Description("Dataset root folder; replaces the yaml's 'root'")] public string? DataRoot { get; init; }
        [CommandOption("--split <NAME>")][Description("Split whose masks are perturbed (default train)")] public string Split { get; init; } = "train";
        [CommandOption("-p|--perturb <OPS>")][Description("One simulated annotator (repeatable): operations separated by commas: grow CLASS R, shrink CLASS R, jitter P, flip P")] public string[] Perturb { get; init; } = [];
        [CommandOption("--seed <N>")][Description("Seed of the random perturbations (default 0)")] public int Seed { get; init; }
        [CommandOption("-o|--out <DIR>")][Description("Output folder: annotator1/, annotator2/, ... with masks named like the images")] public string? Out { get; init; }
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken cancellationToken)
    {
        if (s.Dataset == null) throw new SharpSegException("--dataset is required: the dataset.yaml whose masks are perturbed.");
        if (s.Out == null) throw new SharpSegException("--out is required: the folder for the simulated annotators' masks.");
        if (s.Perturb.Length == 0) throw new SharpSegException("give one --perturb per simulated annotator, e.g. --perturb \"grow membrane 1, jitter 0.2\" --perturb \"shrink membrane 1\".");
        var spec = DatasetSpec.Load(s.Dataset, s.DataRoot);
        var annotators = s.Perturb.Select(p => SimulatedAnnotator.Parse(p, spec.Classes)).ToList();
        var folders = ProgressRunner.Run("perturbing", p => SimulatedAnnotator.WriteFolders(spec, s.Split, annotators, s.Out, s.Seed, p, cancellationToken));
        for (int j = 0; j < folders.Count; j++) AnsiConsole.MarkupLine(ConsoleOutput.Escape($"{folders[j]}: {annotators[j].Text}"));
        return 0;
    }
}
