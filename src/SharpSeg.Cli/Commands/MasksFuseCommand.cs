using System.ComponentModel;
using System.Globalization;
using SharpSeg.Annotation;
using Spectre.Console;
using Spectre.Console.Cli;

namespace SharpSeg.Cli.Commands;

/// <summary><c>sharpseg masks fuse</c>: one mask per image from several annotators' (majority vote or STAPLE).</summary>
public sealed class MasksFuseCommand : Command<MasksFuseCommand.Settings>
{
    public sealed class Settings : MasksCommandSettings
    {
        [CommandOption("-m|--method <METHOD>")][Description("majority | staple (default staple: estimates each annotator's confusion matrix and weighs them by it)")] public string Method { get; init; } = "staple";
        [CommandOption("--tie <CLASS>")][Description("majority: what ties and unlabelled pixels become, 'ignore' (default) or a class name")] public string? Tie { get; init; }
        [CommandOption("--min-confidence <P>")][Description("Fused pixels less certain than this become ignore, e.g. 0.7 (default 0: keep all)")] public double MinConfidence { get; init; }
        [CommandOption("--weights <LIST>")][Description("One value per annotator, e.g. 1,1,0.5: majority vote weights; STAPLE relative initial trust")] public string? Weights { get; init; }
        [CommandOption("-o|--out <DIR>")][Description("Output folder: masks/, confidence/, dataset.yaml (train on it), fusion.json")] public string? Out { get; init; }
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken cancellationToken)
    {
        if (s.Out == null) throw new SharpSegException("--out is required: the folder for the fused masks, e.g. --out fused/.");
        var method = FusionOptions.ParseMethod(s.Method);
        var masks = s.Find();
        double[]? weights = s.Weights?.Split(',', StringSplitOptions.TrimEntries).Select(v => double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out double w) ? w
            : throw new SharpSegException($"--weights '{s.Weights}': give numbers separated by commas, one per annotator, e.g. 1,1,0.5.")).ToArray();
        var names = masks.Names;
        AnsiConsole.MarkupLine(ConsoleOutput.Escape($"Fusing {names.Count} annotators ({string.Join(", ", names)}) on {masks.Images.Count} images with {s.Method.Trim().ToLowerInvariant()}"));
        for (int j = 0; j < names.Count; j++)
        {
            int missing = masks.Images.Count(i => i.MaskPaths[j] == null);
            if (missing > 0) AnsiConsole.MarkupLine(ConsoleOutput.Escape($"  {names[j]}: no mask for {missing} of the images (abstains there)"));
            if (masks.UnmatchedMasks[j] > 0) AnsiConsole.MarkupLine(ConsoleOutput.Escape($"  {names[j]}: {masks.UnmatchedMasks[j]} masks match no image of the dataset (not used)"));
        }
        var options = new FusionOptions { Masks = masks, Method = method, Tie = s.Tie, MinConfidence = s.MinConfidence, Weights = weights, Out = s.Out };
        var r = ProgressRunner.Run("fusing", p => MaskFusion.Run(options, p, cancellationToken));
        var inv = CultureInfo.InvariantCulture;
        if (r.Staple is { } staple)
        {
            var table = new Table().Title($"STAPLE: estimated sensitivity per class ({staple.Iterations} EM iterations{(staple.Converged ? "" : ", not converged")})").AddColumn("annotator");
            foreach (var c in masks.Spec.Classes.Names) table.AddColumn(new TableColumn(ConsoleOutput.Escape(c)).RightAligned());
            for (int j = 0; j < names.Count; j++)
                table.AddRow([ConsoleOutput.Escape(names[j]), .. Enumerable.Range(0, masks.Classes).Select(k => (100 * staple.Sensitivity(j, k)).ToString("0.0", inv) + " %")]);
            AnsiConsole.Write(table);
        }
        AnsiConsole.MarkupLine(ConsoleOutput.Escape($"{r.Images} fused masks in {r.MasksFolder} (confidence maps in {r.ConfidenceFolder}); "
            + $"{(100.0 * r.IgnoredPixels / Math.Max(1, r.Pixels)).ToString("0.00", inv)} % of pixels ignore{(r.BelowConfidence > 0 ? $" ({r.BelowConfidence:N0} below --min-confidence)" : "")}."));
        AnsiConsole.MarkupLine(ConsoleOutput.Escape($"Annotator estimates: {r.ReportJson}"));
        if (r.DatasetYaml != null) AnsiConsole.MarkupLine(ConsoleOutput.Escape($"Train on the fused masks: sharpseg train RECIPE --set data.dataset={r.DatasetYaml}"));
        else AnsiConsole.MarkupLine(ConsoleOutput.Escape(r.DatasetYamlSkipped!));
        return 0;
    }
}
