using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Proto = global::Onnx;
using SharpSeg.Checkpoints;

namespace SharpSeg.Inference;

/// <summary>
/// The <c>metadata_props</c> that make an exported ONNX file self-describing like a checkpoint (one JSON or plain value
/// per key, readable by any ONNX tool): <c>sharpseg_format</c>, <c>classes</c>, <c>ignore_index</c>,
/// <c>image_channels</c>, <c>mean</c>, <c>std</c>, <c>inference_scale</c>, <c>model_config</c>, <c>input</c>,
/// <c>output</c>, <c>quantization</c>. See docs/INFERENCE.md.
/// </summary>
public sealed record OnnxMetadata
{
    /// <summary>Value of the <c>sharpseg_format</c> key.</summary>
    public const string FormatVersion = "1";

    /// <summary>The checkpoint facts: class table, normalisation, channels, inference scale, model config.</summary>
    public required CheckpointInfo Info { get; init; }

    /// <summary>"logits" (<c>[N, C, H, W]</c> float32) or "labels" (<c>[N, H, W]</c> int64, exported with --argmax).</summary>
    public string Output { get; init; } = "logits";

    /// <summary>"none", or a description of the int8 quantisation.</summary>
    public string Quantization { get; init; } = "none";

    /// <summary>True when the graph ends in ArgMax.</summary>
    public bool OutputsLabels => Output == "labels";

    internal void WriteTo(Proto.ModelProto model)
    {
        void Put(string key, string value) => model.MetadataProps.Add(new Proto.StringStringEntryProto { Key = key, Value = value });
        string Json(object o) => JsonSerializer.Serialize(o);
        Put("sharpseg_format", FormatVersion);
        Put("classes", Json(Info.Classes));
        Put("ignore_index", Info.IgnoreIndex.ToString(CultureInfo.InvariantCulture));
        Put("image_channels", Info.ImageChannels.ToString(CultureInfo.InvariantCulture));
        Put("mean", Json(Info.Mean));
        Put("std", Json(Info.Std));
        if (Info.ImageRange != null) Put("image_range", Json(Info.ImageRange));
        if (Info.VolumeSlicing != null) Put("volume_slicing", Json(Info.VolumeSlicing));
        Put("inference_scale", Info.InferenceScale.ToString("R", CultureInfo.InvariantCulture));
        Put("model_config", Info.Model.ToJsonString());
        Put("input", $"image: float32 [batch, {Info.ImageChannels}, height, width], any height/width; pixels scaled to [0, 1] (16-bit samples stretched from image_range when present), minus mean, divided by std (per channel); " +
            "resize the image by inference_scale first and the output back");
        Put("output", Output);
        Put("quantization", Quantization);
    }

    /// <summary>Reads the metadata of an exported file and checks it as a checkpoint's (<see cref="CheckpointInfo.Validate"/>);
    /// a file without it, or with implausible values, is a one-line <see cref="SharpSegException"/>.</summary>
    public static OnnxMetadata Read(IReadOnlyDictionary<string, string> props, string path)
    {
        ArgumentNullException.ThrowIfNull(props);
        if (!props.TryGetValue("sharpseg_format", out var format))
            throw new SharpSegException($"{path}: not a SharpSeg ONNX export (no sharpseg_format metadata); export the checkpoint with `sharpseg export --format onnx`.");
        if (format != FormatVersion)
            throw new SharpSegException($"{path}: SharpSeg ONNX metadata version {format} is not understood by this SharpSeg (expects {FormatVersion}); upgrade SharpSeg.");
        string Get(string key) => props.TryGetValue(key, out var v) ? v : throw new SharpSegException($"{path}: SharpSeg ONNX metadata lacks '{key}'; re-export the model.");
        try
        {
            var info = new CheckpointInfo
            {
                Model = JsonNode.Parse(Get("model_config"))!.AsObject(),
                Classes = JsonSerializer.Deserialize<Data.Dataset.ClassTable>(Get("classes"))!,
                IgnoreIndex = int.Parse(Get("ignore_index"), CultureInfo.InvariantCulture),
                ImageChannels = int.Parse(Get("image_channels"), CultureInfo.InvariantCulture),
                Mean = JsonSerializer.Deserialize<double[]>(Get("mean"))!,
                Std = JsonSerializer.Deserialize<double[]>(Get("std"))!,
                ImageRange = props.TryGetValue("image_range", out var range) ? JsonSerializer.Deserialize<int[]>(range) : null,
                VolumeSlicing = props.TryGetValue("volume_slicing", out var slicing) ? JsonSerializer.Deserialize<Imaging.VolumeSlicing>(slicing) : null,
                InferenceScale = double.Parse(Get("inference_scale"), CultureInfo.InvariantCulture),
            };
            info.Validate(path);
            string output = Get("output");
            if (output is not ("logits" or "labels")) throw new SharpSegException($"{path}: SharpSeg ONNX metadata says output '{output}', not logits or labels; re-export the model.");
            return new OnnxMetadata { Info = info, Output = output, Quantization = props.TryGetValue("quantization", out var q) ? q : "none" };
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or NullReferenceException or OverflowException)
        {
            throw new SharpSegException($"{path}: SharpSeg ONNX metadata is damaged ({e.Message}); re-export the model.");
        }
    }
}
