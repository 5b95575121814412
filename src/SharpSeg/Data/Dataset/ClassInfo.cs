using SharpSeg.Imaging;

namespace SharpSeg.Data.Dataset;

/// <summary>
/// One class of a dataset. Its in-memory class index is its position in the <see cref="ClassTable"/>.
/// <paramref name="Color"/> is the display colour, and for colour-coded (rgb) masks also the colour in the mask file.
/// <paramref name="Value"/> is the pixel value in an index-encoded mask file (null for rgb encoding).
/// </summary>
public sealed record ClassInfo(string Name, Rgb Color, int? Value);
