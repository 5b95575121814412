using SharpSeg.Imaging;

namespace SharpSeg.Data.Masks;

/// <summary>
/// A decoded mask and the file values/colours in it that the class table does not define (most pixels first).
/// Pixels with an undefined value are set to <see cref="LabelMask.Ignore"/> in <see cref="Mask"/>; callers that train
/// on it must refuse a reading with <see cref="Undefined"/> entries (<see cref="MaskDecoder.Decode"/> does).
/// </summary>
public sealed record MaskReading(LabelMask Mask, IReadOnlyList<UndefinedLabel> Undefined)
{
    public bool IsClean => Undefined.Count == 0;

    /// <summary>With <c>mask.unmatched: ignore</c>: the colours that matched no class, set to ignore (not a problem), most
    /// pixels first; empty otherwise.</summary>
    public IReadOnlyList<UndefinedLabel> Unmatched { get; init; } = [];

    /// <summary>The file has an alpha channel that is not opaque everywhere, which is not read (a transparent pixel counts by
    /// its colour).</summary>
    public bool HasAlpha { get; init; }
}
