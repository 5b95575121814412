using System.ComponentModel;
using SharpSeg.Inference;
using Spectre.Console.Cli;

namespace SharpSeg.Cli.Commands;

/// <summary>Tiling and test-time augmentation flags shared by <c>predict</c> and <c>eval</c>.</summary>
public class InferenceCommandSettings : ImageReadingSettings
{
    [CommandOption("--tile <PX>")][Description("Sliding-window inference with square tiles of this many pixels (e.g. 512); default: whole image, tiled past 4.2 megapixels at the model's scale to bound memory; 0: always whole")] public int? Tile { get; init; }
    [CommandOption("--overlap <F|PX>")][Description("Tile overlap: a fraction of the tile below 1 (default 0.25) or whole pixels")] public double Overlap { get; init; } = 0.25;
    [CommandOption("--blend <WINDOW>")][Description("Tile blend weights: gaussian (default) | linear | uniform")] public string? Blend { get; init; }
    [CommandOption("--tta-flip")][Description("Test-time augmentation: also run on the horizontally flipped image and average probabilities")] public bool TtaFlip { get; init; }
    [CommandOption("--tta-scales <LIST>")][Description("Test-time augmentation scales, e.g. 0.75,1,1.25 (probabilities averaged)")] public string? TtaScales { get; init; }

    /// <summary>The flags as validated <see cref="InferenceOptions"/>.</summary>
    public InferenceOptions ToInferenceOptions() => InferenceOptions.FromFlags(Tile, Overlap, Blend, TtaFlip, TtaScales);
}
