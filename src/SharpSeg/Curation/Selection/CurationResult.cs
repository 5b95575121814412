namespace SharpSeg.Curation.Selection;

/// <summary>Everything <see cref="CurationSelector.Select"/> decided, for the CSV, the report and the contact sheet.</summary>
/// <param name="Selected">The images to label, in pick order.</param>
/// <param name="Strategy">The mix used.</param>
/// <param name="Pool">Images in the embeddings.</param>
/// <param name="Labelled">Rows already labelled.</param>
/// <param name="Candidates">Images that could be selected (not labelled, not removed as near-duplicates).</param>
/// <param name="Dedupe">Near-duplicate groups (null when dedupe was off).</param>
/// <param name="CoverageBefore">Coverage by the labelled images alone (null when none).</param>
/// <param name="CoverageAfter">Coverage by labelled + selected images.</param>
/// <param name="ClassNames">Classes of the scores (empty without scores).</param>
/// <param name="ClassSharesPool">Mean predicted class shares over the unlabelled pool (null without scores).</param>
/// <param name="ClassSharesLabelled">Over the labelled images (null without scores or labelled images).</param>
/// <param name="ClassSharesSelected">Over the selected images (null without scores).</param>
/// <param name="Seconds">Wall time per stage (dedupe, ranking: typicality and the ranks of model scores, selection, coverage).</param>
public sealed record CurationResult(
    IReadOnlyList<SelectedImage> Selected,
    StrategyMix Strategy,
    int Pool,
    IReadOnlyList<int> Labelled,
    int Candidates,
    DedupeResult? Dedupe,
    CoverageStats? CoverageBefore,
    CoverageStats? CoverageAfter,
    IReadOnlyList<string> ClassNames,
    IReadOnlyList<double>? ClassSharesPool,
    IReadOnlyList<double>? ClassSharesLabelled,
    IReadOnlyList<double>? ClassSharesSelected,
    IReadOnlyDictionary<string, double> Seconds);
