namespace SharpSeg.Data.Augmentation;

/// <summary>
/// A rectangle of a source image in continuous pixel coordinates: the left/top edge of pixel (0, 0) is (0, 0) and its
/// centre is (0.5, 0.5), so a box of the whole W × H image is (0, 0, W, H). What <see cref="RandomResizedCrop"/> cuts.
/// </summary>
/// <param name="X">Left edge, pixels.</param>
/// <param name="Y">Top edge, pixels.</param>
/// <param name="Width">Width, pixels (positive).</param>
/// <param name="Height">Height, pixels (positive).</param>
public readonly record struct CropBox(double X, double Y, double Width, double Height);
