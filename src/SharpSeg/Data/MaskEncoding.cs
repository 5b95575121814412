using SharpSeg.Imaging;

namespace SharpSeg.Data;

/// <summary>
/// The <c>mask:</c> section of a dataset.yaml: the encoding, the file values (index) or colours (rgb) that mean
/// "ignore" (mapped to <see cref="LabelMask.Ignore"/>), and for rgb the largest per-channel difference (0..255)
/// at which a pixel still matches a class colour (for JPEG-damaged masks).
/// </summary>
public sealed record MaskEncoding(MaskEncodingKind Kind, IReadOnlyList<int> IgnoreValues, IReadOnlyList<Rgb> IgnoreColors, int ColorTolerance)
{
    /// <summary>The default: index encoding, value 255 means ignore, no ignore colours, exact colour match.</summary>
    public static MaskEncoding Default { get; } = new(MaskEncodingKind.Index, [255], [], 0);
}
