using System.Globalization;
using System.Text.Json.Serialization;

namespace SharpSeg.Imaging;

/// <summary>
/// How NIfTI volumes are cut into the 2-D images a model sees: the axis sliced across, the intensities mapped to black
/// and white, and the channels read; and the label value each class had in the label volumes, where they were renumbered.
/// <c>data from-nifti</c> writes it into the dataset.yaml (<c>volumes:</c>), training keeps it in the checkpoint, and
/// <c>predict</c> on a volume cuts it the same way unless told otherwise, so a model never sees at prediction other
/// pictures than it was trained on, and writes its label volumes in the values of the training labels.
/// </summary>
public sealed record VolumeSlicing
{
    /// <summary>The axis sliced across: 2 (z, axial in most scans), 1 (y) or 0 (x).</summary>
    [JsonPropertyName("axis")] public int Axis { get; init; } = 2;

    /// <summary>[low, high]: the intensities mapped to 0 and 255, in the volume's units (CT: Hounsfield units); null:
    /// 0..255 as it is for volumes of whole numbers in that range, else each volume's 0.5th..99.5th percentile.</summary>
    [JsonPropertyName("window")] public double[]? Window { get; init; }

    /// <summary>The channels read (4-D volumes, nnU-Net's per-channel files): one (gray) or three (RGB); null: the only one.</summary>
    [JsonPropertyName("channels")] public int[]? Channels { get; init; }

    /// <summary>The label volumes' value of each class, by class index, where <c>data from-nifti</c> renumbered values that
    /// skip one (BraTS' 0, 1, 2, 4 became classes 0..3: <c>[0, 1, 2, 4]</c>); null: each class index is its value.
    /// <c>predict</c> writes these values, so its label volumes read as the training labels do.</summary>
    [JsonPropertyName("label_values")] public int[]? LabelValues { get; init; }

    /// <summary>The window as a pair, or null.</summary>
    [JsonIgnore] public (double Low, double High)? WindowRange => Window is [var low, var high] ? (low, high) : null;

    /// <summary>What is wrong with it, in words, or null: an axis outside 0..2, a window that is not [low, high] with
    /// low below high, not one or three channels, label values that repeat or lie outside 0..65535.</summary>
    public string? Problem() =>
        Axis is < 0 or > 2 ? $"axis {Axis} is not 0, 1 or 2"
        : Window != null && !(Window.Length == 2 && double.IsFinite(Window[0]) && double.IsFinite(Window[1]) && Window[1] > Window[0]) ? "window is not [low, high] with low below high"
        : Channels != null && (Channels.Length is not (1 or 3) || Channels.Any(c => c < 0)) ? "channels is not one or three channel numbers"
        : LabelValues != null && (LabelValues.Length == 0 || LabelValues.Any(v => v is < 0 or > 65535) || LabelValues.Distinct().Count() != LabelValues.Length) ? "label_values is not a list of distinct values 0..65535, one per class"
        : null;

    /// <summary>What is wrong with it for a model or dataset of <paramref name="classCount"/> classes, in words, or null:
    /// <see cref="Problem()"/>'s checks, and label values that are not one per class. The one rule for a dataset.yaml's
    /// <c>volumes:</c> and a checkpoint's <c>volume_slicing</c>; each caller names its file and the fix.</summary>
    public string? Problem(int classCount) =>
        Problem()
        ?? (LabelValues is { } values && values.Length != classCount ? $"label_values has {values.Length} values for {classCount} classes" : null);

    /// <summary>This slicing with what the user gave in its place (<c>predict --axis/--window/--channels</c>); null keeps
    /// this one's.</summary>
    public VolumeSlicing With(int? axis, (double Low, double High)? window, int[]? channels) => this with
    {
        Axis = axis ?? Axis,
        Window = window is var (low, high) ? [low, high] : Window,
        Channels = channels ?? Channels,
    };

    /// <summary>"axis z, window -160..240, channel 0": how the slices are cut, in words.</summary>
    public override string ToString()
    {
        var inv = CultureInfo.InvariantCulture;
        return $"axis {"xyz"[Axis]}, " + (WindowRange is var (low, high) ? $"window {low.ToString(inv)}..{high.ToString(inv)}" : "window per volume")
            + (Channels != null ? $", channel{(Channels.Length == 1 ? "" : "s")} {string.Join(",", Channels)}" : "");
    }

    /// <summary>The dataset.yaml line (<c>volumes: { axis: 2, window: [-160, 240] }</c>).</summary>
    public string ToYamlLine()
    {
        var inv = CultureInfo.InvariantCulture;
        var parts = new List<string> { $"axis: {Axis}" };
        if (WindowRange is var (low, high)) parts.Add($"window: [{low.ToString(inv)}, {high.ToString(inv)}]");
        if (Channels != null) parts.Add($"channels: [{string.Join(", ", Channels)}]");
        if (LabelValues != null) parts.Add($"label_values: [{string.Join(", ", LabelValues)}]");
        return $"volumes: {{ {string.Join(", ", parts)} }}";
    }
}
