using System.ComponentModel;
using System.Globalization;
using SharpSeg.Data;
using Spectre.Console;
using Spectre.Console.Cli;
using SharpSeg.Data.Dataset;
using SharpSeg.Data.Masks;
using SharpSeg.Data.Checks;

namespace SharpSeg.Cli.Commands;

/// <summary><c>sharpseg data stats</c>: class pixel shares, suggested class weights and image sizes per split; JSON on disk.</summary>
public sealed class DataStatsCommand : Command<DataStatsCommand.Settings>
{
    public sealed class Settings : DatasetCommandSettings
    {
        [CommandOption("--out <FILE>")]
        [Description("Where to write the JSON (default: ./<name>-stats.json).")]
        public string? Out { get; init; }

        [CommandOption("--report <DIR>")]
        [Description("Also write an HTML report (report.html: class-share chart, image sizes, sample images with masks) into DIR.")]
        public string? Report { get; init; }

        [CommandOption("--samples <N>")]
        [Description("Sample images per split shown in the report (default: 12).")]
        public int? Samples { get; init; }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        if (settings.Samples != null && settings.Report == null) throw new SharpSegException("--samples needs --report DIR (the samples are shown in the HTML report).");
        var spec = DatasetSpec.Load(settings.Dataset, settings.DataRoot);
        if (settings.Split != null) spec.GetSplit(settings.Split);
        var report = ProgressRunner.RunPerSplit("reading masks", p => DataStats.Compute(spec, settings.Split, p, cancellationToken));
        var inv = CultureInfo.InvariantCulture;
        foreach (var s in report.Splits)
        {
            var table = new Table().Title($"{ConsoleOutput.Escape(spec.Name)} / {ConsoleOutput.Escape(s.Split)}: {s.Images} image{(s.Images == 1 ? "" : "s")}, {s.TotalPixels:N0} pixels")
                .AddColumn("idx").AddColumn("class").AddColumn(new TableColumn("pixels").RightAligned()).AddColumn(new TableColumn("share %").RightAligned())
                .AddColumn(new TableColumn("images").RightAligned()).AddColumn(new TableColumn("inverse-freq weight").RightAligned()).AddColumn(new TableColumn("median-freq weight").RightAligned());
            foreach (var c in s.Classes)
                table.AddRow(c.Index.ToString(inv), ConsoleOutput.Escape(c.Name), c.Pixels.ToString("N0", inv), (100 * c.Share).ToString("0.00", inv),
                    c.ImagesPresent.ToString(inv), c.InverseFrequencyWeight.ToString("0.0000", inv), c.MedianFrequencyWeight.ToString("0.0000", inv));
            // With encoding: threshold every ignored pixel is in the ignore band (soft edges): say so.
            var band = spec.Mask.Kind == MaskEncodingKind.Threshold ? spec.Mask.IgnoreBand : null;
            string ignoreLabel = band is var (low, high) ? $"(ignore band {low}..{high})" : "(ignore)";
            table.AddRow("", ignoreLabel, s.IgnorePixels.ToString("N0", inv), (100 * s.IgnoreShare).ToString("0.00", inv), "", "", "");
            AnsiConsole.Write(table);
            if (band is var (lo, hi))
                AnsiConsole.WriteLine($"{s.Split}: the ignore band {lo}..{hi} ignores {s.IgnorePixels.ToString("N0", inv)} pixels ({(100 * s.IgnoreShare).ToString("0.00", inv)} % of {s.TotalPixels.ToString("N0", inv)}); below {spec.Mask.Threshold} is '{TerminalText.Clean(spec.Classes[0].Name)}', from {spec.Mask.Threshold} up '{TerminalText.Clean(spec.Classes[1].Name)}'.");
            var sizes = new Table().Title("image sizes").AddColumn("width x height").AddColumn(new TableColumn("images").RightAligned());
            foreach (var z in s.ImageSizes.Take(20)) sizes.AddRow($"{z.Width}x{z.Height}", z.Images.ToString(inv));
            if (s.ImageSizes.Count > 20) sizes.AddRow($"({s.ImageSizes.Count - 20} more sizes)", s.ImageSizes.Skip(20).Sum(z => z.Images).ToString(inv));
            AnsiConsole.Write(sizes);
        }
        foreach (var skipped in report.SkippedUnlabelledSplits) AnsiConsole.WriteLine($"split '{skipped}' has no masks: skipped.");
        string safeName = string.Concat(spec.Name.Select(ch => Path.GetInvalidFileNameChars().Contains(ch) ? '_' : ch));
        string outPath = Path.GetFullPath(settings.Out ?? $"{safeName}-stats.json");
        report.WriteJson(outPath);
        AnsiConsole.WriteLine($"wrote {outPath}");
        if (settings.Report != null)
            AnsiConsole.WriteLine($"wrote {Reports.DatasetReport.Write(spec, report, settings.Report, settings.Samples ?? 12, cancellationToken)}");
        return 0;
    }
}
