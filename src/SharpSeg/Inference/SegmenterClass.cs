using SharpSeg.Imaging;

namespace SharpSeg.Inference;

/// <summary>One class of a <see cref="Segmenter"/>'s model: its index in the class map, its name and its display colour.</summary>
public sealed record SegmenterClass(int Index, string Name, Rgb Colour);
