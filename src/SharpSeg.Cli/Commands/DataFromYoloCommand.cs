using System.ComponentModel;
using SharpSeg.Import;
using Spectre.Console.Cli;

namespace SharpSeg.Cli.Commands;

/// <summary><c>sharpseg data from-yolo</c>: YOLO segmentation labels (polygons) → index PNG masks and a dataset.yaml (<see cref="YoloImport"/>).</summary>
public sealed class DataFromYoloCommand : Command<DataFromYoloCommand.Settings>
{
    public sealed class Settings : ImageReadingSettings
    {
        [CommandArgument(0, "<LABELS>")]
        [Description("Folder of YOLO segmentation labels: one .txt per image, a line 'class x1 y1 x2 y2 ...' per object, coordinates 0..1.")]
        public string Folder { get; init; } = "";

        [CommandOption("--images <DIR>")]
        [Description("Folder of the images the labels belong to (subfolders too); labels/x.txt is the label of images/x.jpg.")]
        public string? Images { get; init; }

        [CommandOption("--names <YAML>")]
        [Description("The YOLO dataset's yaml (data.yaml) whose 'names' gives the class names by id.")]
        public string? Names { get; init; }

        [CommandOption("--classes <LIST>")]
        [Description("Class names by id, comma-separated, instead of --names (default: class_0, class_1, ...).")]
        public string? Classes { get; init; }

        [CommandOption("--out <DIR>")]
        [Description("Dataset folder: masks go to DIR/<split>/masks, the dataset.yaml to DIR/dataset.yaml (naming every split imported there).")]
        public string? Out { get; init; }

        [CommandOption("--split <NAME>")]
        [Description("Split name for these images (default train).")]
        public string Split { get; init; } = "train";

        [CommandOption("--force")]
        [Description("Replace the split's masks if it was imported before.")]
        public bool Force { get; init; }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(settings.Images)) throw new SharpSegException("data from-yolo needs --images DIR, the folder of the images the labels belong to.");
        if (string.IsNullOrWhiteSpace(settings.Out)) throw new SharpSegException("data from-yolo needs --out DIR, the dataset folder to write masks and dataset.yaml to.");
        var names = settings.Classes?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var r = ProgressRunner.Run("masks", p => YoloImport.Run(settings.Folder, settings.Images, settings.Out, settings.Split, names, settings.Names, settings.Force, p, cancellationToken));
        Console.Out.WriteLine(TerminalText.Clean($"split '{r.Split}': wrote {r.Masks} masks to {r.MasksDir} from {r.Polygons} polygons."));
        if (r.ImagesWithoutLabels > 0)
            Console.Out.WriteLine($"note: {r.ImagesWithoutLabels} of {r.Masks} images have no label file; YOLO reads that as no objects, so their masks are all background.");
        Console.Out.WriteLine(TerminalText.Clean($"classes: {string.Join(", ", r.Classes.Select((c, i) => $"{i} {c}"))}"));
        Console.Out.WriteLine(TerminalText.Clean($"dataset: {r.YamlPath}; next: sharpseg data check {r.YamlPath}"));
        return 0;
    }
}
