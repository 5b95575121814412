namespace SharpSeg.Data.Synthetic;

/// <summary>
/// Settings of the generated scene dataset. Defaults (128×128, 160 train, 40 val) are small enough for a tiny U-Net to
/// learn in minutes on a laptop CPU, and hard enough that a broken pipeline cannot score well.
/// </summary>
public sealed record SyntheticSceneOptions
{
    /// <summary>Number of training images.</summary>
    public int Train { get; init; } = 160;

    /// <summary>Number of validation images.</summary>
    public int Val { get; init; } = 40;

    /// <summary>Image width in pixels.</summary>
    public int Width { get; init; } = 128;

    /// <summary>Image height in pixels.</summary>
    public int Height { get; init; } = 128;

    /// <summary>Seed of every random draw; the same seed gives byte-identical files.</summary>
    public int Seed { get; init; }

    /// <summary>Standard deviation of the Gaussian pixel noise, in grey levels (0–255).</summary>
    public double NoiseStd { get; init; } = 6.0;

    /// <summary>Checks the values; a bad one is a <see cref="SharpSegException"/> saying which.</summary>
    public void Validate()
    {
        if (Width < 16 || Height < 16 || Width > 8192 || Height > 8192)
            throw new SharpSegException($"synthetic image size {Width}x{Height} is out of range; use 16 to 8192 pixels per side, e.g. --size 128x128.");
        if (Train < 0 || Val < 0 || Train + Val == 0 || Train > 1_000_000 || Val > 1_000_000)
            throw new SharpSegException($"synthetic dataset needs a non-negative number of train ({Train}) and val ({Val}) images, not both zero.");
        if (!(NoiseStd >= 0 && NoiseStd <= 128)) throw new SharpSegException($"synthetic noise std {NoiseStd} must be in [0, 128] grey levels.");
    }
}
