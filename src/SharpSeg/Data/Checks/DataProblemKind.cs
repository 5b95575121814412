namespace SharpSeg.Data.Checks;

/// <summary>The kinds of problem <see cref="DataChecker"/> reports.</summary>
public enum DataProblemKind
{
    /// <summary>A split cannot be listed at all (missing or empty folder, missing list file).</summary>
    SplitUnreadable,
    /// <summary>An image has no mask.</summary>
    MissingMask,
    /// <summary>A mask has no image (or a list file names a missing image).</summary>
    MissingImage,
    /// <summary>Two files share a stem.</summary>
    AmbiguousPairing,
    /// <summary>A list-file line is malformed (not 'image_path mask_path').</summary>
    BadListLine,
    /// <summary>An image file cannot be decoded (corrupt, truncated, unknown format).</summary>
    UnreadableImage,
    /// <summary>A mask file cannot be decoded, or its encoding does not match the dataset's (e.g. colours in an index dataset).</summary>
    UnreadableMask,
    /// <summary>A mask's size differs from its image's.</summary>
    SizeMismatch,
    /// <summary>A mask holds values or colours the class table does not define.</summary>
    UndefinedLabel,
    /// <summary>An image has no region-of-interest file, or one SharpSeg cannot read or of another size.</summary>
    RoiProblem,
}
