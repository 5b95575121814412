using SharpSeg.Imaging;
using SharpSeg.Inference;
using SharpSeg.Video;

namespace SharpSeg.Portrait;

/// <summary>What <c>sharpseg portrait</c> does to the background.</summary>
public enum PortraitEffectKind
{
    /// <summary>The person sharp over a blurred copy of the picture.</summary>
    Blur,
    /// <summary>The person over another picture (<see cref="PortraitOptions.BackgroundImage"/>).</summary>
    Replace,
    /// <summary>The person alone on a transparent background (RGBA PNG; still images only).</summary>
    Cutout,
}

/// <summary>How <see cref="PortraitEffects"/> composes a portrait.</summary>
public sealed record PortraitOptions
{
    public PortraitEffectKind Effect { get; init; } = PortraitEffectKind.Blur;

    /// <summary>The picture behind the person for <see cref="PortraitEffectKind.Replace"/>.</summary>
    public string? BackgroundImage { get; init; }

    /// <summary>Refine the mask's edges with the image as guide (<see cref="GuidedFilter"/>); on by default.</summary>
    public bool Refine { get; init; } = true;

    /// <summary>The guided filter's radius (null: <see cref="GuidedFilter.DefaultRadius"/>).</summary>
    public int? RefineRadius { get; init; }

    /// <summary>The model runs on a copy reduced to at most this many pixels on the longer side
    /// (<see cref="WorkingResolution"/>; null or 0: full resolution). The default, 512, is twice the selfie models' input.</summary>
    public int? WorkingSize { get; init; } = DefaultWorkingSize;

    /// <summary>The default <see cref="WorkingSize"/>.</summary>
    public const int DefaultWorkingSize = 512;

    /// <summary>Background blur radius (null: <see cref="Compositing.DefaultBlurRadius"/>).</summary>
    public int? BlurRadius { get; init; }

    /// <summary>Foreground classes (null: every class but the first, i.e. the person of the selfie models).</summary>
    public IReadOnlyList<int>? Foreground { get; init; }

    /// <summary>Parses <c>blur</c>, <c>replace=IMAGE</c> or <c>cutout</c>.</summary>
    public static PortraitEffectKind Parse(string text, out string? backgroundImage)
    {
        backgroundImage = null;
        string t = text.Trim();
        if (t.StartsWith("replace=", StringComparison.OrdinalIgnoreCase)) { backgroundImage = t["replace=".Length..]; return PortraitEffectKind.Replace; }
        return t.ToLowerInvariant() switch
        {
            "blur" => PortraitEffectKind.Blur,
            "cutout" => PortraitEffectKind.Cutout,
            "replace" => throw new SharpSegException("--effect replace needs the picture: --effect replace=beach.jpg."),
            _ => throw new SharpSegException($"--effect '{text}' is not known: use blur, replace=IMAGE or cutout."),
        };
    }

    public void Validate(int classes)
    {
        if (Effect == PortraitEffectKind.Replace && (BackgroundImage is null || !File.Exists(BackgroundImage)))
            throw new SharpSegException($"{BackgroundImage ?? "(none)"}: background picture not found (--effect replace=IMAGE).");
        if (WorkingSize is > 0 and < 32) throw new SharpSegException($"--working-size {WorkingSize}: must be at least 32 pixels (0: full resolution).");
        if (RefineRadius is < 1) throw new SharpSegException($"--refine-radius {RefineRadius}: must be at least 1.");
        if (BlurRadius is < 1 or > 500) throw new SharpSegException($"--blur-radius {BlurRadius}: must be 1..500 pixels.");
        if (classes < 2) throw new SharpSegException($"a portrait needs a model with a background and at least one foreground class; this one has {classes} class.");
        if (Foreground is { } fg && fg.Any(c => c < 0 || c >= classes)) throw new SharpSegException($"a foreground class is outside the model's {classes} classes.");
    }

    /// <summary>The same effect for <see cref="VideoSegmentation"/> (blur → blur-background, replace → replace-background).</summary>
    public VideoOptions ToVideo(VideoOptions? template = null)
    {
        if (Effect == PortraitEffectKind.Cutout)
            throw new SharpSegException("--effect cutout makes transparent PNGs and works on images only; for a video use blur or replace=IMAGE (or `sharpseg video --render mask` for the masks).");
        return (template ?? new VideoOptions()) with
        {
            Render = Effect == PortraitEffectKind.Blur ? VideoRender.BlurBackground : VideoRender.ReplaceBackground,
            BackgroundImage = BackgroundImage, Refine = Refine, RefineRadius = RefineRadius, BlurRadius = BlurRadius, Foreground = Foreground,
            WorkingSize = WorkingSize is > 0 ? WorkingSize : null,
        };
    }
}

/// <summary>A composed portrait: the picture, and for a cut-out the alpha per pixel (0..255); the soft person mask in [0, 1].</summary>
public sealed record PortraitResult(RgbImage Image, byte[]? Alpha, float[] Mask)
{
    /// <summary>Writes the result as PNG (RGBA for a cut-out).</summary>
    public void Save(string path)
    {
        if (!Path.GetExtension(path).Equals(".png", StringComparison.OrdinalIgnoreCase))
            throw new SharpSegException($"{path}: portraits are written as PNG; give an output ending in .png.");
        if (Alpha is { } a) ImageFile.SavePngWithAlpha(Image, a, path);
        else ImageFile.SavePng(Image, path);
    }
}

/// <summary>Portrait effects on still images (<c>sharpseg portrait</c>): the person's soft mask from a segmentation
/// model (the built-in <see cref="SelfieSegmentation"/> by default), refined at the edges, then a blurred or replaced
/// background or a cut-out. Videos take the same effects through <see cref="PortraitOptions.ToVideo"/>.</summary>
public static class PortraitEffects
{
    /// <summary>The person's probability per pixel of <paramref name="image"/> (summed over the foreground classes),
    /// refined when <see cref="PortraitOptions.Refine"/>, as a field held at the working size (<see cref="AlphaField"/>).</summary>
    public static AlphaField Alpha(Predictor predictor, RgbImage image, PortraitOptions options) => AlphaOf(predictor, Reduce(predictor, image, options), options);

    static AlphaField AlphaOf(Predictor predictor, ReducedInference reduced, PortraitOptions options) =>
        Compositing.ForegroundAlpha(reduced, options.Foreground ?? Enumerable.Range(1, predictor.ClassNames.Count - 1).ToList(), options.Refine, options.RefineRadius);

    static ReducedInference Reduce(Predictor predictor, RgbImage image, PortraitOptions options)
    {
        ArgumentNullException.ThrowIfNull(predictor);
        options.Validate(predictor.ClassNames.Count);
        return WorkingResolution.InferReduced(predictor, image.WithChannels(predictor.Info.ImageChannels), InferenceOptions.Default with { KeepProbabilities = true }, options.WorkingSize);
    }

    /// <summary><see cref="Alpha"/> at full size, one value in [0, 1] per pixel.</summary>
    public static float[] Mask(Predictor predictor, RgbImage image, PortraitOptions options) => Alpha(predictor, image, options).Evaluate(image);

    /// <summary>Composes <paramref name="image"/> as <paramref name="options"/> says.</summary>
    public static PortraitResult Apply(Predictor predictor, RgbImage image, PortraitOptions options)
    {
        var reduced = Reduce(predictor, image, options);
        var alpha = AlphaOf(predictor, reduced, options);
        var rgb = image.WithChannels(3);
        var mask = alpha.Evaluate(image);
        if (options.Effect == PortraitEffectKind.Cutout)
            return new PortraitResult(rgb, mask.Select(a => (byte)Math.Clamp(MathF.Round(a * 255), 0, 255)).ToArray(), mask);
        var replacement = options.Effect == PortraitEffectKind.Replace ? Backdrop.Of(Compositing.Cover(ImageFile.Load(options.BackgroundImage!, 3), rgb.Width, rgb.Height)) : null;
        return new PortraitResult(Compositing.Compose(rgb, alpha, replacement, options.BlurRadius, reduced.Image), null, mask);
    }
}
