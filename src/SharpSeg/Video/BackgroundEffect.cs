namespace SharpSeg.Video;

/// <summary>
/// What the background effects need to know, the same for a video (<see cref="VideoOptions.Background"/>) and a
/// portrait (<see cref="Portrait.PortraitOptions.Background"/>): which classes are the foreground, the picture that
/// replaces the background, how the foreground's edges are refined, the background blur and the size the model runs at.
/// </summary>
public sealed record BackgroundEffect
{
    /// <summary>The picture behind the foreground when the background is replaced.</summary>
    public string? BackgroundImage { get; init; }

    /// <summary>Foreground classes (null: every class but the first, e.g. the person of the selfie models).</summary>
    public IReadOnlyList<int>? Foreground { get; init; }

    /// <summary>Refine the foreground's edges with the picture as guide (<see cref="Imaging.GuidedFilter"/>).</summary>
    public bool Refine { get; init; }

    /// <summary>The guided filter's window radius (null: <see cref="Imaging.GuidedFilter.DefaultRadius"/>).</summary>
    public int? RefineRadius { get; init; }

    /// <summary>Run the model on a copy reduced by a whole factor to at most this many pixels on the longer side, results
    /// resized back (<see cref="Inference.WorkingResolution"/>); null or 0: full resolution.</summary>
    public int? WorkingSize { get; init; }

    /// <summary>Background blur radius in pixels (null: <see cref="Compositing.DefaultBlurRadius"/>).</summary>
    public int? BlurRadius { get; init; }

    /// <summary><see cref="WorkingSize"/>, with 0 (full resolution) as null.</summary>
    public int? ModelSize => WorkingSize is > 0 ? WorkingSize : null;

    /// <summary><see cref="Foreground"/>, or every class but the first of a model with <paramref name="classes"/> classes.</summary>
    public IReadOnlyList<int> ForegroundOf(int classes) => Foreground ?? Enumerable.Range(1, Math.Max(0, classes - 1)).ToList();

    /// <summary>Checks the settings for a model with <paramref name="classes"/> classes; <paramref name="replacing"/>: the
    /// background is replaced, so <see cref="BackgroundImage"/> must exist (<paramref name="replaceOption"/> names the option
    /// that gives it).</summary>
    public void Validate(int classes, bool replacing, string replaceOption)
    {
        if (WorkingSize is < 0 or (> 0 and < 32)) throw new SharpSegException($"--working-size {WorkingSize}: must be at least 32 pixels (0: full resolution).");
        if (RefineRadius is < 1) throw new SharpSegException($"--refine-radius {RefineRadius}: must be at least 1.");
        if (BlurRadius is < 1 or > 500) throw new SharpSegException($"--blur-radius {BlurRadius}: must be 1..500 pixels.");
        if (Foreground is { } fg && fg.Any(c => c < 0 || c >= classes)) throw new SharpSegException($"a foreground class is outside the model's {classes} classes.");
        if (replacing && (BackgroundImage is null || !File.Exists(BackgroundImage)))
            throw new SharpSegException($"{BackgroundImage ?? "(none)"}: background picture not found ({replaceOption}).");
    }
}
