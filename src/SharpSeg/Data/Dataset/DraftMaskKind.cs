namespace SharpSeg.Data.Dataset;

/// <summary>What <see cref="DatasetDraft"/> found the mask files to be.</summary>
public enum DraftMaskKind
{
    /// <summary>Palette PNGs (VOC style): the palette index is the class value.</summary>
    PaletteIndex,
    /// <summary>Grayscale (or RGB with R = G = B everywhere): the gray value is the class value.</summary>
    GrayIndex,
    /// <summary>Colour masks: each class is a colour.</summary>
    RgbColors,
    /// <summary>Soft-edged binary gray masks (anti-aliased or resized 0/255): many values, most at two peaks; drafted
    /// as <c>encoding: threshold</c> with an ignore band around the threshold.</summary>
    GrayThreshold,
}
