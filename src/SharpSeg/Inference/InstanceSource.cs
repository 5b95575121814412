using SharpSeg.Models.MaskClassification;

namespace SharpSeg.Inference;

/// <summary>
/// Where <c>predict --instances</c> gets its instances: <c>queries</c> (a mask-classification checkpoint's own segments,
/// Mask2Former's panoptic inference, <see cref="Predictor.InferPanoptic"/>) or <c>components</c> (connected components of
/// the predicted class mask). The default is queries for a mask2former checkpoint and components for every other model
/// and for ONNX files (whose graph ends in the semantic map).
/// </summary>
public static class InstanceSource
{
    public const string Queries = "queries";
    public const string Components = "components";

    /// <summary>
    /// Checks a choice (<c>--instances-from</c>; null = the default for the model) against the model file (a checkpoint,
    /// whose description alone is read, or an ONNX file) and the options, before any model is built, and returns the
    /// panoptic thresholds to use for queries, or null for connected components. Every mismatch is a one-line
    /// <see cref="SharpSegException"/>.
    /// </summary>
    public static PanopticInferenceOptions? Resolve(string? choice, string modelPath, InferenceOptions options, Instances.InstanceOptions instanceOptions)
    {
        ArgumentNullException.ThrowIfNull(modelPath);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(instanceOptions);
        bool onnx = ModelFile.IsOnnx(modelPath);
        string? architecture = onnx ? null : Checkpoints.Checkpoint.ReadInfo(modelPath).Config.Architecture.Trim().ToLowerInvariant();
        bool hasQueries = architecture == "mask2former";
        string value = choice?.Trim().ToLowerInvariant() ?? (hasQueries ? Queries : Components);
        if (value == Components) return null;
        if (value != Queries) throw new SharpSegException($"--instances-from '{choice}': use queries (a mask2former checkpoint's own segments) or components (connected components of the predicted mask).");
        if (!hasQueries)
            throw new SharpSegException(onnx
                ? "--instances-from queries needs the checkpoint: an ONNX graph ends in the semantic map, without the queries; pass --checkpoint, or use --instances-from components."
                : $"--instances-from queries needs a mask-classification checkpoint (mask2former); '{architecture}' classifies pixels: use --instances-from components.");
        string why = choice == null ? " (the default for a mask2former checkpoint)" : "";
        if (options.TileSize != null || options.Tta is { IsIdentity: false })
            throw new SharpSegException($"instances from queries{why} come from one forward pass over the whole image, so --tile and --tta-* do not apply: drop them, or add --instances-from components.");
        if (instanceOptions.FillHoles)
            throw new SharpSegException($"--fill-holes applies to connected components, not to instances from queries{why}: drop it, or add --instances-from components.");
        return new PanopticInferenceOptions();
    }
}
