using System.Globalization;

namespace SharpSeg.Cli.Commands;

/// <summary>How <c>data from-nifti</c> and <c>predict</c> read the options that slice a NIfTI volume: <c>--window</c>
/// and <c>--channels</c>, alike in both so that a model sees at prediction the slices it was trained on.</summary>
public static class VolumeArguments
{
    public const string AxisDescription = "NIfTI volumes: the axis to slice across: 2 (z, axial in most scans; default), 1 (y) or 0 (x)";
    public const string WindowDescription = "NIfTI volumes: intensities mapped to black and white, in the volume's units (CT: Hounsfield units, e.g. -160,240). Default: 0..255 as it is for 8-bit volumes, else each volume's 0.5th..99.5th percentile";
    public const string ChannelsDescription = "NIfTI volumes with several channels (4-D, or nnU-Net's _0000, _0001 files): one (gray) or three (RGB), e.g. 0 or 0,1,2";

    /// <summary><c>--window LOW,HIGH</c>, or null when not given.</summary>
    public static (double, double)? Window(string? text) => text == null ? null
        : text.Split(',') is [var a, var b] && double.TryParse(a, NumberStyles.Float, CultureInfo.InvariantCulture, out double low)
            && double.TryParse(b, NumberStyles.Float, CultureInfo.InvariantCulture, out double high) && double.IsFinite(low) && double.IsFinite(high)
            ? (low, high) : throw new SharpSegException($"--window '{text}': give two numbers LOW,HIGH in the volume's units, e.g. --window -160,240.");

    /// <summary><c>--channels 0</c> or <c>0,1,2</c>, or null when not given.</summary>
    public static int[]? Channels(string? text) => text?.Split(',', StringSplitOptions.TrimEntries).Select(t => int.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out int v) ? v
        : throw new SharpSegException($"--channels '{text}': give channel numbers, e.g. --channels 0 or --channels 0,1,2.")).ToArray();
}
