namespace SharpSeg.Data.Checks;

/// <summary>Progress of a pass over a dataset split: <paramref name="Done"/> of <paramref name="Total"/> pairs finished.</summary>
public sealed record DataProgress(string Split, int Done, int Total);
