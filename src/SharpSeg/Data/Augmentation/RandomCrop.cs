using SharpSeg.Imaging;

namespace SharpSeg.Data.Augmentation;

/// <summary>
/// Cuts a window of exactly <see cref="Height"/> × <see cref="Width"/> pixels at a random position. Where the sample is
/// smaller than the window in a dimension, it is placed at a random offset inside the window and the rest is padding:
/// the image gets <see cref="ImagePad"/> (one byte per channel, e.g. 0 or the dataset mean) and the mask gets
/// <see cref="LabelMask.Ignore"/>, so padding never counts in loss or metrics.
/// </summary>
public sealed class RandomCrop : IAugmentation
{
    /// <param name="height">Output height in pixels.</param>
    /// <param name="width">Output width in pixels.</param>
    /// <param name="imagePad">Pad value per image channel (length 1 = all channels); null = 0.</param>
    public RandomCrop(int height, int width, IReadOnlyList<byte>? imagePad = null)
    {
        if (height <= 0 || width <= 0) throw new SharpSegException($"crop: [{height}, {width}] must be two positive sizes [H, W], e.g. crop: [256, 256].");
        Height = height; Width = width;
        ImagePad = imagePad ?? [0];
        if (ImagePad.Count == 0) throw new ArgumentException("imagePad must have at least one value", nameof(imagePad));
    }

    public int Height { get; }
    public int Width { get; }
    public IReadOnlyList<byte> ImagePad { get; }

    public SegmentationSample Apply(SegmentationSample sample, Random rng)
    {
        Resampling.RequireSameSize(sample);
        var (x0, y0) = DrawOrigin(sample.Image.Width, sample.Image.Height, rng);
        return Cut(sample, x0, y0);
    }

    /// <summary>
    /// Window origin in source coordinates for a source of <paramref name="sw"/> × <paramref name="sh"/>; negative means
    /// the source sits inside the window (padding before it).
    /// </summary>
    internal (int X0, int Y0) DrawOrigin(int sw, int sh, Random rng)
    {
        int x0 = rng.Next(Math.Min(0, sw - Width), Math.Max(0, sw - Width) + 1);
        int y0 = rng.Next(Math.Min(0, sh - Height), Math.Max(0, sh - Height) + 1);
        return (x0, y0);
    }

    /// <summary>
    /// <paramref name="scale"/> then this crop, drawing the same random numbers and giving the same pixels as applying
    /// them one after the other, but resampling only the cropped window (a 2× scale of a large image costs no more
    /// than the crop).
    /// </summary>
    internal SegmentationSample ApplyAfterScale(RandomScale scale, SegmentationSample sample, Random rng)
    {
        Resampling.RequireSameSize(sample);
        var (w, h) = scale.DrawSize(sample, rng);
        var (x0, y0) = DrawOrigin(w, h, rng);
        if (w == sample.Image.Width && h == sample.Image.Height) return Cut(sample, x0, y0);
        return sample with
        {
            Image = Resampling.ResizeBilinearWindow(sample.Image, w, h, x0, y0, Width, Height, ImagePad),
            Mask = Resampling.ResizeNearestWindow(sample.Mask, w, h, x0, y0, Width, Height),
        };
    }

    /// <summary>The crop with a given window origin (source pixel coordinates of the window's top-left corner).</summary>
    public SegmentationSample Cut(SegmentationSample sample, int x0, int y0)
    {
        var src = sample.Image; var srcMask = sample.Mask;
        int c = src.Channels, sw = src.Width, sh = src.Height;
        var img = new RgbImage(Width, Height, c);
        var mask = new LabelMask(Width, Height);
        var d = img.Pixels; var m = mask.Labels;
        var pad = new byte[c];
        for (int k = 0; k < c; k++) pad[k] = ImagePad[ImagePad.Count == 1 ? 0 : Math.Min(k, ImagePad.Count - 1)];
        for (int i = 0; i < d.Length; i += c)
            for (int k = 0; k < c; k++) d[i + k] = pad[k];
        Array.Fill(m, LabelMask.Ignore);
        // Overlap of the window with the source.
        int ox0 = Math.Max(0, x0), ox1 = Math.Min(sw, x0 + Width);
        int oy0 = Math.Max(0, y0), oy1 = Math.Min(sh, y0 + Height);
        int n = ox1 - ox0;
        if (n > 0)
        {
            for (int sy = oy0; sy < oy1; sy++)
            {
                int dy = sy - y0, dx = ox0 - x0;
                Array.Copy(src.Pixels, (sy * sw + ox0) * c, d, (dy * Width + dx) * c, n * c);
                Array.Copy(srcMask.Labels, sy * sw + ox0, m, dy * Width + dx, n);
            }
        }
        return sample with { Image = img, Mask = mask };
    }
}
