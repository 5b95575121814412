using System.ComponentModel;
using SharpSeg.Data;
using Spectre.Console.Cli;
using SharpSeg.Data.Dataset;
using SharpSeg.Data.Checks;

namespace SharpSeg.Cli.Commands;

/// <summary><c>sharpseg data check</c>: validates a dataset's files and prints one line per problem, then a summary.</summary>
public sealed class DataCheckCommand : Command<DataCheckCommand.Settings>
{
    public sealed class Settings : DatasetCommandSettings { }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var spec = DatasetSpec.Load(settings.Dataset, settings.DataRoot);
        if (settings.Split != null) spec.GetSplit(settings.Split);
        var checker = new DataChecker(spec);
        var report = ProgressRunner.RunPerSplit("checking", p => checker.Check(settings.Split, p, cancellationToken));

        var stdout = Console.Out;
        foreach (var p in report.Problems) stdout.WriteLine(TerminalText.Clean($"[{p.Split}] {p.Message}"));
        string what = $"{report.PairsChecked} pairs" + (report.UnlabelledImagesChecked > 0 ? $" and {report.UnlabelledImagesChecked} unlabelled images" : "")
            + $" in {report.Splits.Count} split{(report.Splits.Count == 1 ? "" : "s")} ({string.Join(", ", report.Splits)})";
        foreach (var note in report.Notes) stdout.WriteLine(TerminalText.Clean(note));
        if (report.IsClean)
        {
            stdout.WriteLine($"{spec.Name}: checked {what}: no problems.");
            return 0;
        }
        string kinds = string.Join(", ", report.CountsByKind.OrderBy(kv => kv.Key).Select(kv => $"{kv.Value} {Plural(Label(kv.Key), kv.Value)}"));
        stdout.WriteLine($"{spec.Name}: {report.ProblemCount} ({kinds}); checked {what}. Fix them and run 'sharpseg data check' again.");
        return ErrorReporter.UserError;
    }

    static string Plural(string label, int count) => count == 1 ? label : label.EndsWith("ch", StringComparison.Ordinal) ? label + "es" : label + "s";

    static string Label(DataProblemKind kind) => kind switch
    {
        DataProblemKind.SplitUnreadable => "unreadable split",
        DataProblemKind.MissingMask => "missing mask",
        DataProblemKind.MissingImage => "missing image",
        DataProblemKind.AmbiguousPairing => "ambiguous pairing",
        DataProblemKind.BadListLine => "bad list line",
        DataProblemKind.UnreadableImage => "unreadable image",
        DataProblemKind.UnreadableMask => "unreadable mask",
        DataProblemKind.SizeMismatch => "size mismatch",
        DataProblemKind.UndefinedLabel => "undefined mask value",
        DataProblemKind.RoiProblem => "region-of-interest problem",
        _ => kind.ToString(),
    };
}
