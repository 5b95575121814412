namespace SharpSeg.Data.Masks;

/// <summary>How a dataset's mask files encode classes.</summary>
public enum MaskEncodingKind
{
    /// <summary>One value per pixel (8/16-bit gray, or a palette index); each class has a value.</summary>
    Index,
    /// <summary>A colour per pixel; each class has a colour.</summary>
    Rgb,
    /// <summary>
    /// A gray value per pixel split at a threshold into two classes (the first below it, the second at or above it),
    /// with an optional band of values around it ignored: binary masks whose edges were anti-aliased or resized.
    /// </summary>
    Threshold,
}
