using SharpSeg.Imaging;

namespace SharpSeg.Inference;

/// <summary>Turns class-index masks into pictures: a colour mask (one colour per class) and an overlay on the image.</summary>
public static class MaskRenderer
{
    /// <summary>
    /// Colour mask: pixel of class c gets <paramref name="colours"/>[c]; <see cref="LabelMask.Ignore"/> and indices
    /// outside the table are black.
    /// </summary>
    public static RgbImage ColourMask(LabelMask mask, IReadOnlyList<Rgb> colours)
    {
        var image = new RgbImage(mask.Width, mask.Height, 3);
        var px = image.Pixels;
        var labels = mask.Labels;
        for (int i = 0; i < labels.Length; i++)
        {
            int c = labels[i];
            if (c >= colours.Count) continue;
            var (r, g, b) = colours[c];
            px[3 * i] = r; px[3 * i + 1] = g; px[3 * i + 2] = b;
        }
        return image;
    }

    /// <summary>
    /// The image blended with the colour mask: out = (1 − opacity)·image + opacity·colour, per pixel; ignore pixels keep
    /// the image. <paramref name="opacity"/> is in [0, 1]. A grayscale image is shown in gray under the colours.
    /// </summary>
    public static RgbImage Overlay(RgbImage image, LabelMask mask, IReadOnlyList<Rgb> colours, double opacity = 0.5)
    {
        if (image.Width != mask.Width || image.Height != mask.Height)
            throw new ArgumentException($"mask {mask.Width}x{mask.Height} does not match image {image.Width}x{image.Height}");
        if (opacity < 0 || opacity > 1) throw new SharpSegException($"--opacity {opacity}: must be between 0 and 1.");
        var result = new RgbImage(image.Width, image.Height, 3);
        var dst = result.Pixels;
        var src = image.Pixels;
        int ch = image.Channels;
        int a = (int)Math.Round(opacity * 256);
        for (int i = 0; i < mask.Labels.Length; i++)
        {
            int c = mask.Labels[i];
            for (int k = 0; k < 3; k++)
            {
                int v = src[i * ch + (ch == 3 ? k : 0)];
                if (c < colours.Count)
                {
                    int col = k == 0 ? colours[c].R : k == 1 ? colours[c].G : colours[c].B;
                    v = (v * (256 - a) + col * a + 128) >> 8;
                }
                dst[3 * i + k] = (byte)v;
            }
        }
        return result;
    }
}
