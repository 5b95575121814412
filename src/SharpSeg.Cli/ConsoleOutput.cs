using SharpSeg.Metrics;
using Spectre.Console;

namespace SharpSeg.Cli;

/// <summary>Shared console rendering: metric tables, and whether live progress bars can be drawn.</summary>
public static class ConsoleOutput
{
    /// <summary>True when stdout is a terminal that can redraw a live progress bar (not a pipe, a log file or CI).</summary>
    public static bool Interactive => AnsiConsole.Profile.Capabilities.Interactive && !Console.IsOutputRedirected
        && Environment.GetEnvironmentVariable("CI") is null or "" or "false";

    /// <summary>Per-class IoU / Dice / accuracy table, then the summary metrics. n/a classes are shown as n/a.</summary>
    public static void WriteMetrics(SegmentationMetrics m, string title)
    {
        var table = new Table().Title(Escape(title)).AddColumns("class", "IoU %", "Dice %", "accuracy %", "GT pixels");
        foreach (var c in m.PerClass)
            table.AddRow(Escape(c.Name ?? c.Index.ToString()), Pct(c.IoU), Pct(c.Dice), Pct(c.Accuracy), c.GroundTruthPixels.ToString("N0"));
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine($"mIoU [bold]{Pct(m.MeanIoU)}[/] %   mean Dice {Pct(m.MeanDice)} %   pixel accuracy {Pct(m.PixelAccuracy)} %   mean class accuracy {Pct(m.MeanClassAccuracy)} %   FWIoU {Pct(m.FrequencyWeightedIoU)} %");
    }

    /// <summary>Text for Spectre markup: control characters made visible (<see cref="TerminalText.Clean"/>: file names are
    /// the user's data and could hold terminal escapes), then markup brackets escaped.</summary>
    public static string Escape(string text) => Markup.Escape(TerminalText.Clean(text));

    public static string Pct(double? v) => v is double d ? (100 * d).ToString("F2") : "n/a";
}
