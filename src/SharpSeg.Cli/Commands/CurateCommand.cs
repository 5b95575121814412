using System.ComponentModel;
using System.Globalization;
using Spectre.Console;
using Spectre.Console.Cli;
using SharpSeg.Curation.Selection;

namespace SharpSeg.Cli.Commands;

public sealed class CurateCommand : Command<CurateCommand.Settings>
{
    public sealed class Settings : ImageReadingSettings
    {
        [CommandOption("-e|--embeddings <FILE>")][Description("Embeddings (.npy from 'sharpseg embed')")] public string? Embeddings { get; init; }
        [CommandOption("-i|--images <PATH>")][Description("Or a folder of images (or a glob): embedded first with the ImageNet ResNet-18 into OUT.embeddings.npy (and as thumbnails for near-duplicates into OUT.thumbnails.npy); both resume")] public string? Images { get; init; }
        [CommandOption("-r|--recursive")][Description("With --images: also take images in subfolders")] public bool Recursive { get; init; }
        [CommandOption("-n|--budget <N>")][Description("How many images to select")] public int? Budget { get; init; }
        [CommandOption("-s|--strategy <MIX>")][Description("random | dedupe | diversity | typicality | uncertainty | class-balance, or weighted: uncertainty:0.5,diversity:0.5; or alone (dedupe allowed): typiclust | cluster-uncertainty (default diversity)")] public string? Strategy { get; init; }
        [CommandOption("-o|--out <FILE>")][Description("Selection CSV (rank, path, scores, reasons); the report and contact sheet go beside it")] public string? Out { get; init; }
        [CommandOption("--labelled <LIST>")][Description("Images already labelled (one path per line, a dataset list file, or an earlier selection CSV): excluded, and counted as covered")] public string? Labelled { get; init; }
        [CommandOption("-c|--checkpoint <FILE>")][Description("Trained checkpoint: scores the embedded images (uncertainty, predicted classes) into OUT.scores.csv")] public string? Checkpoint { get; init; }
        [CommandOption("--scores <FILE>")][Description("Scores CSV from 'sharpseg score' (instead of --checkpoint)")] public string? Scores { get; init; }
        [CommandOption("--uncertainty <MEASURE>")][Description("entropy (default) | margin | least-confidence")] public string Uncertainty { get; init; } = "entropy";
        [CommandOption("--aggregate <HOW>")][Description("top (mean of the most uncertain pixels, default) | mean")] public string Aggregate { get; init; } = "top";
        [CommandOption("--class-target <T>")][Description("Class balance target: uniform (default) or weights like Pole=3,Bicyclist=3")] public string? ClassTarget { get; init; }
        [CommandOption("--dedupe-threshold <COS>")][Description("Cosine similarity at which images are near-duplicates (default 0.95)")] public double DedupeThreshold { get; init; } = CurationOptions.DefaultDedupeThreshold;
        [CommandOption("--dedupe-embeddings <FILE>")][Description("Find near-duplicates with these embeddings instead (e.g. thumbnails, whose threshold is calibrated)")] public string? DedupeEmbeddings { get; init; }
        [CommandOption("--no-dedupe")][Description("Keep near-duplicates")] public bool NoDedupe { get; init; }
        [CommandOption("--typicality-k <K>")][Description("Neighbours for typicality (default 20)")] public int TypicalityK { get; init; } = 20;
        [CommandOption("--seed <N>")][Description("Seed for random draws and tie-breaks (default 0)")] public int Seed { get; init; }
        [CommandOption("--no-contact-sheet")][Description("Do not draw OUT.contact.png")] public bool NoContactSheet { get; init; }
        [CommandOption("--device <DEVICE>")][Description("cpu | cuda | auto (for --checkpoint)")] public string Device { get; init; } = "cpu";
        [CommandOption("--bf16")][Description("Embed --images and score with --checkpoint under bfloat16 autocast: faster on CPUs with avx512_bf16 or amx_bf16 (sharpseg info says)")] public bool Bf16 { get; init; }
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken cancellationToken)
    {
        if (s.Out == null) throw new SharpSegException("--out is required (the selection CSV to write, e.g. selection.csv).");
        IO.OutputFile.Check(s.Out);
        var options = new CurationRunOptions
        {
            Embeddings = s.Embeddings, Images = s.Images, Recursive = s.Recursive, Out = s.Out, Budget = s.Budget, Strategy = s.Strategy ?? StrategyMix.DefaultText,
            Labelled = s.Labelled, Checkpoint = s.Checkpoint, Scores = s.Scores,
            Measure = CurationRunOptions.ParseMeasure(s.Uncertainty), TopShare = CurationRunOptions.ParseAggregate(s.Aggregate),
            ClassTarget = s.ClassTarget, DedupeThreshold = s.NoDedupe ? null : s.DedupeThreshold, DedupeEmbeddings = s.DedupeEmbeddings,
            TypicalityK = s.TypicalityK, Seed = s.Seed, ContactSheet = !s.NoContactSheet, Device = s.Device, Bf16 = s.Bf16,
        };
        ModelArgument.WarnIfBf16Slow(s.Bf16 && options.RunsNetwork, s.Device);
        var run = ProgressRunner.Run(s.Images != null ? "embedding" : "scoring", p => CurationRun.Run(options, p, cancellationToken));

        var failed = run.Embedded.SelectMany(e => e.Failures).Distinct().ToList();
        foreach (var e in run.Embedded)
            AnsiConsole.MarkupLine($"embedded {e.Embedded} images ({e.AlreadyDone} already there): {ConsoleOutput.Escape(e.Files.Data)} ({e.Dim} floats per image)");
        foreach (var f in failed) AnsiConsole.MarkupLine($"[red]skipped:[/] {ConsoleOutput.Escape(f)}");
        var embeddings = run.Embeddings;
        AnsiConsole.MarkupLine($"{embeddings.Count} embeddings of {embeddings.Dim} floats ({ConsoleOutput.Escape(embeddings.Header.Embedder)})");
        if (run.Scoring is { } r)
        {
            foreach (var f in r.Failures) AnsiConsole.MarkupLine($"[red]not scored:[/] {ConsoleOutput.Escape(f)}");
            AnsiConsole.MarkupLine($"scores: {ConsoleOutput.Escape(run.Files.Scores!)} ({r.Scored} scored now, {r.AlreadyDone} already there)");
        }
        if (run.Labelled is { } l)
            AnsiConsole.MarkupLine($"labelled: {l.Found} images found in the embeddings" + (l.NotFound.Count > 0 ? $"; [yellow]{l.NotFound.Count} not embedded[/] (e.g. {ConsoleOutput.Escape(l.NotFound[0])}): embed them too so they count toward coverage" : ""));
        foreach (var line in CurationReport.Summary(run.Selection)) AnsiConsole.WriteLine(line);
        var files = run.Files;
        AnsiConsole.MarkupLine($"Selection: {ConsoleOutput.Escape(files.Selection)}; report: {ConsoleOutput.Escape(files.Report)}{(files.ContactSheet != null ? $"; contact sheet: {ConsoleOutput.Escape(files.ContactSheet)}" : "")}");
        AnsiConsole.MarkupLine($"took {string.Join(", ", run.Selection.Seconds.Select(p => $"{p.Key} {p.Value.ToString("F1", CultureInfo.InvariantCulture)} s"))}");
        if (failed.Count > 0)
        {
            Console.Error.WriteLine($"error: {failed.Count} images could not be read (listed above) and were not candidates; fix or remove them and rerun (the embeddings resume).");
            return ErrorReporter.UserError;
        }
        return 0;
    }
}
