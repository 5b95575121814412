using System.ComponentModel;
using SharpSeg.Import;
using Spectre.Console.Cli;

namespace SharpSeg.Cli.Commands;

/// <summary><c>sharpseg data from-labelme</c>: LabelMe JSON files → index PNG masks and a dataset.yaml (<see cref="LabelMeImport"/>).</summary>
public sealed class DataFromLabelMeCommand : Command<DataFromLabelMeCommand.Settings>
{
    public sealed class Settings : ImageReadingSettings
    {
        [CommandArgument(0, "<FOLDER>")]
        [Description("Folder of LabelMe .json files (subfolders too); each names its image in imagePath.")]
        public string Folder { get; init; } = "";

        [CommandOption("--out <DIR>")]
        [Description("Dataset folder: masks go to DIR/<split>/masks, the dataset.yaml to DIR/dataset.yaml (naming every split imported there).")]
        public string? Out { get; init; }

        [CommandOption("--split <NAME>")]
        [Description("Split name for these images (default train).")]
        public string Split { get; init; } = "train";

        [CommandOption("--classes <LIST>")]
        [Description("Class order, comma-separated labels (default: the labels found, sorted); a label not listed is an error.")]
        public string? Classes { get; init; }

        [CommandOption("--force")]
        [Description("Replace the split's masks if it was imported before.")]
        public bool Force { get; init; }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(settings.Out)) throw new SharpSegException("data from-labelme needs --out DIR, the dataset folder to write masks and dataset.yaml to.");
        var order = settings.Classes?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var r = ProgressRunner.Run("masks", p => LabelMeImport.Run(settings.Folder, settings.Out, settings.Split, order, settings.Force, p, cancellationToken));
        Console.Out.WriteLine(TerminalText.Clean($"split '{r.Split}': wrote {r.Masks} masks to {r.MasksDir} from {r.Shapes} shapes"
            + (r.ShapesWithoutArea > 0 ? $" ({r.ShapesWithoutArea} lines or points have no area and were not painted)" : "") + "."));
        Console.Out.WriteLine(TerminalText.Clean($"classes: {string.Join(", ", r.Classes.Select((c, i) => $"{i} {c}"))}"));
        Console.Out.WriteLine(TerminalText.Clean($"dataset: {r.YamlPath}; next: sharpseg data check {r.YamlPath}"));
        return 0;
    }
}
