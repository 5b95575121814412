using SharpSeg.Imaging;

namespace SharpSeg.Data.Dataset;

/// <summary>
/// One class of a dataset. Its in-memory class index is its position in the <see cref="ClassTable"/>.
/// <paramref name="Color"/> is the display colour, and for colour-coded (rgb) masks also the colour in the mask file.
/// <paramref name="Value"/> is the pixel value in an index-encoded mask file (null for rgb encoding): the one masks
/// SharpSeg writes use, and with <see cref="MoreValues"/> the ones it reads as this class.
/// </summary>
public sealed record ClassInfo(string Name, Rgb Color, int? Value)
{
    /// <summary>Further mask values read as this class (<c>value: [7, 8]</c> in dataset.yaml: several source labels
    /// merged into one class); empty for most classes.</summary>
    public IReadOnlyList<int> MoreValues { get; init; } = [];

    /// <summary>Equal when name, colour, value and the further values are (a record compares lists by reference).</summary>
    public bool Equals(ClassInfo? other) =>
        other is not null && Name == other.Name && Color.Equals(other.Color) && Value == other.Value && MoreValues.SequenceEqual(other.MoreValues);

    public override int GetHashCode() => HashCode.Combine(Name, Color, Value, MoreValues.Count);
}
