using SharpSeg.Imaging;

namespace SharpSeg.Data.Masks;

/// <summary>
/// A mask file value (index encoding) or colour (rgb encoding) that is neither a class nor ignore, with the number
/// of pixels that carry it in one file.
/// </summary>
public sealed record UndefinedLabel(int? Value, Rgb? Color, long Pixels)
{
    /// <summary>"value 7 (1234 pixels)" or "colour (1, 2, 3) (1234 pixels)".</summary>
    public string Describe() => (Value is { } v ? $"value {v}" : $"colour {Color}") + $" ({Pixels} pixel{(Pixels == 1 ? "" : "s")})";
}
