namespace SharpSeg.Data.Checks;

/// <summary>
/// What <see cref="DataChecker"/> found: every problem in file order per split, the number of pairs and images
/// checked, and how many images had an alpha channel (dropped when decoded; not a problem, said once).
/// </summary>
public sealed record DataCheckReport(
    string Dataset,
    IReadOnlyList<string> Splits,
    IReadOnlyList<DataProblem> Problems,
    int PairsChecked,
    int UnlabelledImagesChecked,
    int ImagesWithAlpha)
{
    public bool IsClean => Problems.Count == 0;

    /// <summary>Files in the splits' folders left out by the pairing's prefixes/suffixes or an ids file (<see cref="Dataset.SplitListing.Unmatched"/>).</summary>
    public int FilesNotMatched { get; init; }

    /// <summary>Problem counts by kind (only kinds that occurred).</summary>
    public IReadOnlyDictionary<DataProblemKind, int> CountsByKind =>
        Problems.GroupBy(p => p.Kind).ToDictionary(g => g.Key, g => g.Count());

    /// <summary>Number of distinct files with at least one problem.</summary>
    public int FilesWithProblems => Problems.Select(p => p.File).Distinct(StringComparer.Ordinal).Count();
}
