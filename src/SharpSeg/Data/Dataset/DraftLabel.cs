using SharpSeg.Imaging;

namespace SharpSeg.Data.Dataset;

/// <summary>
/// A value (index masks) or colour (colour masks) found in the inspected masks, with its pixel count, its share
/// of inspected pixels (0..1), and the number of masks it appears in. <paramref name="Color"/> is the palette or mask
/// colour (null for gray masks).
/// </summary>
public sealed record DraftLabel(int? Value, Rgb? Color, long Pixels, double Share, int Masks);
