using SharpSeg.Imaging;
using SharpSeg.Inference;
using SharpSeg.Video;

namespace SharpSeg.Portrait;

/// <summary>What <c>sharpseg portrait</c> does to the background.</summary>
public enum PortraitEffectKind
{
    /// <summary>The person sharp over a blurred copy of the picture.</summary>
    Blur,
    /// <summary>The person over another picture (<see cref="BackgroundEffect.BackgroundImage"/>).</summary>
    Replace,
    /// <summary>The person alone on a transparent background (RGBA PNG; still images only).</summary>
    Cutout,
}

/// <summary>How <see cref="PortraitEffects"/> composes a portrait.</summary>
public sealed record PortraitOptions
{
    public PortraitEffectKind Effect { get; init; } = PortraitEffectKind.Blur;

    /// <summary>The foreground, the replacing picture (<see cref="PortraitEffectKind.Replace"/>), edge refinement (on by
    /// default), blur and working size (default <see cref="DefaultWorkingSize"/>).</summary>
    public BackgroundEffect Background { get; init; } = new() { Refine = true, WorkingSize = DefaultWorkingSize };

    /// <summary>The default working size: the model runs on a copy at most this many pixels on the longer side, twice the
    /// selfie models' input.</summary>
    public const int DefaultWorkingSize = 512;

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
        if (classes < 2) throw new SharpSegException($"a portrait needs a model with a background and at least one foreground class; this one has {classes} class.");
        Background.Validate(classes, Effect == PortraitEffectKind.Replace, "--effect replace=IMAGE");
    }

    /// <summary>The same effect for <see cref="VideoSegmentation"/> (blur → blur-background, replace → replace-background).</summary>
    public VideoOptions ToVideo(VideoOptions? template = null)
    {
        if (Effect == PortraitEffectKind.Cutout)
            throw new SharpSegException("--effect cutout makes transparent PNGs and works on images only; for a video use blur or replace=IMAGE (or `sharpseg video --render mask` for the masks).");
        return (template ?? new VideoOptions()) with
        {
            Render = Effect == PortraitEffectKind.Blur ? VideoRender.BlurBackground : VideoRender.ReplaceBackground,
            Background = Background,
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
    /// refined when <see cref="BackgroundEffect.Refine"/>, as a field held at the working size (<see cref="AlphaField"/>).</summary>
    public static AlphaField Alpha(Predictor predictor, RgbImage image, PortraitOptions options) => AlphaOf(predictor, Reduce(predictor, image, options), options);

    static AlphaField AlphaOf(Predictor predictor, ReducedInference reduced, PortraitOptions options) =>
        Compositing.ForegroundAlpha(reduced, options.Background.ForegroundOf(predictor.ClassNames.Count), options.Background.Refine, options.Background.RefineRadius);

    static ReducedInference Reduce(Predictor predictor, RgbImage image, PortraitOptions options)
    {
        ArgumentNullException.ThrowIfNull(predictor);
        options.Validate(predictor.ClassNames.Count);
        return WorkingResolution.InferReduced(predictor, image.WithChannels(predictor.Info.ImageChannels), InferenceOptions.Default with { KeepProbabilities = true }, options.Background.ModelSize);
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
        var replacement = options.Effect == PortraitEffectKind.Replace ? Backdrop.Of(Compositing.Cover(ImageFile.Load(options.Background.BackgroundImage!, 3), rgb.Width, rgb.Height)) : null;
        return new PortraitResult(Compositing.Compose(rgb, alpha, replacement, options.Background.BlurRadius, reduced.Image), null, mask);
    }
}
