using SharpSeg.Imaging;

namespace SharpSeg.Data.Augmentation;

/// <summary>
/// Geometric resampling with pixel centres at (x + 0.5, y + 0.5) (the convention of torch interpolate with
/// align_corners=false and OpenCV), bilinear for images and nearest for masks, so both stay aligned.
/// </summary>
internal static class Resampling
{
    public static RgbImage ResizeBilinear(RgbImage src, int width, int height)
    {
        if (width == src.Width && height == src.Height) return src;
        int c = src.Channels, sw = src.Width, sh = src.Height;
        var dst = new RgbImage(width, height, c);
        var s = src.Pixels; var d = dst.Pixels;
        double fx = (double)sw / width, fy = (double)sh / height;
        var x0s = new int[width]; var x1s = new int[width]; var wxs = new float[width];
        for (int x = 0; x < width; x++)
        {
            double sx = Math.Clamp((x + 0.5) * fx - 0.5, 0, sw - 1);
            int x0 = (int)sx;
            x0s[x] = x0; x1s[x] = Math.Min(x0 + 1, sw - 1); wxs[x] = (float)(sx - x0);
        }
        for (int y = 0; y < height; y++)
        {
            double sy = Math.Clamp((y + 0.5) * fy - 0.5, 0, sh - 1);
            int y0 = (int)sy, y1 = Math.Min(y0 + 1, sh - 1);
            float wy = (float)(sy - y0);
            int r0 = y0 * sw, r1 = y1 * sw, o = y * width * c;
            for (int x = 0; x < width; x++)
            {
                int a = (r0 + x0s[x]) * c, b = (r0 + x1s[x]) * c, e = (r1 + x0s[x]) * c, f = (r1 + x1s[x]) * c;
                float wx = wxs[x];
                for (int k = 0; k < c; k++)
                {
                    float top = s[a + k] + (s[b + k] - s[a + k]) * wx;
                    float bot = s[e + k] + (s[f + k] - s[e + k]) * wx;
                    d[o++] = (byte)(top + (bot - top) * wy + 0.5f);
                }
            }
        }
        return dst;
    }

    public static LabelMask ResizeNearest(LabelMask src, int width, int height)
    {
        if (width == src.Width && height == src.Height) return src;
        int sw = src.Width, sh = src.Height;
        var dst = new LabelMask(width, height);
        var xs = new int[width];
        for (int x = 0; x < width; x++) xs[x] = Math.Min((int)((x + 0.5) * sw / width), sw - 1);
        var s = src.Labels; var d = dst.Labels;
        for (int y = 0; y < height; y++)
        {
            int sy = Math.Min((int)((y + 0.5) * sh / height), sh - 1);
            int r = sy * sw, o = y * width;
            for (int x = 0; x < width; x++) d[o + x] = s[r + xs[x]];
        }
        return dst;
    }

    /// <summary>Checks the sample's image and mask agree in size; augmentations rely on it.</summary>
    public static void RequireSameSize(SegmentationSample s)
    {
        if (s.Image.Width != s.Mask.Width || s.Image.Height != s.Mask.Height)
            throw new SharpSegException($"sample '{s.Id}': image is {s.Image.Width}x{s.Image.Height} but its mask is {s.Mask.Width}x{s.Mask.Height}; image and mask must have the same size.");
    }
}
