namespace SharpSeg.Models;

/// <summary>How <see cref="SegmentationModel"/> pads an input up to a multiple of the encoder's output stride.</summary>
public enum InputPadding
{
    /// <summary>Mirror the image at its bottom/right edges (falls back to <see cref="Replicate"/> when the padding
    /// is not smaller than the image, which reflection cannot do).</summary>
    Reflect,

    /// <summary>Repeat the last row/column.</summary>
    Replicate,

    /// <summary>Pad with zeros (i.e. the normalised mean colour).</summary>
    Zeros,
}
