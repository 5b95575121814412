using SharpSeg.Imaging;
using SharpSeg.Data.Dataset;
using SharpSeg.Data.Loading;

namespace SharpSeg.Data.Masks;

/// <summary>
/// Decodes an image/mask pair of a dataset: the image through <see cref="ImageFile.Load"/> with the dataset's
/// <see cref="DatasetSpec.ImageChannels"/> and <see cref="DatasetSpec.ImageRange"/> (alpha dropped), the mask through <see cref="MaskDecoder"/>. A size
/// mismatch, an unreadable file or an undefined mask value is a one-line <see cref="SharpSegException"/>.
/// Thread-safe.
/// </summary>
public sealed class SampleDecoder
{
    public SampleDecoder(DatasetSpec spec)
    {
        Spec = spec;
        Masks = new MaskDecoder(spec);
    }

    public DatasetSpec Spec { get; }
    public MaskDecoder Masks { get; }

    /// <summary>Decodes both files. An unlabelled pair (no mask) is an error: read unlabelled images with <see cref="ImageFile.Load"/>.</summary>
    public SegmentationSample Decode(SamplePair pair)
    {
        if (pair.FillClass is { } fill)
        {
            var whole = Spec.LoadImage(pair.ImagePath);
            return new SegmentationSample(pair.Id, whole, WithinRoi(pair, Filled(whole.Width, whole.Height, fill)));
        }
        if (pair.MaskPath == null)
            throw new SharpSegException($"{pair.ImagePath}: image has no mask (unlabelled split) but a labelled sample was asked for; use a split with masks.");
        var mask = Masks.Decode(pair.MaskPath);
        var image = Spec.LoadImage(pair.ImagePath);
        if (mask.Width != image.Width || mask.Height != image.Height)
            throw new SharpSegException(SizeMismatchMessage(pair, mask.Width, mask.Height, image.Width, image.Height));
        return new SegmentationSample(pair.Id, image, WithinRoi(pair, mask));
    }

    /// <summary>The mask with every pixel outside the pair's region of interest (<see cref="SamplePair.RoiPath"/>: 0 in
    /// it, or below half its largest value, so 0/1 and 0/255 ROI files alike) set to ignore; the mask itself when the
    /// pair has none. An unreadable ROI file, or one of another size, is one line.</summary>
    public static LabelMask WithinRoi(SamplePair pair, LabelMask mask)
    {
        if (pair.RoiPath == null) return mask;
        RgbImage roi;
        try { roi = ImageFile.Load(pair.RoiPath, channels: 1); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new SharpSegException($"{pair.RoiPath}: cannot read the region-of-interest file ({e.Message})."); }
        if (roi.Width != mask.Width || roi.Height != mask.Height)
            throw new SharpSegException($"region of interest {roi.Width}x{roi.Height} does not match mask {mask.Width}x{mask.Height}: {pair.RoiPath} (image {pair.ImagePath}); re-export it at the image's size.");
        int max = 0;
        foreach (byte v in roi.Pixels) if (v > max) max = v;
        var labels = (byte[])mask.Labels.Clone();
        for (int i = 0; i < labels.Length; i++)
            if (roi.Pixels[i] * 2 <= max) labels[i] = LabelMask.Ignore;
        return new LabelMask(mask.Width, mask.Height, labels);
    }

    /// <summary>The mask of an image without a mask file (<see cref="SamplePair.FillClass"/>): every pixel that class.</summary>
    internal static LabelMask Filled(int width, int height, int fill)
    {
        var labels = new byte[width * height];
        Array.Fill(labels, (byte)fill);
        return new LabelMask(width, height, labels);
    }

    /// <summary>The one line for a mask whose size is not its image's; when the image's EXIF orientation turned it a
    /// quarter and the mask has the stored size, it says so (the mask was drawn by a tool that ignores the orientation).</summary>
    internal static string SizeMismatchMessage(SamplePair pair, int mw, int mh, int iw, int ih)
    {
        string head = $"mask {mw}x{mh} does not match image {iw}x{ih}: {pair.MaskPath} (image {pair.ImagePath})";
        if (mw == ih && mh == iw && mw != mh && ImageFile.ExifOrigin(pair.ImagePath) is var origin && (int)origin >= 5)
            return $"{head}; the image's EXIF orientation shows it {ImageFile.DescribeOrigin(origin)} (stored {ih}x{iw}), and SharpSeg reads it as shown, as viewers and annotation tools do, while the mask has the stored size: draw the mask on the shown image, or remove the orientation tag from the images (e.g. exiftool -Orientation=1 -n) if the masks match the stored pixels.";
        return $"{head}; re-export the mask at the image's size.";
    }
}
