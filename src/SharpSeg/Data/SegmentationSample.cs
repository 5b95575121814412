using SharpSeg.Imaging;

namespace SharpSeg.Data;

/// <summary>A decoded image with its class-index mask, same width and height.</summary>
public sealed record SegmentationSample(string Id, RgbImage Image, LabelMask Mask);
