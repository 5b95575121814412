namespace SharpSeg.Models;

/// <summary>
/// Maps SharpSeg state-dict keys to torchvision's, for loading torchvision weights: a bare encoder's keys are already
/// torchvision's (<c>conv1.weight</c>, <c>features.4.block.2.fc1.weight</c>); inside a <see cref="SegmentationModel"/>
/// the encoder, the torchvision heads (FCN, DeepLabV3, LR-ASPP) and the aux head map to torchvision's
/// <c>backbone.*</c>, <c>classifier.*</c> and <c>aux_classifier.*</c> (as in <c>deeplabv3_resnet50().state_dict()</c>).
/// The mapping is checked numerically against torchvision in the tests.
/// </summary>
public static class TorchvisionStateDictNames
{
    /// <summary>torchvision's key for a key of a SharpSeg segmentation model of <paramref name="architecture"/>
    /// ("fcn", "deeplabv3", "lraspp"); null for keys torchvision has no counterpart for (other decoders).</summary>
    public static string? ForSegmentationModel(string key, string architecture)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(architecture);
        // torchvision's segmentation backbone is an IntermediateLayerGetter: MobileNet's "features." level disappears.
        if (key.StartsWith("encoder.features.", StringComparison.Ordinal)) return "backbone." + key["encoder.features.".Length..];
        if (key.StartsWith("encoder.", StringComparison.Ordinal)) return "backbone." + key["encoder.".Length..];
        if (key.StartsWith("aux.", StringComparison.Ordinal)) return "aux_classifier." + key["aux.".Length..];
        string arch = architecture.Trim().ToLowerInvariant();
        if (key.StartsWith("head.", StringComparison.Ordinal))
            return arch is "fcn" or "deeplabv3" ? "classifier.4." + key["head.".Length..] : null;
        if (!key.StartsWith("decoder.", StringComparison.Ordinal)) return null;
        return arch switch
        {
            "lraspp" => "classifier." + key["decoder.".Length..],
            "fcn" => key.Replace("decoder.head.", "classifier.", StringComparison.Ordinal),
            "deeplabv3" => key.Replace("decoder.aspp.", "classifier.0.", StringComparison.Ordinal)
                .Replace("convs.4.conv.0.", "convs.4.1.", StringComparison.Ordinal).Replace("convs.4.conv.1.", "convs.4.2.", StringComparison.Ordinal)
                .Replace("decoder.conv.0.", "classifier.1.", StringComparison.Ordinal).Replace("decoder.conv.1.", "classifier.2.", StringComparison.Ordinal),
            _ => null,
        };
    }
}
