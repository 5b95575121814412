using System.ComponentModel;
using SharpSeg.Imaging;
using Spectre.Console.Cli;

namespace SharpSeg.Cli.Commands;

/// <summary><c>sharpseg data unstack</c>: writes each page of a multi-page TIFF to its own PNG (<see cref="TiffStack"/>).</summary>
public sealed class DataUnstackCommand : Command<DataUnstackCommand.Settings>
{
    public sealed class Settings : ImageReadingSettings
    {
        [CommandArgument(0, "<TIFF>")]
        [Description("The multi-page TIFF (a stack of slices or frames).")]
        public string Tiff { get; init; } = "";

        [CommandOption("--out <DIR>")]
        [Description("Folder for the pages: <stem>_000.png, <stem>_001.png, … (created if needed).")]
        public string? Out { get; init; }

        [CommandOption("--stem <NAME>")]
        [Description("Name the pages NAME_000.png, … instead of after the TIFF, e.g. the same name for an image stack and its label stack.")]
        public string? Stem { get; init; }

        [CommandOption("--force")]
        [Description("Overwrite page files that already exist.")]
        public bool Force { get; init; }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(settings.Out)) throw new SharpSegException("data unstack needs --out DIR, the folder to write one PNG per page to.");
        var written = TiffStack.Unstack(settings.Tiff, settings.Out, settings.Force, settings.Stem);
        Console.Out.WriteLine($"wrote {written.Count} page{(written.Count == 1 ? "" : "s")} of {TerminalText.Clean(settings.Tiff)} to {TerminalText.Clean(settings.Out)} ({TerminalText.Clean(Path.GetFileName(written[0]))} … {TerminalText.Clean(Path.GetFileName(written[^1]))})");
        return 0;
    }
}
