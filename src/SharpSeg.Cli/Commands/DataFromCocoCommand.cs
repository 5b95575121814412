using System.ComponentModel;
using SharpSeg.Import;
using Spectre.Console.Cli;

namespace SharpSeg.Cli.Commands;

/// <summary><c>sharpseg data from-coco</c>: COCO polygons/RLE → index PNG masks and a dataset.yaml (<see cref="CocoImport"/>).</summary>
public sealed class DataFromCocoCommand : Command<DataFromCocoCommand.Settings>
{
    public sealed class Settings : ImportSettings
    {
        [CommandArgument(0, "<ANNOTATIONS>")]
        [Description("The COCO annotation file (instances JSON with polygon or RLE segmentations).")]
        public string Annotations { get; init; } = "";

        [CommandOption("--images <DIR>")]
        [Description("The folder the file's image file_name entries are relative to.")]
        public string? Images { get; init; }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        string images = ImportSettings.RequireImages("from-coco", settings.Images, "the folder the annotation file's image file names are relative to");
        string outDir = settings.RequireOut("from-coco");
        var r = ProgressRunner.Run("masks", p => CocoImport.Run(settings.Annotations, images, outDir, settings.Split, settings.Force, p, cancellationToken));
        Console.Out.WriteLine(TerminalText.Clean($"split '{r.Split}': wrote {r.Masks} masks to {r.MasksDir} from {r.Annotations} annotations"
            + (r.CrowdAnnotations > 0 ? $" ({r.CrowdAnnotations} crowd, painted as their class)" : "")
            + (r.ImagesWithoutAnnotations > 0 ? $"; {r.ImagesWithoutAnnotations} images have no annotation: all background" : "") + "."));
        ImportSettings.PrintClassesAndNext(r.Classes, r.YamlPath);
        return 0;
    }
}
