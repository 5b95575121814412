namespace SharpSeg.Data.Dataset;

/// <summary>The pairs found for one split, and the problems met while pairing (images without masks, masks without images, ...).</summary>
public sealed record SplitListing(string Split, IReadOnlyList<SamplePair> Pairs, IReadOnlyList<PairingProblem> Problems)
{
    public bool IsClean => Problems.Count == 0;
}
