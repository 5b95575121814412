namespace SharpSeg.Data.Dataset;

/// <summary>The pairs found for one split, and the problems met while pairing (images without masks, masks without images, ...).</summary>
public sealed record SplitListing(string Split, IReadOnlyList<SamplePair> Pairs, IReadOnlyList<PairingProblem> Problems)
{
    public bool IsClean => Problems.Count == 0;

    /// <summary>Files in the split's folders left out because they do not match the pairing's image or mask prefix and
    /// suffix: not problems, but worth a line in <c>data check</c>.</summary>
    public int Unmatched { get; init; }

    /// <summary>Images in the split's folder that its ids file does not list. Splits often share one folder (VOC's
    /// JPEGImages), so an image left out here may be another split's: only those no split uses are left out.</summary>
    public IReadOnlyList<string> LeftOutByIds { get; init; } = [];
}
