namespace SharpSeg.Data.Checks;

/// <summary>
/// Statistics of one labelled split: per-class pixels, shares and suggested loss weights, ignore pixels
/// (<see cref="IgnoreShare"/> 0..1 of all pixels), and the histogram of image sizes (largest count first).
/// </summary>
public sealed record SplitStats(
    string Split,
    int Images,
    long TotalPixels,
    long IgnorePixels,
    double IgnoreShare,
    IReadOnlyList<ClassStats> Classes,
    IReadOnlyList<ImageSizeCount> ImageSizes);
