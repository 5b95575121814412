using SharpSeg.Imaging;

namespace SharpSeg.Reports;

/// <summary>
/// Where a prediction is wrong, as a picture: wrong pixels in <see cref="Wrong"/> (red), correct pixels as the image
/// in faded gray (context, not attention), pixels whose ground truth is <see cref="LabelMask.Ignore"/> (not scored)
/// in the neutral <see cref="Ignored"/>.
/// </summary>
public static class ErrorMap
{
    /// <summary>Colour of a wrongly predicted pixel.</summary>
    public static readonly Rgb Wrong = new(230, 25, 25);

    /// <summary>Colour of a pixel that is not scored (ground truth = ignore).</summary>
    public static readonly Rgb Ignored = new(64, 64, 72);

    /// <summary>
    /// The error map of <paramref name="prediction"/> against <paramref name="truth"/> over <paramref name="image"/>
    /// (all the same size). A correct pixel of luma L (0..255) becomes gray 160 + L·95/255, so it stays lighter than
    /// <see cref="Ignored"/> and far from <see cref="Wrong"/>.
    /// </summary>
    public static RgbImage Render(RgbImage image, LabelMask truth, LabelMask prediction)
    {
        if (image.Width != truth.Width || image.Height != truth.Height || prediction.Width != truth.Width || prediction.Height != truth.Height)
            throw new ArgumentException($"image {image.Width}x{image.Height}, ground truth {truth.Width}x{truth.Height} and prediction {prediction.Width}x{prediction.Height} must be the same size");
        var result = new RgbImage(image.Width, image.Height, 3);
        var dst = result.Pixels;
        var src = image.Pixels;
        int ch = image.Channels;
        for (int i = 0; i < truth.Labels.Length; i++)
        {
            Rgb c;
            byte t = truth.Labels[i];
            if (t == LabelMask.Ignore) c = Ignored;
            else if (t != prediction.Labels[i]) c = Wrong;
            else
            {
                int luma = ch == 3 ? (299 * src[3 * i] + 587 * src[3 * i + 1] + 114 * src[3 * i + 2] + 500) / 1000 : src[i];
                byte g = (byte)(160 + luma * 95 / 255);
                c = new Rgb(g, g, g);
            }
            dst[3 * i] = c.R; dst[3 * i + 1] = c.G; dst[3 * i + 2] = c.B;
        }
        return result;
    }

    /// <summary>Share (0..1) of the scored pixels that are wrong; null when every pixel is ignored.</summary>
    public static double? WrongShare(LabelMask truth, LabelMask prediction)
    {
        long scored = 0, wrong = 0;
        for (int i = 0; i < truth.Labels.Length; i++)
        {
            if (truth.Labels[i] == LabelMask.Ignore) continue;
            scored++;
            if (truth.Labels[i] != prediction.Labels[i]) wrong++;
        }
        return scored > 0 ? wrong / (double)scored : null;
    }
}
