using SharpSeg.Curation.Embedding;
using SharpSeg.Curation.Scoring;
using SharpSeg.Curation.Simulation;
using SharpSeg.Inference;

namespace SharpSeg.Curation.Selection;

/// <summary>Everything <c>sharpseg curate</c> takes (<see cref="CurationRun.Run"/>).</summary>
public sealed record CurationRunOptions
{
    /// <summary>Embeddings (.npy from <c>sharpseg embed</c>); or give <see cref="Images"/>.</summary>
    public string? Embeddings { get; init; }

    /// <summary>Images to embed first, instead of <see cref="Embeddings"/>: a folder or a glob (<see cref="ImageCollection.Find"/>).
    /// They are embedded with <see cref="DefaultEncoder"/> and its <see cref="DefaultEncoderWeights"/> (what diversity
    /// selection was measured on) into <c>{stem}.embeddings.npy</c>, and, when near-duplicates are removed and no
    /// <see cref="DedupeEmbeddings"/> are given, as thumbnails (whose threshold is calibrated) into
    /// <c>{stem}.thumbnails.npy</c>; both files resume.</summary>
    public string? Images { get; init; }

    /// <summary>Also take images in subfolders of <see cref="Images"/>.</summary>
    public bool Recursive { get; init; }

    /// <summary>The encoder <see cref="Images"/> are embedded with: the ImageNet ResNet-18.</summary>
    public const string DefaultEncoder = "resnet18_imagenet";

    /// <summary>The weights of <see cref="DefaultEncoder"/>.</summary>
    public const string DefaultEncoderWeights = "imagenet";

    /// <summary>The selection CSV to write; the scores, report and contact sheet are named after it (<see cref="CurationRun.FilesFor"/>).</summary>
    public required string Out { get; init; }

    /// <summary>How many images to select (null: all, in order).</summary>
    public int? Budget { get; init; }

    /// <summary>The strategy mix (<see cref="StrategyMix.Parse"/>).</summary>
    public string Strategy { get; init; } = StrategyMix.DefaultText;

    /// <summary>Images already labelled (<see cref="LabelledImages.Resolve"/>): excluded and counted as covered.</summary>
    public string? Labelled { get; init; }

    /// <summary>A trained checkpoint that scores the embedded images into the run's scores CSV (resumable).</summary>
    public string? Checkpoint { get; init; }

    /// <summary>A scores CSV from <c>sharpseg score</c>, instead of <see cref="Checkpoint"/>.</summary>
    public string? Scores { get; init; }

    /// <summary>The uncertainty measure (<see cref="ParseMeasure"/>).</summary>
    public UncertaintyMeasure Measure { get; init; } = UncertaintyMeasure.Entropy;

    /// <summary>Aggregate uncertainty over the most uncertain pixels (true) or all (false) (<see cref="ParseAggregate"/>).</summary>
    public bool TopShare { get; init; } = true;

    /// <summary>Class balance target: null = uniform, or weights like <c>Pole=3,Bicyclist=3</c> (<see cref="ClassTargets.Parse"/>).</summary>
    public string? ClassTarget { get; init; }

    /// <summary>Cosine similarity of near-duplicates; null keeps them.</summary>
    public double? DedupeThreshold { get; init; } = CurationOptions.DefaultDedupeThreshold;

    /// <summary>Find near-duplicates with these embeddings instead.</summary>
    public string? DedupeEmbeddings { get; init; }

    /// <summary>Neighbours for typicality.</summary>
    public int TypicalityK { get; init; } = 20;

    /// <summary>Seed of random draws, tie-breaks and the contact sheet.</summary>
    public int Seed { get; init; }

    /// <summary>Draw the contact sheet.</summary>
    public bool ContactSheet { get; init; } = true;

    /// <summary>Device for <see cref="Checkpoint"/>: cpu, cuda, auto.</summary>
    public string Device { get; init; } = "cpu";

    /// <summary>Embed <see cref="Images"/> and score with <see cref="Checkpoint"/> under bfloat16 autocast (faster on CPUs
    /// with avx512_bf16 or amx_bf16).</summary>
    public bool Bf16 { get; init; }

    /// <summary>True when the run runs a network: the encoder that embeds <see cref="Images"/>, or the model of
    /// <see cref="Checkpoint"/>.</summary>
    public bool RunsNetwork => Images != null || Checkpoint != null;

    /// <summary>Parses <c>entropy</c>, <c>margin</c> or <c>least-confidence</c>.</summary>
    public static UncertaintyMeasure ParseMeasure(string text) => text.ToLowerInvariant().Replace('_', '-') switch
    {
        "entropy" => UncertaintyMeasure.Entropy,
        "margin" => UncertaintyMeasure.Margin,
        "least-confidence" or "leastconfidence" or "lc" => UncertaintyMeasure.LeastConfidence,
        _ => throw new SharpSegException($"--uncertainty '{text}': use entropy, margin or least-confidence."),
    };

    /// <summary>Parses <c>top</c> (true: mean of the most uncertain pixels) or <c>mean</c> (false).</summary>
    public static bool ParseAggregate(string text) => text.ToLowerInvariant() switch
    {
        "top" => true,
        "mean" => false,
        _ => throw new SharpSegException($"--aggregate '{text}': use top or mean."),
    };
}

/// <summary>The files of a curation run: all beside the selection CSV, named after it.</summary>
/// <param name="Selection">The selection CSV (absolute).</param>
/// <param name="Report">{stem}.report.json.</param>
/// <param name="ContactSheet">{stem}.contact.png, or null when not drawn.</param>
/// <param name="Scores">{stem}.scores.csv when a checkpoint scores the images, else null.</param>
/// <param name="Embeddings">{stem}.embeddings.npy when the run embeds images itself (<see cref="CurationRunOptions.Images"/>), else null.</param>
/// <param name="Thumbnails">{stem}.thumbnails.npy when the run embeds images itself and finds near-duplicates on thumbnails, else null.</param>
public sealed record CurationRunFiles(string Selection, string Report, string? ContactSheet, string? Scores, string? Embeddings = null, string? Thumbnails = null);

/// <summary>What scoring with a checkpoint did: images scored now, already in the scores file, and the ones that failed.</summary>
public sealed record CurationScoring(int Scored, int AlreadyDone, IReadOnlyList<string> Failures);

/// <summary>The labelled images found among the embeddings, and those listed but not embedded.</summary>
public sealed record LabelledLookup(int Found, IReadOnlyList<string> NotFound);

/// <summary>What <see cref="CurationRun.Run"/> did.</summary>
/// <param name="Embedded">The embedding runs when the run embedded <see cref="CurationRunOptions.Images"/> itself (the
/// encoder's, then the thumbnails' when made), else empty.</param>
public sealed record CurationRunResult(CurationResult Selection, EmbeddingSet Embeddings, CurationRunFiles Files, CurationScoring? Scoring, LabelledLookup? Labelled,
    IReadOnlyList<EmbedResult> Embedded);

/// <summary>
/// <c>sharpseg curate</c> as one call: reads the embeddings, scores them with a checkpoint (or reads a scores file),
/// resolves the labelled images, selects (<see cref="CurationSelector"/>) and writes the selection CSV, the report
/// and the contact sheet.
/// </summary>
public static class CurationRun
{
    /// <summary>What to do when a rerun finds <paramref name="npy"/> made another way (another embedder, precision or
    /// folder): curate has no --overwrite, it embeds again once the set is gone.</summary>
    static string Rebuild(string npy) => $"delete {Path.GetFileNameWithoutExtension(npy)}.* beside --out (curate embeds the images again), or use another --out";

    /// <summary>The files a run writing <paramref name="selectionCsv"/> uses: all in its folder, named after its stem.</summary>
    public static CurationRunFiles FilesFor(string selectionCsv, bool contactSheet, bool scores, bool embeddings = false, bool thumbnails = false)
    {
        string full = Path.GetFullPath(selectionCsv);
        string stem = Path.Combine(Path.GetDirectoryName(full)!, Path.GetFileNameWithoutExtension(full));
        return new CurationRunFiles(full, stem + ".report.json", contactSheet ? stem + ".contact.png" : null, scores ? stem + ".scores.csv" : null,
            embeddings ? stem + ".embeddings.npy" : null, thumbnails ? stem + ".thumbnails.npy" : null);
    }

    /// <param name="options">The run.</param>
    /// <param name="scoringProgress">Images embedded (with <see cref="CurationRunOptions.Images"/>), then images scored
    /// (with <see cref="CurationRunOptions.Checkpoint"/>).</param>
    /// <param name="cancellationToken">Checked while embedding, scoring and selecting.</param>
    public static CurationRunResult Run(CurationRunOptions options, IProgress<(int Done, int Total)>? scoringProgress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Checkpoint != null && options.Scores != null) throw new SharpSegException("give --checkpoint or --scores, not both.");
        if ((options.Embeddings == null) == (options.Images == null))
            throw new SharpSegException("give --images DIR (embedded with the ImageNet ResNet-18 first) or --embeddings X.npy (from 'sharpseg embed'), not both or neither.");
        if (options.Bf16 && !options.RunsNetwork)
            throw new SharpSegException("--bf16 runs a network: the encoder that embeds --images, or the model of --checkpoint; with --embeddings and no --checkpoint there is none to run, so leave it out.");
        var mix = StrategyMix.Parse(options.Strategy);
        ClassTargets.RefuseUnused(options.ClassTarget, hasScores: options.Checkpoint != null || options.Scores != null, mix);
        bool embedHere = options.Images != null;
        bool thumbnailsHere = embedHere && options.DedupeThreshold != null && options.DedupeEmbeddings == null;
        var files = FilesFor(options.Out, options.ContactSheet, scores: options.Checkpoint != null, embeddings: embedHere, thumbnails: thumbnailsHere);
        var embedded = new List<EmbedResult>();
        if (embedHere)
        {
            var images = ImageCollection.Find(options.Images!, options.Recursive);
            using (var encoder = EmbeddingEncoders.FromName(CurationRunOptions.DefaultEncoder, CurationRunOptions.DefaultEncoderWeights, device: options.Device, bf16: options.Bf16))
                embedded.Add(EmbeddingRunner.Run(encoder, new EmbedOptions(images, files.Embeddings!, Remedy: Rebuild(files.Embeddings!)), scoringProgress, cancellationToken));
            if (thumbnailsHere)
                using (var thumbnails = new ThumbnailEmbedder())
                    embedded.Add(EmbeddingRunner.Run(thumbnails, new EmbedOptions(images, files.Thumbnails!, Remedy: Rebuild(files.Thumbnails!)), scoringProgress, cancellationToken));
        }
        var embeddings = EmbeddingSet.Read(options.Embeddings ?? files.Embeddings!);

        ImageScoreFile? scores = null;
        CurationScoring? scoring = null;
        if (options.Checkpoint != null)
        {
            var images = new ImageCollection(Path.GetFullPath(embeddings.ImageRoot), embeddings.Paths);
            using var predictor = Predictor.FromCheckpoint(options.Checkpoint, options.Device, bf16: options.Bf16);
            var r = ImageScorer.Run(predictor, images, files.Scores!, overwrite: false, progress: scoringProgress, cancellationToken: cancellationToken);
            scoring = new CurationScoring(r.Scored, r.AlreadyDone, r.Failures);
            scores = ImageScoreFile.Read(files.Scores!);
        }
        else if (options.Scores != null) scores = ImageScoreFile.Read(options.Scores);

        var labelled = new List<int>();
        LabelledLookup? lookup = null;
        if (options.Labelled != null)
        {
            var (rows, notFound) = LabelledImages.Resolve(options.Labelled, embeddings);
            labelled.AddRange(rows);
            lookup = new LabelledLookup(rows.Count, notFound);
        }

        var selectionOptions = new CurationOptions
        {
            Budget = options.Budget,
            Strategy = mix,
            DedupeThreshold = options.DedupeThreshold,
            DedupeWith = (options.DedupeEmbeddings ?? files.Thumbnails) is { } dedupeWith ? EmbeddingSet.Read(dedupeWith) : null,
            Seed = options.Seed,
            Labelled = labelled,
            Scores = scores,
            Measure = options.Measure,
            TopShare = options.TopShare,
            TypicalityK = options.TypicalityK,
            ClassTarget = scores != null ? ClassTargets.Parse(options.ClassTarget, scores.ClassNames) : null,
        };
        var result = CurationSelector.Select(embeddings, selectionOptions, cancellationToken);
        SelectionCsv.Write(files.Selection, result);
        CurationReport.Write(files.Report, result, embeddings, selectionOptions);
        if (files.ContactSheet != null) ContactSheet.Write(files.ContactSheet, result, embeddings, seed: options.Seed);
        return new CurationRunResult(result, embeddings, files, scoring, lookup, embedded);
    }
}
