using System.Text.RegularExpressions;
using SharpSeg.Models;

namespace SharpSeg.Pretrained;

/// <summary>
/// The documented mapping between SharpSeg's state-dict keys and those of torchvision and segmentation_models.pytorch
/// (SMP). SharpSeg's encoders already use torchvision's names, so most of the mapping is a prefix:
/// <list type="table">
/// <item><term>SharpSeg</term><description><c>encoder.layer1.0.conv1.weight</c>, <c>decoder.blocks.0.conv.layers.conv0.weight</c>, <c>head.weight</c></description></item>
/// <item><term>torchvision classifier</term><description><c>layer1.0.conv1.weight</c> (<c>fc.*</c>, <c>classifier.*</c> unused)</description></item>
/// <item><term>torchvision segmentation</term><description><see cref="TorchvisionStateDictNames.ForSegmentationModel"/>: <c>backbone.*</c>, <c>classifier.*</c>, <c>aux_classifier.*</c></description></item>
/// <item><term>SMP</term><description><c>encoder.*</c> as SharpSeg; U-Net decoder <c>decoder.blocks.i.conv1.0/1</c>, <c>conv2.0/1</c> ↔
/// <c>decoder.blocks.i.conv.layers.conv0/bn0/conv1/bn1</c>; <c>segmentation_head.0.*</c> ↔ <c>head.*</c></description></item>
/// </list>
/// </summary>
public static partial class StateDictKeyMap
{
    /// <summary>Guesses the layout from a file's keys: <c>segmentation_head.*</c> → SMP, <c>backbone.*</c> → torchvision
    /// segmentation, <c>encoder.*</c> → SharpSeg, anything else → a torchvision classifier/backbone.</summary>
    public static StateDictLayout Detect(IEnumerable<string> keys)
    {
        var list = keys.ToList();
        if (list.Any(k => k.StartsWith("segmentation_head.", StringComparison.Ordinal))) return StateDictLayout.Smp;
        if (list.Any(k => k.StartsWith("backbone.", StringComparison.Ordinal))) return StateDictLayout.TorchvisionSegmentation;
        if (list.Any(k => k.StartsWith("encoder.", StringComparison.Ordinal))) return StateDictLayout.SharpSeg;
        return StateDictLayout.Torchvision;
    }

    /// <summary>The file key holding a SharpSeg model key (<c>encoder.conv1.weight</c>, <c>head.bias</c>) in
    /// <paramref name="layout"/>, for a model of <paramref name="architecture"/>; null when the layout has no counterpart.</summary>
    public static string? FileKey(string modelKey, StateDictLayout layout, string architecture)
    {
        ArgumentNullException.ThrowIfNull(modelKey);
        const string enc = "encoder.";
        switch (layout)
        {
            case StateDictLayout.SharpSeg:
                return modelKey;
            case StateDictLayout.Torchvision:
                return modelKey.StartsWith(enc, StringComparison.Ordinal) ? modelKey[enc.Length..] : null;
            case StateDictLayout.TorchvisionSegmentation:
                return TorchvisionStateDictNames.ForSegmentationModel(modelKey, architecture);
            case StateDictLayout.Smp:
                if (modelKey.StartsWith(enc, StringComparison.Ordinal)) return modelKey;
                if (architecture.Trim().ToLowerInvariant() != "unet") return null;
                if (modelKey.StartsWith("head.", StringComparison.Ordinal)) return "segmentation_head.0." + modelKey["head.".Length..];
                var m = SharpSegUNetConv().Match(modelKey);
                if (!m.Success) return null;
                string part = m.Groups[2].Value switch { "conv0" => "conv1.0", "bn0" => "conv1.1", "conv1" => "conv2.0", _ => "conv2.1" };
                return $"decoder.blocks.{m.Groups[1].Value}.{part}.{m.Groups[3].Value}";
            default:
                throw new ArgumentOutOfRangeException(nameof(layout));
        }
    }

    /// <summary>True for file keys of the encoder in <paramref name="layout"/> (the others, such as <c>fc.*</c> or
    /// <c>decoder.*</c>, are ignored when only an encoder is loaded).</summary>
    public static bool IsEncoderFileKey(string fileKey, StateDictLayout layout) => layout switch
    {
        StateDictLayout.Torchvision => !fileKey.StartsWith("fc.", StringComparison.Ordinal) && !fileKey.StartsWith("classifier.", StringComparison.Ordinal),
        StateDictLayout.TorchvisionSegmentation => fileKey.StartsWith("backbone.", StringComparison.Ordinal),
        _ => fileKey.StartsWith("encoder.", StringComparison.Ordinal),
    };

    /// <summary>The SharpSeg model key for a file key (inverse of <see cref="FileKey"/>), searched over the model's keys.</summary>
    public static IReadOnlyDictionary<string, string> ModelKeysByFileKey(IEnumerable<string> modelKeys, StateDictLayout layout, string architecture)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var k in modelKeys)
            if (FileKey(k, layout, architecture) is { } f) map[f] = k;
        return map;
    }

    [GeneratedRegex(@"^decoder\.blocks\.(\d+)\.conv\.layers\.(conv0|bn0|conv1|bn1)\.(.+)$")]
    private static partial Regex SharpSegUNetConv();
}
