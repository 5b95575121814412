using System.Text.Json;
using System.Text.Json.Nodes;
using SharpSeg.IO;
using TorchSharp;
using static TorchSharp.torch;
using SharpSeg.Checkpoints;
using SharpSeg.Models;

namespace SharpSeg.Pretrained;

/// <summary>
/// Writes a checkpoint's weights as safetensors for PyTorch users, with a JSON config beside it (<c>model.json</c> next to
/// <c>model.safetensors</c>: model config, classes, normalisation, key layout). Layouts: SharpSeg's own keys (any model);
/// torchvision's <c>fcn_*</c>/<c>deeplabv3_*</c>/<c>lraspp_*</c> keys (models torchvision has); or the encoder alone under
/// torchvision backbone names (loadable into <c>torchvision.models.resnet18()</c> and friends). docs/PRETRAINED.md has the
/// Python side.
/// </summary>
public static class WeightsExport
{
    /// <summary>Value of the JSON config's <c>format</c> field.</summary>
    public const string FormatName = "sharpseg-weights";

    /// <summary>
    /// Exports <paramref name="checkpointPath"/> to <paramref name="outPath"/> (.safetensors) and its config to the same
    /// name with <c>.json</c>. <paramref name="layout"/>: <see cref="StateDictLayout.SharpSeg"/> (default),
    /// <see cref="StateDictLayout.TorchvisionSegmentation"/> (torchvision's keys; fcn, deeplabv3, lraspp only) or
    /// <see cref="StateDictLayout.Torchvision"/> (the encoder only, torchvision backbone keys). Returns the files written.
    /// </summary>
    public static (string WeightsPath, string ConfigPath, int Tensors) ToSafetensors(string checkpointPath, string outPath, StateDictLayout layout = StateDictLayout.SharpSeg)
    {
        ArgumentNullException.ThrowIfNull(outPath);
        if (layout == StateDictLayout.Smp)
            throw new SharpSegException("export to segmentation_models.pytorch keys is not supported (SharpSeg's U-Net has an extra input-image skip): use layout sharpseg or torchvision.");
        var ckpt = Checkpoint.Load(checkpointPath);
        var config = ckpt.Info.Config;
        using var model = ModelZoo.Create(config);
        ckpt.LoadWeights(model);
        string architecture = config.Architecture.Trim().ToLowerInvariant();

        var tensors = new List<(string, Tensor)>();
        var unmapped = new List<string>();
        foreach (var (key, t) in model.state_dict())
        {
            string? name = layout switch
            {
                StateDictLayout.SharpSeg => key,
                StateDictLayout.Torchvision => key.StartsWith("encoder.", StringComparison.Ordinal) ? key["encoder.".Length..] : "",
                _ => TorchvisionStateDictNames.ForSegmentationModel(key, architecture),
            };
            if (name == "") continue; // not part of the encoder
            if (name is null) { unmapped.Add(key); continue; }
            tensors.Add((name, t));
        }
        if (unmapped.Count > 0)
            throw new SharpSegException($"{architecture}/{config.Encoder} has no torchvision counterpart for {unmapped.Count} keys (e.g. {unmapped[0]}): torchvision layout covers fcn, deeplabv3 and lraspp; use layout sharpseg (or the encoder only).");

        string configPath = Path.ChangeExtension(outPath, ".json");
        if (Path.GetFullPath(configPath) == Path.GetFullPath(outPath))
            throw new SharpSegException($"{outPath}: give the weights file the .safetensors extension (the config goes beside it as .json).");
        var json = new JsonObject
        {
            ["format"] = FormatName,
            ["version"] = 1,
            ["layout"] = LayoutName(layout),
            ["weights"] = Path.GetFileName(outPath),
            ["source_checkpoint"] = Path.GetFileName(checkpointPath),
            ["model"] = JsonNode.Parse(ckpt.Info.Model.ToJsonString()),
            ["output_stride"] = model.Encoder.OutputStride,
            ["classes"] = JsonSerializer.SerializeToNode(ckpt.Info.Classes),
            ["ignore_index"] = ckpt.Info.IgnoreIndex,
            ["image_channels"] = ckpt.Info.ImageChannels,
            ["input"] = "float32 [N, C, H, W], RGB, value = (byte / 255 - mean[c]) / std[c]; H and W padded (bottom/right, model.padding) to a multiple of output_stride",
            ["output"] = "logits [N, num_classes, H, W]; class = argmax over dim 1",
            ["mean"] = new JsonArray(ckpt.Info.Mean.Select(v => (JsonNode)v).ToArray()),
            ["std"] = new JsonArray(ckpt.Info.Std.Select(v => (JsonNode)v).ToArray()),
            ["inference_scale"] = ckpt.Info.InferenceScale,
            ["keys"] = KeysDescription(layout),
        };
        string configText = json.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
        var metadata = new Dictionary<string, string> { ["format"] = "pt", ["sharpseg_layout"] = LayoutName(layout), ["sharpseg_model"] = ckpt.Info.Model.ToJsonString() };
        Safetensors.Write(outPath, tensors, metadata);
        AtomicFile.WriteAllText(configPath, configText + Environment.NewLine);
        return (outPath, configPath, tensors.Count);
    }

    /// <summary>The layout's name in configs and on the command line: sharpseg, torchvision, torchvision-encoder.</summary>
    public static string LayoutName(StateDictLayout layout) => layout switch
    {
        StateDictLayout.SharpSeg => "sharpseg",
        StateDictLayout.TorchvisionSegmentation => "torchvision",
        StateDictLayout.Torchvision => "torchvision-encoder",
        _ => "smp",
    };

    /// <summary>Parses a layout name (<see cref="LayoutName"/>); unknown names are a <see cref="SharpSegException"/>.</summary>
    public static StateDictLayout ParseLayout(string name) => name.Trim().ToLowerInvariant() switch
    {
        "sharpseg" => StateDictLayout.SharpSeg,
        "torchvision" => StateDictLayout.TorchvisionSegmentation,
        "torchvision-encoder" or "encoder" => StateDictLayout.Torchvision,
        _ => throw new SharpSegException($"unknown layout '{name}': use sharpseg (every model), torchvision (fcn, deeplabv3, lraspp) or torchvision-encoder (the encoder alone)."),
    };

    private static JsonObject KeysDescription(StateDictLayout layout) => layout switch
    {
        StateDictLayout.SharpSeg => new JsonObject
        {
            ["encoder."] = "the backbone; below the prefix torchvision's names (conv1.weight, layer1.0.bn1.running_mean, features.3.block.0.0.weight)",
            ["decoder."] = "the architecture's decoder (docs/PRETRAINED.md)",
            ["head."] = "the segmentation head: Conv2d(decoder channels, num_classes, head_kernel)",
            ["aux."] = "torchvision's auxiliary FCN head (training only), when aux_head is true",
        },
        StateDictLayout.TorchvisionSegmentation => new JsonObject { ["*"] = "torchvision.models.segmentation's keys: backbone.*, classifier.*, aux_classifier.*" },
        _ => new JsonObject { ["*"] = "torchvision backbone keys (conv1.weight, layer4.1.bn2.bias, features.*); no fc/classifier" },
    };
}
