using SharpSeg.Imaging;

namespace SharpSeg.Inference;

/// <summary>
/// One segmented image: the class of every pixel, optionally the per-class probabilities, the pixel share of every
/// class, and renderings (class-index PNG, colour mask, overlay). Immutable; safe to read from any thread.
/// </summary>
public sealed class SegmentationResult
{
    readonly IReadOnlyList<Rgb> _colours;

    internal SegmentationResult(RgbImage image, InferenceResult inference, PredictionSummary summary, IReadOnlyList<Rgb> colours)
    {
        Image = image;
        ClassMap = inference.Mask;
        Probabilities = inference.Probabilities;
        Tiles = inference.Tiles;
        Classes = summary.Classes;
        Summary = summary;
        _colours = colours;
    }

    /// <summary>The decoded input image (its channel count is the model's: 3 = RGB, 1 = grayscale).</summary>
    public RgbImage Image { get; }

    /// <summary>Width of the image and of every map, in pixels.</summary>
    public int Width => ClassMap.Width;

    /// <summary>Height of the image and of every map, in pixels.</summary>
    public int Height => ClassMap.Height;

    /// <summary>The arg-max class index of every pixel, row-major (<c>Labels[y · Width + x]</c>), indices into
    /// <see cref="Classes"/>.</summary>
    public LabelMask ClassMap { get; }

    /// <summary>Softmax probabilities, class-major <c>[C, H, W]</c> (index <c>(c·H + y)·W + x</c>), when asked for with
    /// <see cref="InferenceOptions.KeepProbabilities"/>; otherwise null.</summary>
    public float[]? Probabilities { get; }

    /// <summary>Tiles the image was cut into (1 when inferred whole).</summary>
    public int Tiles { get; }

    /// <summary>Every class of the model in index order (including classes with no pixels): name, predicted pixel count
    /// and share of the image (0..1, rounded to 6 decimals) — the <c>classes</c> of <c>predict</c>'s
    /// <c>_summary.json</c>.</summary>
    public IReadOnlyList<PredictedClassShare> Classes { get; }

    /// <summary>What <c>predict</c> writes as <c>{stem}_summary.json</c> for this image.</summary>
    public PredictionSummary Summary { get; }

    /// <summary>The class index at pixel (<paramref name="x"/>, <paramref name="y"/>).</summary>
    public int ClassAt(int x, int y)
    {
        if ((uint)x >= (uint)Width || (uint)y >= (uint)Height)
            throw new ArgumentOutOfRangeException(nameof(x), $"pixel ({x}, {y}) is outside the {Width}x{Height} image");
        return ClassMap.Labels[y * Width + x];
    }

    /// <summary>The class map as an 8-bit grayscale PNG whose pixel values are class indices (the bytes of
    /// <c>predict</c>'s <c>_mask.png</c>).</summary>
    public byte[] MaskPng() => ImageFile.EncodeMaskPng(ClassMap);

    /// <summary>Every pixel in its class's colour (RGB).</summary>
    public RgbImage ColourMask() => MaskRenderer.ColourMask(ClassMap, _colours);

    /// <summary><see cref="ColourMask"/> as an RGB PNG (the bytes of <c>predict</c>'s <c>_color.png</c>).</summary>
    public byte[] ColourMaskPng() => ImageFile.EncodePng(ColourMask());

    /// <summary>The image blended with the class colours: (1 − <paramref name="opacity"/>)·image + opacity·colour,
    /// <paramref name="opacity"/> in [0, 1].</summary>
    public RgbImage Overlay(double opacity = 0.5) => MaskRenderer.Overlay(Image, ClassMap, _colours, opacity);

    /// <summary><see cref="Overlay"/> as an RGB PNG (the bytes of <c>predict</c>'s <c>_overlay.png</c> at the same opacity).</summary>
    public byte[] OverlayPng(double opacity = 0.5) => ImageFile.EncodePng(Overlay(opacity));
}
