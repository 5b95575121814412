namespace SharpSeg.Data.Dataset;

/// <summary>
/// The <c>pairing:</c> section of a dataset.yaml. An image whose stem is <c>{ImagePrefix}key{ImageSuffix}</c> pairs with
/// the mask whose stem is <c>{MaskPrefix}key{MaskSuffix}</c>, with any image extension: CamVid's original
/// <c>foo.png</c> ↔ <c>foo_L.png</c> (mask suffix <c>_L</c>), Cityscapes' <c>aachen_000000_000019_leftImg8bit.png</c> ↔
/// <c>aachen_000000_000019_gtFine_labelIds.png</c> (image suffix <c>_leftImg8bit</c>, mask suffix
/// <c>_gtFine_labelIds</c>). With a prefix or suffix set, files that do not match it are not part of the split (e.g.
/// Cityscapes' <c>_gtFine_color.png</c> beside the label masks); <see cref="SplitListing.Unmatched"/> counts them.
/// </summary>
public sealed record PairingRule(string MaskPrefix, string MaskSuffix, string ImagePrefix = "", string ImageSuffix = "")
{
    /// <summary>The ROI file of an image (<see cref="SplitSource.Roi"/>) is <c>{RoiPrefix}{image stem}{RoiSuffix}</c>:
    /// DRIVE's <c>21_training_mask.gif</c> for <c>21_training.tif</c> has suffix <c>_mask</c>.</summary>
    public string RoiPrefix { get; init; } = "";

    /// <summary>See <see cref="RoiPrefix"/>.</summary>
    public string RoiSuffix { get; init; } = "";

    /// <summary>Same stem for image and mask.</summary>
    public static PairingRule SameStem { get; } = new("", "");

    /// <summary>The mask stem for an image's key (its stem without the image prefix and suffix).</summary>
    public string MaskStemFor(string key) => MaskPrefix + key + MaskSuffix;

    /// <summary>The image stem for a key.</summary>
    public string ImageStemFor(string key) => ImagePrefix + key + ImageSuffix;

    /// <summary>The key of an image stem, or null when the stem does not carry the image prefix and suffix.</summary>
    public string? KeyOfImage(string stem) => Strip(stem, ImagePrefix, ImageSuffix);

    /// <summary>The key of a mask stem, or null when the stem does not carry the mask prefix and suffix.</summary>
    public string? KeyOfMask(string stem) => Strip(stem, MaskPrefix, MaskSuffix);

    /// <summary>Whether images need a prefix or suffix (so that other files in the images folder are left out).</summary>
    public bool FiltersImages => ImagePrefix.Length > 0 || ImageSuffix.Length > 0;

    /// <summary>Whether masks need a prefix or suffix.</summary>
    public bool FiltersMasks => MaskPrefix.Length > 0 || MaskSuffix.Length > 0;

    static string? Strip(string stem, string prefix, string suffix) =>
        stem.Length >= prefix.Length + suffix.Length && stem.StartsWith(prefix, StringComparison.Ordinal) && stem.EndsWith(suffix, StringComparison.Ordinal)
            ? stem[prefix.Length..^suffix.Length] : null;
}
