namespace SharpSeg.Data.Dataset;

/// <summary>What went wrong when pairing images with masks.</summary>
public enum PairingProblemKind
{
    /// <summary>An image has no mask file.</summary>
    MissingMask,
    /// <summary>A mask file has no image.</summary>
    MissingImage,
    /// <summary>Two files share a stem (e.g. foo.png and foo.jpg), so pairing by stem is ambiguous.</summary>
    DuplicateStem,
    /// <summary>A list-file line is malformed.</summary>
    BadListLine,
    /// <summary>An image has no region-of-interest file (<see cref="SplitSource.Roi"/>).</summary>
    MissingRoi,
}
