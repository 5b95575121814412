namespace SharpSeg.Data.Dataset;

/// <summary>One image and its mask file (the mask path is null for unlabelled images). <see cref="Id"/> is the shared file stem.</summary>
public sealed record SamplePair(string Id, string ImagePath, string? MaskPath);
