namespace SharpSeg.Data.Dataset;

/// <summary>
/// Where one split's files are, as written in dataset.yaml (paths as written, relative to the dataset root):
/// an images folder with an optional masks folder (no masks: an unlabelled split), or a list file of
/// <c>image_path mask_path</c> lines.
/// </summary>
public sealed record SplitSource(string Name, string? Images, string? Masks, string? List)
{
    /// <summary>Whether the split has no masks (images only).</summary>
    public bool IsUnlabelled => List == null && Masks == null;
}
