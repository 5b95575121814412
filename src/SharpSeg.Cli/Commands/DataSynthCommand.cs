using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using SharpSeg.Data.Synthetic;
using Spectre.Console;
using Spectre.Console.Cli;

namespace SharpSeg.Cli.Commands;

/// <summary>`sharpseg data synth`: writes the built-in synthetic scene dataset (images, masks, dataset.yaml).</summary>
public sealed class DataSynthCommand : Command<DataSynthCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--out <DIR>")]
        [Description("Folder to write (new or empty; an earlier synthetic dataset there is replaced).")]
        public string? Out { get; init; }

        [CommandOption("--train <N>")]
        [Description("Number of training images (default 160).")]
        public int Train { get; init; } = 160;

        [CommandOption("--val <N>")]
        [Description("Number of validation images (default 40).")]
        public int Val { get; init; } = 40;

        [CommandOption("--size <WxH>")]
        [Description("Image size, width x height in pixels (default 128x128).")]
        public string Size { get; init; } = "128x128";

        [CommandOption("--seed <S>")]
        [Description("Random seed; the same seed writes identical files (default 0).")]
        public int Seed { get; init; }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(settings.Out)) throw new SharpSegException("data synth needs --out DIR, the folder to write the dataset to.");
        var (w, h) = SharpSeg.Imaging.SizeSpec.Parse(settings.Size, "--size", allowSquare: false);
        var options = new SyntheticSceneOptions { Train = settings.Train, Val = settings.Val, Width = w, Height = h, Seed = settings.Seed };
        var sw = Stopwatch.StartNew();
        string yaml = SyntheticSceneGenerator.WriteDataset(options, settings.Out);
        AnsiConsole.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"wrote {options.Train} train + {options.Val} val images ({w}x{h}, {SyntheticSceneGenerator.ClassNames.Count} classes, seed {options.Seed}) in {sw.Elapsed.TotalSeconds:F1} s"));
        AnsiConsole.WriteLine("dataset: " + yaml);
        return 0;
    }
}
