using SharpSeg.Imaging;

namespace SharpSeg.Reports;

/// <summary>
/// One of the worst-scored images of an evaluation: its id, its own mIoU (over the classes present in its ground truth
/// or prediction) and pixel accuracy (0..1), and the image, ground truth and prediction at full size.
/// </summary>
public sealed record WorstImage(string Id, double MeanIoU, double? PixelAccuracy, RgbImage Image, LabelMask Truth, LabelMask Prediction);
