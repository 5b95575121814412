using System.Text.Json;
using System.Text.Json.Nodes;
using SharpSeg.Metrics;

namespace SharpSeg.SelfSupervised;

/// <summary>What a linear probe measured.</summary>
/// <param name="Validation">Metrics of the probe on the validation images (at the probe's scale).</param>
/// <param name="FinalLoss">Training cross entropy of the head at its last step.</param>
/// <param name="FeatureChannels">Channels of the probed feature map.</param>
/// <param name="FeatureStride">Stride of the probed feature map.</param>
/// <param name="TrainImages">Images the head was trained on.</param>
/// <param name="Elapsed">Wall time (features + training + evaluation).</param>
public sealed record LinearProbeResult(SegmentationMetrics Validation, double FinalLoss, int FeatureChannels, int FeatureStride, int TrainImages, TimeSpan Elapsed)
{
    static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>
    /// The probe's settings and validation metrics as indented JSON (<c>sharpseg probe --out</c>): <c>encoder</c> (the
    /// weights, or the encoder name for a random init), <c>pretrained</c>, <c>seed</c>, <c>data</c> (absolute path),
    /// <c>train_split</c>, <c>val_split</c>, <c>scale</c>, <c>stage</c>, <c>iterations</c>, <c>lr</c>, <c>batch_size</c>,
    /// <c>final_loss</c>, <c>feature_channels</c>, <c>feature_stride</c>, <c>elapsed_s</c> and <c>metrics</c>
    /// (<see cref="SegmentationMetrics.ToJson"/>).
    /// </summary>
    /// <param name="weights">The encoder weights probed (as given to <see cref="LinearProbe.RunOnDataset"/>), or null for a random init.</param>
    /// <param name="randomEncoder">The encoder name used without weights.</param>
    /// <param name="datasetYaml">The dataset.yaml probed.</param>
    /// <param name="trainSplit">The split the head was trained on.</param>
    /// <param name="valSplit">The split it was scored on.</param>
    /// <param name="options">The probe's settings; its seed is also the random initialisation's.</param>
    public string ToJson(string? weights, string randomEncoder, string datasetYaml, string trainSplit, string valSplit, LinearProbeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var json = new JsonObject
        {
            ["encoder"] = weights ?? randomEncoder, ["pretrained"] = weights != null, ["seed"] = options.Seed, ["data"] = Path.GetFullPath(datasetYaml),
            ["train_split"] = trainSplit, ["val_split"] = valSplit, ["scale"] = options.Scale, ["stage"] = options.Stage, ["iterations"] = options.Iterations,
            ["lr"] = options.Lr, ["batch_size"] = options.BatchSize, ["final_loss"] = FinalLoss, ["feature_channels"] = FeatureChannels,
            ["feature_stride"] = FeatureStride, ["elapsed_s"] = Elapsed.TotalSeconds,
            ["metrics"] = JsonNode.Parse(Validation.ToJson()),
        };
        return json.ToJsonString(Indented);
    }
}
