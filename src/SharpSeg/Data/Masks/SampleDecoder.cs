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
            return new SegmentationSample(pair.Id, whole, Filled(whole.Width, whole.Height, fill));
        }
        if (pair.MaskPath == null)
            throw new SharpSegException($"{pair.ImagePath}: image has no mask (unlabelled split) but a labelled sample was asked for; use a split with masks.");
        var mask = Masks.Decode(pair.MaskPath);
        var image = Spec.LoadImage(pair.ImagePath);
        if (mask.Width != image.Width || mask.Height != image.Height)
            throw new SharpSegException(SizeMismatchMessage(pair, mask.Width, mask.Height, image.Width, image.Height));
        return new SegmentationSample(pair.Id, image, mask);
    }

    /// <summary>The mask of an image without a mask file (<see cref="SamplePair.FillClass"/>): every pixel that class.</summary>
    internal static LabelMask Filled(int width, int height, int fill)
    {
        var labels = new byte[width * height];
        Array.Fill(labels, (byte)fill);
        return new LabelMask(width, height, labels);
    }

    internal static string SizeMismatchMessage(SamplePair pair, int mw, int mh, int iw, int ih) =>
        $"mask {mw}x{mh} does not match image {iw}x{ih}: {pair.MaskPath} (image {pair.ImagePath}); re-export the mask at the image's size.";
}
