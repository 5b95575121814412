using SharpSeg.Imaging;

namespace SharpSeg.Data.Masks;

/// <summary>
/// The <c>mask:</c> section of a dataset.yaml: the encoding, the file values (index) or colours (rgb) that mean
/// "ignore" (mapped to <see cref="LabelMask.Ignore"/>), for rgb the largest per-channel difference (0..255)
/// at which a pixel still matches a class colour (for JPEG-damaged masks), and for threshold the split value and
/// the band of values around it that is ignored.
/// </summary>
public sealed record MaskEncoding(MaskEncodingKind Kind, IReadOnlyList<int> IgnoreValues, IReadOnlyList<Rgb> IgnoreColors, int ColorTolerance)
{
    /// <summary>The default: index encoding, value 255 means ignore, no ignore colours, exact colour match.</summary>
    public static MaskEncoding Default { get; } = new(MaskEncodingKind.Index, [255], [], 0);

    /// <summary>Threshold encoding: file values at or above this are the second class, below it the first (default 128).</summary>
    public int Threshold { get; init; } = 128;

    /// <summary>Threshold encoding: file values from Low to High (both included) are ignored, e.g. 64..192 for the
    /// anti-aliased edges of 0/255 masks; null ignores nothing.</summary>
    public (int Low, int High)? IgnoreBand { get; init; }

    /// <summary>
    /// Rgb encoding: a pixel that matches no class or ignore colour within <see cref="ColorTolerance"/> is ignored (in
    /// loss and metrics) instead of being an error (<c>unmatched: ignore</c>; <c>data check</c> counts such pixels and
    /// names the most frequent colours). For masks saved as JPEG, where an edge pixel between two class colours can lie
    /// far from both; false (<c>unmatched: error</c>, the default) refuses every mask that has one.
    /// </summary>
    public bool IgnoreUnmatched { get; init; }

    /// <summary>The name of <see cref="Kind"/> as a dataset.yaml writes it (<c>index</c>, <c>rgb</c>, <c>threshold</c>).</summary>
    public string KindName => Kind.ToString().ToLowerInvariant();
}
