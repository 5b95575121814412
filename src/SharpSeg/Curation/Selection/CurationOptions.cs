using SharpSeg.Curation.Embedding;
using SharpSeg.Curation.Scoring;
namespace SharpSeg.Curation.Selection;

/// <summary>How <see cref="CurationSelector.Select"/> chooses images to label.</summary>
public sealed record CurationOptions
{
    /// <summary>Images to select; null only for <c>dedupe</c> alone (then every group representative is listed).</summary>
    public int? Budget { get; init; }

    /// <summary>The weighted strategies.</summary>
    public StrategyMix Strategy { get; init; } = StrategyMix.Of(SelectionStrategy.Diversity);

    /// <summary>Near-duplicates (cosine similarity ≥ this) are removed before selecting; null: no dedupe.</summary>
    public double? DedupeThreshold { get; init; } = DefaultDedupeThreshold;

    /// <summary>Embeddings to find near-duplicates with, when not the ones selected on (e.g. thumbnails, whose threshold
    /// is calibrated, while diversity uses a model's features); rows are matched by image path, unmatched images are not deduped.</summary>
    public EmbeddingSet? DedupeWith { get; init; }

    /// <summary>The default near-duplicate threshold (calibrated on the thumbnail embedding; see docs/CURATION.md).</summary>
    public const double DefaultDedupeThreshold = 0.95;

    /// <summary>Seed for random draws and tie-breaks; the same inputs and seed give the same selection.</summary>
    public int Seed { get; init; }

    /// <summary>Rows of images that are already labelled: never selected, but they count as covered (diversity, class balance, coverage).</summary>
    public IReadOnlyList<int> Labelled { get; init; } = [];

    /// <summary>Model scores (from <c>sharpseg score</c>) for uncertainty and class balance; matched to rows by path.</summary>
    public ImageScoreFile? Scores { get; init; }

    /// <summary>Which per-pixel uncertainty to use.</summary>
    public UncertaintyMeasure Measure { get; init; } = UncertaintyMeasure.Entropy;

    /// <summary>Aggregate per-pixel uncertainty as the mean over the most uncertain pixels (true) or over all pixels.</summary>
    public bool TopShare { get; init; } = true;

    /// <summary>Neighbours for typicality.</summary>
    public int TypicalityK { get; init; } = 20;

    /// <summary>Target share of each class for class balance (one per class of the scores, summing to 1); null: uniform.</summary>
    public IReadOnlyList<double>? ClassTarget { get; init; }
}
