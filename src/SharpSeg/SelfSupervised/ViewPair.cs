using SharpSeg.Imaging;

namespace SharpSeg.SelfSupervised;

/// <summary>Two augmented views of one image, each with the geometry that maps it back to the image.</summary>
public sealed record ViewPair(RgbImage First, ViewGeometry FirstGeometry, RgbImage Second, ViewGeometry SecondGeometry);
