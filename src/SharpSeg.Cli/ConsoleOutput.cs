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

    /// <summary>The per-class instance summary of an <c>instances</c> run.</summary>
    public static void WriteInstanceSummary(Instances.InstanceFolderFiles files)
    {
        var table = new Table().Title($"instances in {files.Images} images").AddColumns("class", "instances", "images with any", "total area", "median area", "mean area");
        foreach (var c in files.Classes)
            table.AddRow(Escape(c.ClassName), c.Instances.ToString("N0"), c.ImagesWithInstances.ToString("N0"), c.TotalArea.ToString("N0"), Number(c.MedianArea), Number(c.MeanArea));
        AnsiConsole.Write(table);
    }

    /// <summary>Instance-level scores of <c>eval --instances</c>.</summary>
    public static void WriteInstanceScores(Metrics.InstanceScores s)
    {
        var table = new Table().Title($"instances (IoU ≥ {s.IouThreshold.ToString(System.Globalization.CultureInfo.InvariantCulture)}, {s.Connectivity}-connected{(s.MinArea > 0 ? $", min area {s.MinArea}" : "")})")
            .AddColumns("class", "true", "predicted", "matched", "precision %", "recall %", "F1 %", "count MAE/image");
        foreach (var c in s.PerClass)
            table.AddRow(Escape(c.Name), c.TrueInstances.ToString("N0"), c.PredictedInstances.ToString("N0"), c.Matched.ToString("N0"), Pct(c.Precision), Pct(c.Recall), Pct(c.F1), c.CountMeanAbsoluteError.ToString("F2"));
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine($"instance F1 [bold]{Pct(s.F1)}[/] %   precision {Pct(s.Precision)} %   recall {Pct(s.Recall)} %   mean count MAE {(s.MeanCountMeanAbsoluteError is double d ? d.ToString("F2") : "n/a")} per image");
    }

    static string Number(double? v) => v is double d ? d.ToString("0.#") : "n/a";

    /// <summary>Text for Spectre markup: control characters made visible (<see cref="TerminalText.Clean"/>: file names are
    /// the user's data and could hold terminal escapes), then markup brackets escaped.</summary>
    public static string Escape(string text) => Markup.Escape(TerminalText.Clean(text));

    /// <summary>A note or warning in yellow, on one line whatever its length: Spectre wraps at 80 columns when the output
    /// is redirected, which would cut a long warning across lines in a log.</summary>
    public static void Note(string text)
    {
        if (Interactive) AnsiConsole.MarkupLine($"[yellow]{Escape(text)}[/]");
        else Console.Out.WriteLine(TerminalText.Clean(text));
    }

    /// <summary>Says so when a video of odd width or height is written one column or row larger (<see cref="Video.VideoWriter.EncodedSize"/>).</summary>
    public static void NoteEncodedSize(Video.VideoInfo info, bool lossless)
    {
        var (w, h) = Video.VideoWriter.EncodedSize(info.Width, info.Height, lossless);
        if ((w, h) != (info.Width, info.Height))
            AnsiConsole.WriteLine($"note: H.264 (yuv420p) needs an even width and height; the video is written at {w}x{h}, its last {(w != info.Width && h != info.Height ? "column and row" : w != info.Width ? "column" : "row")} repeated.");
    }

    public static string Pct(double? v) => v is double d ? (100 * d).ToString("F2") : "n/a";
}
