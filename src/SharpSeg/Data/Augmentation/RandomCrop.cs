using SharpSeg.Imaging;
using SharpSeg.Data.Loading;

namespace SharpSeg.Data.Augmentation;

/// <summary>
/// Cuts a window of exactly <see cref="Height"/> × <see cref="Width"/> pixels at a random position. Where the sample is
/// smaller than the window in a dimension, it is placed at a random offset inside the window and the rest is padding:
/// the image gets <see cref="ImagePad"/> (one byte per channel, e.g. 0 or the dataset mean) and the mask gets
/// <see cref="LabelMask.Ignore"/>, so padding never counts in loss or metrics.
/// </summary>
/// <remarks>
/// Two optional ways to show rare classes more often, both drawing from the sample's <see cref="Random"/>:
/// <list type="bullet">
/// <item><b>Rare-class crops</b>: with probability <see cref="RareCropP"/>, the window is centred on a pixel drawn
/// uniformly among the pixels of <see cref="RareClasses"/> (moved only as far as needed to stay inside the sample);
/// when the sample has none, the crop is an ordinary random one.</item>
/// <item><b>cat_max_ratio</b> (MMSegmentation's RandomCrop): when one class covers more than <see cref="CatMaxRatio"/>
/// of the window's labelled pixels (ignore and padding excluded), or the window holds fewer than two classes, the window
/// is drawn again, up to 10 times; the last draw is kept whatever it holds.</item>
/// </list>
/// With both off (the defaults) the crop draws exactly the random numbers it always did.
/// </remarks>
public sealed class RandomCrop : IAugmentation
{
    /// <summary>Redraws allowed by <see cref="CatMaxRatio"/> (MMSegmentation's 10).</summary>
    public const int CatMaxRatioRetries = 10;

    private readonly bool[] rare = new bool[256];

    /// <param name="height">Output height in pixels.</param>
    /// <param name="width">Output width in pixels.</param>
    /// <param name="imagePad">Pad value per image channel (length 1 = all channels); null = 0.</param>
    /// <param name="rareClasses">Class indices whose pixels rare-class crops are centred on; null or empty = none.</param>
    /// <param name="rareCropP">Probability in [0, 1] of a rare-class crop.</param>
    /// <param name="catMaxRatio">Largest share (0, 1] of a window's labelled pixels one class may cover; 1 = off.</param>
    public RandomCrop(int height, int width, IReadOnlyList<byte>? imagePad = null, IReadOnlyList<int>? rareClasses = null,
        double rareCropP = 0, double catMaxRatio = 1.0)
    {
        if (height <= 0 || width <= 0) throw new SharpSegException($"crop: [{height}, {width}] must be two positive sizes [H, W], e.g. crop: [256, 256].");
        if (!(rareCropP >= 0 && rareCropP <= 1)) throw new SharpSegException($"rare_crop_p: {rareCropP} must be a probability in [0, 1].");
        if (!(catMaxRatio > 0 && catMaxRatio <= 1)) throw new SharpSegException($"cat_max_ratio: {catMaxRatio} must be in (0, 1]; 1 turns it off, 0.75 is MMSegmentation's usual value.");
        Height = height; Width = width;
        ImagePad = imagePad ?? [0];
        if (ImagePad.Count == 0) throw new ArgumentException("imagePad must have at least one value", nameof(imagePad));
        RareClasses = rareClasses?.ToArray() ?? [];
        foreach (int c in RareClasses)
        {
            if (c < 0 || c >= LabelMask.Ignore) throw new SharpSegException($"rare_classes: {c} is not a class index (0..254).");
            rare[c] = true;
        }
        RareCropP = RareClasses.Count == 0 ? 0 : rareCropP;
        CatMaxRatio = catMaxRatio;
    }

    public int Height { get; }
    public int Width { get; }
    public IReadOnlyList<byte> ImagePad { get; }

    /// <summary>Class indices that rare-class crops centre on (empty = none).</summary>
    public IReadOnlyList<int> RareClasses { get; }

    /// <summary>Probability of a rare-class crop (0 when <see cref="RareClasses"/> is empty).</summary>
    public double RareCropP { get; }

    /// <summary>Largest share of a window's labelled pixels one class may cover before the window is redrawn; 1 = off.</summary>
    public double CatMaxRatio { get; }

    private bool NeedsMask => RareCropP > 0 || CatMaxRatio < 1;

    public SegmentationSample Apply(SegmentationSample sample, Random rng)
    {
        Resampling.RequireSameSize(sample);
        var (x0, y0) = NeedsMask ? ChooseOrigin(sample.Mask, rng) : DrawOrigin(sample.Image.Width, sample.Image.Height, rng);
        return Cut(sample, x0, y0);
    }

    /// <summary>
    /// The window origin for <paramref name="mask"/> (the sample at the size it is cut from): a rare-class centre with
    /// probability <see cref="RareCropP"/>, else a random origin redrawn while <see cref="CatMaxRatio"/> rejects it.
    /// </summary>
    internal (int X0, int Y0) ChooseOrigin(LabelMask mask, Random rng)
    {
        int sw = mask.Width, sh = mask.Height;
        if (RareCropP > 0 && rng.NextDouble() < RareCropP && PickRarePixel(mask, rng) is var (px, py))
        {
            int x0 = Math.Clamp(px - Width / 2, Math.Min(0, sw - Width), Math.Max(0, sw - Width));
            int y0 = Math.Clamp(py - Height / 2, Math.Min(0, sh - Height), Math.Max(0, sh - Height));
            return (x0, y0);
        }
        var origin = DrawOrigin(sw, sh, rng);
        if (CatMaxRatio < 1)
        {
            for (int attempt = 0; attempt < CatMaxRatioRetries && IsDominated(mask, origin.X0, origin.Y0); attempt++)
                origin = DrawOrigin(sw, sh, rng);
        }
        return origin;
    }

    /// <summary>A pixel drawn uniformly among those of the rare classes, or null when there is none.</summary>
    private (int X, int Y)? PickRarePixel(LabelMask mask, Random rng)
    {
        var labels = mask.Labels;
        int count = 0;
        foreach (byte v in labels) if (rare[v]) count++;
        if (count == 0) return null;
        int k = rng.Next(count);
        for (int i = 0; i < labels.Length; i++)
            if (rare[labels[i]] && k-- == 0) return (i % mask.Width, i / mask.Width);
        throw new InvalidOperationException("unreachable: rare pixel count changed");
    }

    /// <summary>
    /// MMSegmentation's test: the window at (x0, y0) is rejected unless it holds at least two classes and the largest
    /// covers less than <see cref="CatMaxRatio"/> of its labelled pixels (ignore and padding excluded).
    /// </summary>
    internal bool IsDominated(LabelMask mask, int x0, int y0)
    {
        Span<int> counts = stackalloc int[256];
        int ox0 = Math.Max(0, x0), ox1 = Math.Min(mask.Width, x0 + Width);
        int oy0 = Math.Max(0, y0), oy1 = Math.Min(mask.Height, y0 + Height);
        var labels = mask.Labels;
        for (int y = oy0; y < oy1; y++)
            for (int x = ox0; x < ox1; x++) counts[labels[y * mask.Width + x]]++;
        counts[LabelMask.Ignore] = 0;
        int total = 0, max = 0, classes = 0;
        foreach (int n in counts)
        {
            if (n == 0) continue;
            total += n; classes++;
            if (n > max) max = n;
        }
        return !(classes > 1 && max < CatMaxRatio * total);
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
        // Rare-class centring and cat_max_ratio look at the mask at the scaled size (a byte per pixel, cheap next to the image).
        var (x0, y0) = !NeedsMask ? DrawOrigin(w, h, rng)
            : ChooseOrigin(w == sample.Mask.Width && h == sample.Mask.Height ? sample.Mask : Resampling.ResizeNearest(sample.Mask, w, h), rng);
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
