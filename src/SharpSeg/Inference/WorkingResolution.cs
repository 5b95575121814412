using SharpSeg.Imaging;

namespace SharpSeg.Inference;

/// <summary>
/// Inference on a reduced copy of a large image, with the results at the image's size: the image is reduced by a
/// whole factor (area means) until its longer side is at most a working size, the model runs on that, and the class
/// probabilities are resized back bilinearly (the mask is their arg-max). For models that look at a small fixed input
/// anyway (the 256-pixel selfie models) this gives the same masks as full resolution at a fraction of the cost on HD
/// frames, since the full-size tensors in and out are what cost there; portrait and video effects then refine the
/// edges against the full-resolution image (<see cref="Imaging.GuidedFilter"/>).
/// </summary>
public static class WorkingResolution
{
    /// <summary>The whole factor that brings the longer side of <paramref name="width"/>×<paramref name="height"/> to at
    /// most <paramref name="maxSide"/> (1: no reduction, also for null or 0).</summary>
    public static int Factor(int width, int height, int? maxSide) =>
        maxSide is int m && m > 0 ? Math.Max(1, (int)Math.Ceiling(Math.Max(width, height) / (double)m)) : 1;

    /// <summary><see cref="Predictor.Infer"/> at the working size <paramref name="maxSide"/> (null: full resolution);
    /// the result has <paramref name="image"/>'s size, with probabilities when <paramref name="options"/> keeps them.</summary>
    public static InferenceResult Infer(Predictor predictor, RgbImage image, InferenceOptions options, int? maxSide, CancellationToken cancellationToken = default)
    {
        int factor = Factor(image.Width, image.Height, maxSide);
        if (factor == 1) return predictor.Infer(image, options, cancellationToken: cancellationToken);
        var small = Planes.DownsampleArea(image, factor);
        var result = predictor.Infer(small, options with { KeepProbabilities = true }, cancellationToken: cancellationToken);
        int n = image.Width * image.Height, m = small.Width * small.Height, classes = result.Classes;
        var probabilities = new float[(long)classes * n];
        var plane = new float[m];
        for (int c = 0; c < classes; c++)
        {
            Array.Copy(result.Probabilities!, (long)c * m, plane, 0, m);
            Array.Copy(Planes.ResizeBilinear(plane, small.Width, small.Height, image.Width, image.Height), 0, probabilities, (long)c * n, n);
        }
        var mask = LabelMask.ArgMax(probabilities, classes, image.Width, image.Height);
        return new InferenceResult(mask, options.KeepProbabilities ? probabilities : null, classes, result.Tiles, result.AccumulatorBytes);
    }
}
