using SharpSeg.Metrics;

namespace SharpSeg.SelfSupervised;

/// <summary>What a linear probe measured.</summary>
/// <param name="Validation">Metrics of the probe on the validation images (at the probe's scale).</param>
/// <param name="FinalLoss">Training cross entropy of the head at its last step.</param>
/// <param name="FeatureChannels">Channels of the probed feature map.</param>
/// <param name="FeatureStride">Stride of the probed feature map.</param>
/// <param name="TrainImages">Images the head was trained on.</param>
/// <param name="Elapsed">Wall time (features + training + evaluation).</param>
public sealed record LinearProbeResult(SegmentationMetrics Validation, double FinalLoss, int FeatureChannels, int FeatureStride, int TrainImages, TimeSpan Elapsed);
