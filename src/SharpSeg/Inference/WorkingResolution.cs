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
    public static InferenceResult Infer(Predictor predictor, RgbImage image, InferenceOptions options, int? maxSide, CancellationToken cancellationToken = default) =>
        InferReduced(predictor, image, options, maxSide, cancellationToken).ToFullSize(options.KeepProbabilities);

    /// <summary>The model's result at the working size, before anything is resized back: what portrait and video effects
    /// compose from (<see cref="Imaging.AlphaField"/>), so the full-size planes are made only where asked for. A reduced
    /// result always keeps its probabilities.</summary>
    public static ReducedInference InferReduced(Predictor predictor, RgbImage image, InferenceOptions options, int? maxSide, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(predictor);
        int factor = Factor(image.Width, image.Height, maxSide);
        var small = factor == 1 ? image : Planes.DownsampleArea(image, factor);
        var result = predictor.Infer(small, factor == 1 ? options : options with { KeepProbabilities = true }, cancellationToken: cancellationToken);
        return new ReducedInference(small, result, image.Width, image.Height);
    }
}

/// <summary>A model's result on <see cref="Image"/>, a reduced copy of a <see cref="Width"/>×<see cref="Height"/> image
/// (or that image itself), before it is resized back.</summary>
public sealed record ReducedInference(RgbImage Image, InferenceResult Result, int Width, int Height)
{
    /// <summary>True when the model ran at full size.</summary>
    public bool IsFullSize => Image.Width == Width && Image.Height == Height;

    /// <summary>The result at full size: the probabilities resized back bilinearly (kept when
    /// <paramref name="keepProbabilities"/>), the mask their arg-max. Without probabilities the arg-max is resized in
    /// one pass (<see cref="Preprocessing.ResizedArgMax"/>), so no full-size plane is made.</summary>
    public InferenceResult ToFullSize(bool keepProbabilities)
    {
        if (IsFullSize) return keepProbabilities || Result.Probabilities is null ? Result : Result with { Probabilities = null };
        int classes = Result.Classes;
        if (!keepProbabilities)
        {
            var labels = new LabelMask(Width, Height);
            Preprocessing.ResizedArgMax(Result.Probabilities!, classes, Image.Width, Image.Height, Width, Height, labels.Labels);
            return new InferenceResult(labels, null, classes, Result.Tiles, Result.AccumulatorBytes);
        }
        int n = Width * Height, m = Image.Width * Image.Height;
        var probabilities = new float[(long)classes * n];
        var plane = new float[m];
        for (int c = 0; c < classes; c++)
        {
            Array.Copy(Result.Probabilities!, (long)c * m, plane, 0, m);
            Array.Copy(Planes.ResizeBilinear(plane, Image.Width, Image.Height, Width, Height), 0, probabilities, (long)c * n, n);
        }
        return new InferenceResult(LabelMask.ArgMax(probabilities, classes, Width, Height), probabilities, classes, Result.Tiles, Result.AccumulatorBytes);
    }
}
