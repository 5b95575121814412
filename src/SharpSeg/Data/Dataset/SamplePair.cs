namespace SharpSeg.Data.Dataset;

/// <summary>One image and its mask file (the mask path is null for unlabelled images). <see cref="Id"/> is the shared file stem.</summary>
public sealed record SamplePair(string Id, string ImagePath, string? MaskPath)
{
    /// <summary>For an image without a mask file in a dataset with <c>mask.missing</c>: the class the whole image is
    /// (e.g. a defect-free image in an inspection set); null otherwise.</summary>
    public int? FillClass { get; init; }

    /// <summary>The image's region-of-interest mask (<see cref="SplitSource.Roi"/>): pixels that are 0 in it are ignored;
    /// null when the split has none.</summary>
    public string? RoiPath { get; init; }

    /// <summary>Whether the image has labels: a mask file, or a <see cref="FillClass"/>.</summary>
    public bool IsLabelled => MaskPath != null || FillClass != null;
}
