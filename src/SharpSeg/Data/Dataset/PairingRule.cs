namespace SharpSeg.Data.Dataset;

/// <summary>
/// The <c>pairing:</c> section of a dataset.yaml: the image with stem <c>foo</c> pairs with the mask file whose stem
/// is <c>{MaskPrefix}foo{MaskSuffix}</c>, with any image extension (e.g. CamVid's original <c>foo_L.png</c>).
/// </summary>
public sealed record PairingRule(string MaskPrefix, string MaskSuffix)
{
    /// <summary>Same stem for image and mask.</summary>
    public static PairingRule SameStem { get; } = new("", "");

    /// <summary>The mask stem for an image stem.</summary>
    public string MaskStemFor(string imageStem) => MaskPrefix + imageStem + MaskSuffix;
}
