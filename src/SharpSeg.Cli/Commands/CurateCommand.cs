using System.ComponentModel;
using System.Globalization;
using SharpSeg.Inference;
using Spectre.Console;
using Spectre.Console.Cli;
using SharpSeg.Checkpoints;
using SharpSeg.Curation.Embedding;
using SharpSeg.Curation.Scoring;
using SharpSeg.Curation.Selection;
using SharpSeg.Curation.Simulation;

namespace SharpSeg.Cli.Commands;

public sealed class CurateCommand : Command<CurateCommand.Settings>
{
    public sealed class Settings : ImageReadingSettings
    {
        [CommandOption("-e|--embeddings <FILE>")][Description("Embeddings (.npy from 'sharpseg embed')")] public string? Embeddings { get; init; }
        [CommandOption("-n|--budget <N>")][Description("How many images to select")] public int? Budget { get; init; }
        [CommandOption("-s|--strategy <MIX>")][Description("random | dedupe | diversity | typicality | uncertainty | class-balance, or weighted: uncertainty:0.5,diversity:0.5 (default diversity)")] public string? Strategy { get; init; }
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
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken cancellationToken)
    {
        if (s.Embeddings == null) throw new SharpSegException("--embeddings is required (the .npy file from 'sharpseg embed').");
        if (s.Out == null) throw new SharpSegException("--out is required (the selection CSV to write, e.g. selection.csv).");
        if (s.Checkpoint != null && s.Scores != null) throw new SharpSegException("give --checkpoint or --scores, not both.");
        var mix = StrategyMix.Parse(s.Strategy ?? StrategyMix.DefaultText);
        ClassTargets.RefuseUnused(s.ClassTarget, hasScores: s.Checkpoint != null || s.Scores != null, mix);
        var embeddings = EmbeddingSet.Read(s.Embeddings);
        AnsiConsole.MarkupLine($"{embeddings.Count} embeddings of {embeddings.Dim} floats ({ConsoleOutput.Escape(embeddings.Header.Embedder)})");
        string stem = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(s.Out))!, Path.GetFileNameWithoutExtension(s.Out));

        ImageScoreFile? scores = null;
        if (s.Checkpoint != null)
        {
            string scoresPath = stem + ".scores.csv";
            var images = new ImageCollection(Path.GetFullPath(embeddings.ImageRoot), embeddings.Paths);
            using var predictor = Predictor.FromCheckpoint(s.Checkpoint, s.Device);
            var r = ProgressRunner.Run("scoring", p => ImageScorer.Run(predictor, images, scoresPath, overwrite: false, progress: p, cancellationToken: cancellationToken));
            foreach (var f in r.Failures) AnsiConsole.MarkupLine($"[red]not scored:[/] {ConsoleOutput.Escape(f)}");
            AnsiConsole.MarkupLine($"scores: {ConsoleOutput.Escape(scoresPath)} ({r.Scored} scored now, {r.AlreadyDone} already there)");
            scores = ImageScoreFile.Read(scoresPath);
        }
        else if (s.Scores != null) scores = ImageScoreFile.Read(s.Scores);

        var labelled = new List<int>();
        if (s.Labelled != null)
        {
            var (rows, notFound) = LabelledImages.Resolve(s.Labelled, embeddings);
            labelled.AddRange(rows);
            AnsiConsole.MarkupLine($"labelled: {rows.Count} images found in the embeddings" + (notFound.Count > 0 ? $"; [yellow]{notFound.Count} not embedded[/] (e.g. {ConsoleOutput.Escape(notFound[0])}): embed them too so they count toward coverage" : ""));
        }

        var options = new CurationOptions
        {
            Budget = s.Budget,
            Strategy = mix,
            DedupeThreshold = s.NoDedupe ? null : s.DedupeThreshold,
            DedupeWith = s.DedupeEmbeddings != null ? EmbeddingSet.Read(s.DedupeEmbeddings) : null,
            Seed = s.Seed,
            Labelled = labelled,
            Scores = scores,
            Measure = ParseMeasure(s.Uncertainty),
            TopShare = s.Aggregate.ToLowerInvariant() switch
            {
                "top" => true,
                "mean" => false,
                _ => throw new SharpSegException($"--aggregate '{s.Aggregate}': use top or mean."),
            },
            TypicalityK = s.TypicalityK,
            ClassTarget = scores != null ? ClassTargets.Parse(s.ClassTarget, scores.ClassNames) : null,
        };
        var result = CurationSelector.Select(embeddings, options, cancellationToken);
        SelectionCsv.Write(s.Out, result);
        string report = stem + ".report.json";
        CurationReport.Write(report, result, embeddings, options);
        string? sheet = null;
        if (!s.NoContactSheet)
        {
            sheet = stem + ".contact.png";
            ContactSheet.Write(sheet, result, embeddings, seed: s.Seed);
        }
        foreach (var line in CurationReport.Summary(result)) AnsiConsole.WriteLine(line);
        AnsiConsole.MarkupLine($"Selection: {ConsoleOutput.Escape(Path.GetFullPath(s.Out))}; report: {ConsoleOutput.Escape(report)}{(sheet != null ? $"; contact sheet: {ConsoleOutput.Escape(sheet)}" : "")}");
        AnsiConsole.MarkupLine($"took {string.Join(", ", result.Seconds.Select(p => $"{p.Key} {p.Value.ToString("F1", CultureInfo.InvariantCulture)} s"))}");
        return 0;
    }

    static UncertaintyMeasure ParseMeasure(string text) => text.ToLowerInvariant().Replace('_', '-') switch
    {
        "entropy" => UncertaintyMeasure.Entropy,
        "margin" => UncertaintyMeasure.Margin,
        "least-confidence" or "leastconfidence" or "lc" => UncertaintyMeasure.LeastConfidence,
        _ => throw new SharpSegException($"--uncertainty '{text}': use entropy, margin or least-confidence."),
    };
}
