namespace SharpSeg.Curation.Selection;

/// <summary>The outcome of <see cref="NearDuplicateFinder"/>.</summary>
/// <param name="Threshold">Cosine similarity at or above which two images are near-duplicates.</param>
/// <param name="Groups">Groups with at least one removed member, largest first.</param>
/// <param name="RepresentativeOf">For each image: the row of the image that represents it (itself when kept).</param>
public sealed record DedupeResult(double Threshold, IReadOnlyList<DuplicateGroup> Groups, IReadOnlyList<int> RepresentativeOf)
{
    /// <summary>Whether image <paramref name="i"/> was removed as a near-duplicate.</summary>
    public bool IsRemoved(int i) => RepresentativeOf[i] != i;

    /// <summary>Images removed.</summary>
    public int Removed => Groups.Sum(g => g.Members.Count);

    /// <summary>How many groups have each size (2, 3, …), for reports.</summary>
    public IReadOnlyDictionary<int, int> SizeHistogram =>
        Groups.GroupBy(g => g.Size).OrderBy(g => g.Key).ToDictionary(g => g.Key, g => g.Count());
}
