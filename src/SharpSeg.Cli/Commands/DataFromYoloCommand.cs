using System.ComponentModel;
using SharpSeg.Import;
using Spectre.Console.Cli;

namespace SharpSeg.Cli.Commands;

/// <summary><c>sharpseg data from-yolo</c>: YOLO segmentation labels (polygons) → index PNG masks and a dataset.yaml (<see cref="YoloImport"/>).</summary>
public sealed class DataFromYoloCommand : Command<DataFromYoloCommand.Settings>
{
    public sealed class Settings : ImportSettings
    {
        [CommandArgument(0, "<LABELS>")]
        [Description("Folder of YOLO segmentation labels: one .txt per image, a line 'class x1 y1 x2 y2 ...' per object, coordinates 0..1.")]
        public string Folder { get; init; } = "";

        [CommandOption("--images <DIR>")]
        [Description("Folder of the images the labels belong to (subfolders too); labels/x.txt is the label of images/x.jpg.")]
        public string? Images { get; init; }

        [CommandOption("--names <YAML>")]
        [Description("The YOLO dataset's yaml (data.yaml) whose 'names' gives the class names by id, or a classes.txt (one name per line; one in LABELS is read by itself).")]
        public string? Names { get; init; }

        [CommandOption("--classes <LIST>")]
        [Description("Class names by id, comma-separated, instead of --names (default: class_0, class_1, ...).")]
        public string? Classes { get; init; }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        string images = ImportSettings.RequireImages("from-yolo", settings.Images, "the folder of the images the labels belong to");
        string outDir = settings.RequireOut("from-yolo");
        var names = ImportSettings.ClassList(settings.Classes);
        var r = ProgressRunner.Run("masks", p => YoloImport.Run(settings.Folder, images, outDir, settings.Split, names, settings.Names, settings.Force, p, cancellationToken));
        Console.Out.WriteLine(TerminalText.Clean($"split '{r.Split}': wrote {r.Masks} masks to {r.MasksDir} from {r.Polygons} polygons."));
        if (r.ImagesWithoutLabels > 0)
            Console.Out.WriteLine($"note: {r.ImagesWithoutLabels} of {r.Masks} images have no label file; YOLO reads that as no objects, so their masks are all background.");
        ImportSettings.PrintClassesAndNext(r.Classes, r.YamlPath);
        return 0;
    }
}
