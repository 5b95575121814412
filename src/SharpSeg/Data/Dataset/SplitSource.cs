namespace SharpSeg.Data.Dataset;

/// <summary>
/// Where one split's files are, as written in dataset.yaml (paths as written, relative to the dataset root):
/// an images folder with an optional masks folder (no masks: an unlabelled split), or a list file of
/// <c>image_path mask_path</c> lines. With folders, <see cref="Recursive"/> also reads their subfolders (pairing an
/// image with the mask in the same relative subfolder, as Cityscapes' <c>leftImg8bit/train/aachen/</c> and
/// <c>gtFine/train/aachen/</c>), and <see cref="Ids"/> names a file of keys that selects which of the folders' images
/// form the split (Pascal VOC's <c>ImageSets/Segmentation/train.txt</c>).
/// </summary>
public sealed record SplitSource(string Name, string? Images, string? Masks, string? List)
{
    /// <summary>Whether the split has no masks (images only).</summary>
    public bool IsUnlabelled => List == null && Masks == null;

    /// <summary>Read the images and masks folders' subfolders too.</summary>
    public bool Recursive { get; init; }

    /// <summary>A file of keys (one per line, the first word; '#' comments) selecting the split's images, relative to the
    /// root (or beside the yaml); null: every image in the folder.</summary>
    public string? Ids { get; init; }

    /// <summary>A folder of region-of-interest masks (a retina's field of view, an inspected part's outline), relative to
    /// the root: pixels outside an image's ROI (0 in it) are ignored in loss and metrics; null: the whole image counts.</summary>
    public string? Roi { get; init; }
}
