using SharpSeg.Imaging;

namespace SharpSeg.Data.Loading;

/// <summary>A decoded image with its class-index mask, same width and height.</summary>
public sealed record SegmentationSample(string Id, RgbImage Image, LabelMask Mask);
