using SharpSeg.Data.Augmentation;

namespace SharpSeg.SelfSupervised;

/// <summary>
/// Where an augmented view came from in its source image: the box that was cut and resized to the view, and whether the
/// view was then mirrored left–right. Photometric changes (colour, blur) do not move pixels, so this is the whole
/// geometry of a view, and two views of one image can be matched pixel by pixel.
/// </summary>
/// <param name="Box">The source rectangle, continuous pixel coordinates.</param>
/// <param name="Flipped">True when the view was mirrored left–right after the crop.</param>
public sealed record ViewGeometry(CropBox Box, bool Flipped)
{
    /// <summary>
    /// The source point shown at normalised view position (<paramref name="u"/>, <paramref name="v"/>): 0 is the view's
    /// left/top edge, 1 its right/bottom edge (a cell of an h × w grid has its centre at ((c + 0.5)/w, (r + 0.5)/h)).
    /// </summary>
    public (double X, double Y) ToSource(double u, double v) => (Box.X + (Flipped ? 1 - u : u) * Box.Width, Box.Y + v * Box.Height);
}
