using System.ComponentModel;
using SharpSeg.Import;
using Spectre.Console.Cli;

namespace SharpSeg.Cli.Commands;

/// <summary><c>sharpseg data from-labelme</c>: LabelMe JSON files → index PNG masks and a dataset.yaml (<see cref="LabelMeImport"/>).</summary>
public sealed class DataFromLabelMeCommand : Command<DataFromLabelMeCommand.Settings>
{
    public sealed class Settings : ImportSettings
    {
        [CommandArgument(0, "<FOLDER>")]
        [Description("Folder of LabelMe .json files (subfolders too); each names its image in imagePath.")]
        public string Folder { get; init; } = "";

        [CommandOption("--classes <LIST>")]
        [Description("Class order, comma-separated labels (default: the labels found, sorted); a label not listed is an error.")]
        public string? Classes { get; init; }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        string outDir = settings.RequireOut("from-labelme");
        var order = ImportSettings.ClassList(settings.Classes);
        var r = ProgressRunner.Run("masks", p => LabelMeImport.Run(settings.Folder, outDir, settings.Split, order, settings.Force, p, cancellationToken));
        Console.Out.WriteLine(TerminalText.Clean($"split '{r.Split}': wrote {r.Masks} masks to {r.MasksDir} from {r.Shapes} shapes"
            + (r.ShapesWithoutArea > 0 ? $" ({r.ShapesWithoutArea} lines or points have no area and were not painted)" : "") + "."));
        ImportSettings.PrintClassesAndNext(r.Classes, r.YamlPath);
        return 0;
    }
}
