using System.ComponentModel;
using SharpSeg.Import;
using Spectre.Console.Cli;

namespace SharpSeg.Cli.Commands;

/// <summary><c>sharpseg data from-coco</c>: COCO polygons/RLE → index PNG masks and a dataset.yaml (<see cref="CocoImport"/>).</summary>
public sealed class DataFromCocoCommand : Command<DataFromCocoCommand.Settings>
{
    public sealed class Settings : ImageReadingSettings
    {
        [CommandArgument(0, "<ANNOTATIONS>")]
        [Description("The COCO annotation file (instances JSON with polygon or RLE segmentations).")]
        public string Annotations { get; init; } = "";

        [CommandOption("--images <DIR>")]
        [Description("The folder the file's image file_name entries are relative to.")]
        public string? Images { get; init; }

        [CommandOption("--out <DIR>")]
        [Description("Dataset folder: masks go to DIR/<split>/masks, the dataset.yaml to DIR/dataset.yaml (naming every split imported there).")]
        public string? Out { get; init; }

        [CommandOption("--split <NAME>")]
        [Description("Split name for these images (default train); import the val file again with --split val into the same --out.")]
        public string Split { get; init; } = "train";

        [CommandOption("--force")]
        [Description("Replace the split's masks if it was imported before.")]
        public bool Force { get; init; }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(settings.Images)) throw new SharpSegException("data from-coco needs --images DIR, the folder the annotation file's image file names are relative to.");
        if (string.IsNullOrWhiteSpace(settings.Out)) throw new SharpSegException("data from-coco needs --out DIR, the dataset folder to write masks and dataset.yaml to.");
        var r = ProgressRunner.Run("masks", p => CocoImport.Run(settings.Annotations, settings.Images, settings.Out, settings.Split, settings.Force, p, cancellationToken));
        Console.Out.WriteLine(TerminalText.Clean($"split '{r.Split}': wrote {r.Masks} masks to {r.MasksDir} from {r.Annotations} annotations"
            + (r.CrowdAnnotations > 0 ? $" ({r.CrowdAnnotations} crowd, painted as their class)" : "")
            + (r.ImagesWithoutAnnotations > 0 ? $"; {r.ImagesWithoutAnnotations} images have no annotation: all background" : "") + "."));
        Console.Out.WriteLine(TerminalText.Clean($"classes: {string.Join(", ", r.Classes.Select((c, i) => $"{i} {c}"))}"));
        Console.Out.WriteLine(TerminalText.Clean($"dataset: {r.YamlPath}; next: sharpseg data check {r.YamlPath}"));
        return 0;
    }
}
