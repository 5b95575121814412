using System.Globalization;

namespace SharpSeg.Inference;

/// <summary>
/// How one image is turned into a mask. The default (no tile size, no TTA) is whole-image inference, exactly as
/// <see cref="Predictor.Predict(SharpSeg.Imaging.RgbImage)"/>.
/// </summary>
/// <param name="TileSize">Square tile side in image pixels; null = whole image (but see <see cref="AutoTile"/>). An image
/// whose width and height both fit within the tile is still inferred whole.</param>
/// <param name="Overlap">Overlap of neighbouring tiles: a value in [0, 1) is a fraction of the tile side, a value ≥ 1 a
/// number of pixels (must be less than the tile side).</param>
/// <param name="Blend">Weight window used to stitch overlapping tiles.</param>
/// <param name="Tta">Test-time augmentation, applied per tile (or to the whole image); null = none.</param>
/// <param name="KeepProbabilities">Also return the stitched softmax probabilities <c>[C, H, W]</c> (costs C·H·W·4 bytes).</param>
public sealed record InferenceOptions(int? TileSize = null, double Overlap = 0.25, BlendWindow Blend = BlendWindow.Gaussian,
    TestTimeAugmentation? Tta = null, bool KeepProbabilities = false)
{
    /// <summary>Whole-image inference (tiled past <see cref="AutoTilePixels"/>), no TTA.</summary>
    public static InferenceOptions Default { get; } = new();

    /// <summary>With no <see cref="TileSize"/>: an image that the network would see at more than
    /// <see cref="AutoTilePixels"/> is inferred in tiles of <see cref="AutoTileSide"/> network pixels (<see cref="For"/>),
    /// so memory stays bounded whatever the image (a 24-megapixel photo took 9.7 GB whole with a width-8 U-Net). False
    /// (<c>--tile 0</c>): always whole.</summary>
    public bool AutoTile { get; init; } = true;

    /// <summary>The network input size (pixels, after the model's inference scale) above which <see cref="AutoTile"/>
    /// tiles: 2048 × 2048. CamVid (960 × 720), Cityscapes (2048 × 1024) and ISBI (512 × 512) stay whole.</summary>
    public const long AutoTilePixels = 2048L * 2048;

    /// <summary>The tile side, in network pixels, that <see cref="AutoTile"/> uses.</summary>
    public const int AutoTileSide = 1024;

    /// <summary>These options for one image of <paramref name="width"/> × <paramref name="height"/> read by a model at
    /// <paramref name="inferenceScale"/>: with <see cref="AutoTile"/> and no tile size, a tile size of
    /// <see cref="AutoTileSide"/> network pixels when the image is larger than <see cref="AutoTilePixels"/> there;
    /// otherwise unchanged (and always for a <paramref name="backend"/> that outputs class indices, an ONNX model
    /// exported with --argmax). Idempotent.</summary>
    public InferenceOptions For(int width, int height, double inferenceScale, IInferenceBackend? backend = null)
    {
        // A model exported with --argmax outputs class indices, which cannot be stitched from tiles: always whole.
        if (backend is OnnxRuntimeBackend { Metadata.OutputsLabels: true }) return this;
        if (TileSize != null || !AutoTile || (double)width * height * inferenceScale * inferenceScale <= AutoTilePixels) return this;
        return this with { TileSize = Math.Clamp((int)Math.Round(AutoTileSide / inferenceScale), 16, 16384) };
    }

    /// <summary>The overlap in pixels for a tile side of <paramref name="tile"/>.</summary>
    public int OverlapPixels(int tile) => Overlap < 1 ? (int)Math.Round(Overlap * tile) : (int)Overlap;

    /// <summary>
    /// Builds validated options from command-line values: <c>--tile</c> (0: whole image, never tiled), <c>--overlap</c>, <c>--blend</c>
    /// (gaussian | linear | uniform), <c>--tta-flip</c>, <c>--tta-scales</c> (e.g. "0.75,1,1.25"). Bad values are one-line errors.
    /// </summary>
    public static InferenceOptions FromFlags(int? tile, double overlap, string? blend, bool ttaFlip, string? ttaScales)
    {
        var window = BlendWindow.Gaussian;
        if (blend != null && (!Enum.TryParse(blend, ignoreCase: true, out window) || !Enum.IsDefined(window) || int.TryParse(blend, out _)))
            throw new SharpSegException($"--blend '{blend}': use gaussian, linear or uniform.");
        var scales = ttaScales == null ? new[] { 1.0 } : TestTimeAugmentation.ParseScales(ttaScales);
        var tta = new TestTimeAugmentation(ttaFlip, scales);
        var options = new InferenceOptions(tile == 0 ? null : tile, overlap, window, tta.IsIdentity ? null : tta) { AutoTile = tile != 0 };
        options.Validate();
        return options;
    }

    /// <summary>Throws a one-line <see cref="SharpSegException"/> naming the CLI flag when a value is out of range.</summary>
    public void Validate()
    {
        if (TileSize is int t && (t < 16 || t > 16384)) throw new SharpSegException($"--tile {t}: tile side must be between 16 and 16384 pixels (e.g. 512), or 0 for the whole image.");
        if (!(Overlap >= 0) || double.IsInfinity(Overlap))
            throw new SharpSegException($"--overlap {Overlap.ToString(CultureInfo.InvariantCulture)}: give a fraction in [0, 1) of the tile (e.g. 0.25) or a pixel count smaller than the tile.");
        if (Overlap >= 1 && Overlap != Math.Floor(Overlap))
            throw new SharpSegException($"--overlap {Overlap.ToString(CultureInfo.InvariantCulture)}: an overlap of 1 or more is a pixel count and must be a whole number.");
        if (TileSize is int tile && OverlapPixels(tile) >= tile)
            throw new SharpSegException($"--overlap {Overlap.ToString(CultureInfo.InvariantCulture)}: {OverlapPixels(tile)} pixels is not smaller than the tile side {tile}.");
        Tta?.Validate();
    }
}
