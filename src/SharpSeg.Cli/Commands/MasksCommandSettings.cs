using System.ComponentModel;
using SharpSeg.Annotation;
using SharpSeg.Data.Dataset;
using Spectre.Console.Cli;

namespace SharpSeg.Cli.Commands;

/// <summary>Arguments shared by <c>masks fuse</c> and <c>masks agreement</c>: the dataset and the annotators' folders.</summary>
public class MasksCommandSettings : ImageReadingSettings
{
    [CommandOption("-d|--dataset <DATASET_YAML>")][Description("The dataset: its images, class table and mask encoding (every annotator's masks are decoded through it)")] public string? Dataset { get; init; }
    [CommandOption("--data-root <DIR>")][Description("Dataset root folder; replaces the yaml's 'root'")] public string? DataRoot { get; init; }
    [CommandOption("-a|--annotators <DIRS>")][Description("Annotators' mask folders, masks named like the images: --annotators a/ b/ c/ (or a/,b/,c/; 2 to 8)")] public string[] Annotators { get; init; } = [];
    [CommandOption("--split <NAME>")][Description("Only the images of this split (default: every split)")] public string? Split { get; init; }

    /// <summary>The dataset and the annotators' masks paired with its images.</summary>
    public AnnotatorMasks Find()
    {
        if (Dataset == null) throw new SharpSegException("--dataset is required: the dataset.yaml whose images the annotators labelled.");
        var folders = Annotators.SelectMany(a => a.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
        if (folders.Count < 2) throw new SharpSegException("--annotators needs at least two mask folders, e.g. --annotators a/ b/ c/.");
        var spec = DatasetSpec.Load(Dataset, DataRoot);
        if (Split != null) spec.GetSplit(Split);
        return AnnotatorMasks.Find(spec, folders, Split == null ? null : [Split]);
    }
}
