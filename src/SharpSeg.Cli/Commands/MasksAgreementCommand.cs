using System.ComponentModel;
using System.Globalization;
using SharpSeg.Annotation;
using Spectre.Console;
using Spectre.Console.Cli;

namespace SharpSeg.Cli.Commands;

/// <summary><c>sharpseg masks agreement</c>: how much annotators agree, per class and per image, with an HTML report.</summary>
public sealed class MasksAgreementCommand : Command<MasksAgreementCommand.Settings>
{
    public sealed class Settings : MasksCommandSettings
    {
        [CommandOption("-o|--out <DIR>")][Description("Output folder: agreement.json, disagreement.csv (most disputed images first), report.html")] public string? Out { get; init; }
        [CommandOption("--worst <N>")][Description("Most disputed images shown side by side in the report (default 8)")] public int Worst { get; init; } = 8;
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken cancellationToken)
    {
        if (s.Out == null) throw new SharpSegException("--out is required: the folder for agreement.json, disagreement.csv and report.html.");
        if (s.Worst < 0) throw new SharpSegException($"--worst {s.Worst}: must be 0 or more.");
        var masks = s.Find();
        var result = ProgressRunner.Run("comparing", p => AnnotatorAgreement.Run(masks, p, cancellationToken));
        var inv = CultureInfo.InvariantCulture;
        string A(double v) => double.IsFinite(v) ? v.ToString("0.000", inv) : "n/a";
        string P(double v) => double.IsFinite(v) ? (100 * v).ToString("0.0", inv) + " %" : "n/a";
        var table = new Table().Title($"{ConsoleOutput.Escape(masks.Spec.Name)}: {masks.Names.Count} annotators on {result.Images.Count} images")
            .AddColumn("class").AddColumn(new TableColumn("Fleiss' kappa").RightAligned()).AddColumn(new TableColumn("Krippendorff's alpha").RightAligned())
            .AddColumn(new TableColumn("mean pairwise IoU").RightAligned()).AddColumn(new TableColumn("mean pairwise Dice").RightAligned());
        foreach (var c in result.Classes) table.AddRow(ConsoleOutput.Escape(c.Name), A(c.FleissKappa), A(c.KrippendorffAlpha), P(c.MeanPairwiseIoU), P(c.MeanPairwiseDice));
        table.AddRow("[bold]all classes[/]", A(result.FleissKappa), A(result.KrippendorffAlpha), "", "");
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine(ConsoleOutput.Escape($"{P(result.DisputedShare)} of the pixels labelled by two or more annotators are disputed."));
        var (csv, json) = AnnotatorAgreement.Write(result, s.Out);
        string report = Reports.AgreementReport.Write(result, s.Out, s.Worst, cancellationToken);
        AnsiConsole.MarkupLine(ConsoleOutput.Escape($"Wrote {json}, {csv} and {report}"));
        return 0;
    }
}
