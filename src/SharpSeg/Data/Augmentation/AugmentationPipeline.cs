using SharpSeg.Data.Loading;
namespace SharpSeg.Data.Augmentation;

/// <summary>An ordered list of augmentations applied one after the other; itself an <see cref="IAugmentation"/>.</summary>
public sealed class AugmentationPipeline : IAugmentation
{
    public AugmentationPipeline(IEnumerable<IAugmentation> steps) => Steps = steps.ToArray();

    /// <summary>The operations, in the order they are applied.</summary>
    public IReadOnlyList<IAugmentation> Steps { get; }

    /// <summary>The pipeline that leaves samples as they are.</summary>
    public static AugmentationPipeline Identity { get; } = new([]);

    public SegmentationSample Apply(SegmentationSample sample, Random rng)
    {
        var steps = Steps;
        for (int i = 0; i < steps.Count; i++)
        {
            // Scale then crop is done in one pass over the crop window only; the result is identical.
            if (steps[i] is RandomScale scale && i + 1 < steps.Count && steps[i + 1] is RandomCrop crop)
            {
                sample = crop.ApplyAfterScale(scale, sample, rng);
                i++;
                continue;
            }
            sample = steps[i].Apply(sample, rng);
        }
        return sample;
    }

    /// <summary>
    /// The training pipeline for <paramref name="options"/>: scale → crop → hflip → vflip → rotate → colour jitter → blur →
    /// noise, leaving out disabled operations. <paramref name="normalization"/> is needed only for <c>pad: mean</c>.
    /// Invalid values are a <see cref="SharpSegException"/> naming the key.
    /// </summary>
    public static AugmentationPipeline Build(AugmentationOptions options, Normalization? normalization = null)
    {
        var steps = new List<IAugmentation>();
        var scale = Pair(options.Scale, "scale", "[0.5, 2.0]");
        if (!(scale[0] == 1 && scale[1] == 1)) steps.Add(new RandomScale(scale[0], scale[1]));
        if (options.Crop != null)
        {
            var crop = SizePair(options.Crop, "crop");
            IReadOnlyList<byte> pad = options.Pad.Trim().ToLowerInvariant() switch
            {
                "zero" or "0" => [0],
                "mean" => (normalization ?? throw new SharpSegException("pad: mean needs the normalisation (mean) to pad with; pass it to AugmentationPipeline.Build.")).MeanBytes(),
                _ => throw new SharpSegException($"pad: '{options.Pad}' is not known; use 'zero' or 'mean'."),
            };
            if (options.RareCropP > 0 && options.RareClasses == null)
                throw new SharpSegException("rare_classes: auto must first be resolved to class indices from the training split's statistics (training does this); or give a list, e.g. rare_classes: [3, 7].");
            steps.Add(new RandomCrop(crop[0], crop[1], pad, options.RareClasses, options.RareCropP, options.CatMaxRatio));
        }
        else if (options.RareCropP > 0 || options.CatMaxRatio < 1)
            throw new SharpSegException("rare_crop_p and cat_max_ratio choose where a crop is cut: set crop: [H, W] too.");
        if (options.Hflip > 0) steps.Add(new HorizontalFlip(options.Hflip));
        else if (options.Hflip < 0) throw new SharpSegException($"hflip: {options.Hflip} must be a probability in [0, 1].");
        if (options.Vflip != 0) steps.Add(new VerticalFlip(options.Vflip));
        if (options.Rotate != 0) steps.Add(new RandomRotation(options.Rotate));
        if (options.Brightness != 0 || options.Contrast != 0 || options.Saturation != 0 || options.Hue != 0)
            steps.Add(new ColorJitter(options.Brightness, options.Contrast, options.Saturation, options.Hue));
        if (options.Blur != 0)
        {
            var sigma = Pair(options.BlurSigma, "blur_sigma", "[0.1, 2.0]");
            steps.Add(new GaussianBlur(options.Blur, sigma[0], sigma[1]));
        }
        if (options.Noise != 0) steps.Add(new GaussianNoise(options.NoiseP, options.Noise));
        return new AugmentationPipeline(steps);
    }

    /// <summary>The deterministic evaluation pipeline: nothing, or a fixed resize when <c>eval_resize</c> is set.</summary>
    public static AugmentationPipeline BuildEvaluation(AugmentationOptions options)
    {
        if (options.EvalResize == null) return Identity;
        var size = SizePair(options.EvalResize, "eval_resize");
        return new AugmentationPipeline([new Resize(size[0], size[1])]);
    }

    static double[] Pair(double[]? v, string key, string example)
    {
        if (v == null || v.Length != 2) throw new SharpSegException($"{key}: give two numbers [min, max], e.g. {key}: {example}.");
        return v;
    }

    static int[] SizePair(int[] v, string key)
    {
        if (v.Length != 2 || v[0] <= 0 || v[1] <= 0) throw new SharpSegException($"{key}: give two positive sizes [H, W] in pixels, e.g. {key}: [256, 256].");
        return v;
    }
}
