using System.ComponentModel;
using SharpSeg.Import;
using Spectre.Console.Cli;

namespace SharpSeg.Cli.Commands;

/// <summary><c>sharpseg data from-class-masks</c>: per-class binary masks → index PNG masks and a dataset.yaml (<see cref="ClassMaskImport"/>).</summary>
public sealed class DataFromClassMasksCommand : Command<DataFromClassMasksCommand.Settings>
{
    public sealed class Settings : ImportSettings
    {
        [CommandArgument(0, "<FOLDER>")]
        [Description("Folder of per-class binary masks: one folder per class (FOLDER/crack/x.png) or one folder per image (FOLDER/x/crack.png).")]
        public string Folder { get; init; } = "";

        [CommandOption("--images <DIR>")]
        [Description("Folder of the images the masks belong to (subfolders too); a mask is named as its image.")]
        public string? Images { get; init; }

        [CommandOption("--layout <LAYOUT>")]
        [Description("per-class (FOLDER/<class>/<image>) or per-image (FOLDER/<image>/<class>); default: found from the names.")]
        public string? Layout { get; init; }

        [CommandOption("--classes <LIST>")]
        [Description("Class order, comma-separated (default: the class names found, sorted); where masks overlap the later class keeps the pixel; a class not listed is an error.")]
        public string? Classes { get; init; }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        string images = ImportSettings.RequireImages("from-class-masks", settings.Images, "the folder of the images the masks belong to");
        string outDir = settings.RequireOut("from-class-masks");
        var order = ImportSettings.ClassList(settings.Classes);
        var r = ProgressRunner.Run("masks", p => ClassMaskImport.Run(settings.Folder, images, outDir, settings.Split, order, Layout(settings.Layout), settings.Force, p, cancellationToken));
        Console.Out.WriteLine(TerminalText.Clean($"split '{r.Split}': wrote {r.Masks} masks to {r.MasksDir} from {r.ClassMasks} class masks ({r.Layout})."));
        if (r.ImagesWithoutClassMasks > 0)
            Console.Out.WriteLine(TerminalText.Clean($"note: {r.ImagesWithoutClassMasks} of {r.Masks} images have no class mask; their masks are all background. If they are unannotated rather than empty, leave them out of --images."));
        if (r.OverlapPixels > 0)
            Console.Out.WriteLine($"note: {r.OverlapPixels} pixels are claimed by more than one class mask; the later class in the list kept them (--classes sets the order).");
        ImportSettings.PrintClassesAndNext(r.Classes, r.YamlPath);
        return 0;
    }

    static string? Layout(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        null or "" or "auto" => null,
        "per-class" => ClassMaskImport.PerClass,
        "per-image" => ClassMaskImport.PerImage,
        _ => throw new SharpSegException($"--layout '{value}': use per-class (a folder per class) or per-image (a folder per image)."),
    };
}
