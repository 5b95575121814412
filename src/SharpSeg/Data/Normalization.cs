using SharpSeg.Imaging;
using SharpSeg.Data.Dataset;
using SharpSeg.Data.Loading;

namespace SharpSeg.Data;

/// <summary>
/// Per-channel normalisation applied when bytes become tensors (never on bytes): value = (byte / 255 − Mean[c]) / Std[c].
/// Mean and Std are in [0, 1] intensity units, one value per channel (RGB order), or a single value for all channels.
/// Stored in checkpoints so that inference normalises exactly as training did.
/// </summary>
/// <remarks>
/// One concept with one set of entry points: <see cref="Resolve{T}"/> turns a recipe's or a command's
/// <c>normalize</c> mode (imagenet, dataset, none) into statistics for training and pretraining alike;
/// <see cref="FromStored"/> rebuilds the statistics a checkpoint or an ONNX export recorded; <see cref="ForChannels"/>
/// is the one rule for RGB statistics on gray images. Not an augmentation: it is how bytes become network inputs
/// (<see cref="ImageTensors"/>, the loaders, <c>Inference.Preprocessing</c>).
/// </remarks>
public sealed record Normalization(IReadOnlyList<float> Mean, IReadOnlyList<float> Std)
{
    /// <summary>
    /// What is wrong with a recorded mean and std (a checkpoint's, an ONNX export's) for images of
    /// <paramref name="channels"/> channels, or null when they are usable: one value for all channels, or at least one
    /// per channel (gray models trained with ImageNet's three values use the first), at most 16; finite; std positive.
    /// </summary>
    internal static string? Problem(IReadOnlyList<double>? mean, IReadOnlyList<double>? std, int channels)
    {
        if (mean == null || std == null) return "mean or std is missing";
        if (mean.Count is 0 or > 16 || (mean.Count != 1 && mean.Count < channels)) return $"mean has {mean.Count} values for {channels} channels";
        if (std.Count is 0 or > 16 || (std.Count != 1 && std.Count < channels)) return $"std has {std.Count} values for {channels} channels";
        if (mean.Any(v => !double.IsFinite(v))) return "mean is not finite";
        if (std.Any(v => !(v > 0) || !double.IsFinite(v))) return "std must be positive and finite";
        return null;
    }

    /// <summary>The <c>normalize</c> modes <see cref="Resolve{T}"/> takes.</summary>
    public static IReadOnlyList<string> Modes { get; } = ["imagenet", "dataset", "none"];

    /// <summary>How many images <c>normalize: dataset</c> computes its statistics over (spread evenly over all of them).</summary>
    public const int DatasetSampleSize = 200;

    /// <summary>
    /// The normalisation a <c>normalize</c> <paramref name="mode"/> means for images of <paramref name="channels"/> channels:
    /// <c>imagenet</c> ImageNet's statistics (<see cref="ForChannels"/>: averaged over RGB for gray images); <c>dataset</c>
    /// the mean/std of up to <paramref name="maxImages"/> of <paramref name="images"/>, spread evenly over the whole list
    /// (first, last and evenly spaced ones between; decoded by <paramref name="decode"/> only when picked); <c>none</c>
    /// mean 0 and std 1 per channel (bytes scaled to [0, 1]). Case-insensitive; any other mode is a
    /// <see cref="SharpSegException"/>. Used by training and by self-supervised pretraining alike.
    /// </summary>
    public static Normalization Resolve<T>(string mode, int channels, IReadOnlyList<T> images, Func<T, RgbImage> decode, int maxImages = DatasetSampleSize)
    {
        ArgumentNullException.ThrowIfNull(mode);
        if (channels < 1) throw new ArgumentOutOfRangeException(nameof(channels), "channels must be positive");
        return mode.Trim().ToLowerInvariant() switch
        {
            "imagenet" => ImageNet.ForChannels(channels),
            "dataset" => FromImages(images, decode, maxImages),
            "none" => new Normalization(Enumerable.Repeat(0f, channels).ToArray(), Enumerable.Repeat(1f, channels).ToArray()),
            _ => throw new SharpSegException($"normalize must be {string.Join(", ", Modes.Take(Modes.Count - 1))} or {Modes[^1]}, got '{mode}'."),
        };
    }

    /// <summary><see cref="Resolve{T}"/> over images already decoded.</summary>
    public static Normalization Resolve(string mode, int channels, IReadOnlyList<RgbImage> images, int maxImages = DatasetSampleSize) =>
        Resolve(mode, channels, images, i => i, maxImages);

    /// <summary>
    /// The normalisation recorded as doubles (a checkpoint's <c>mean</c>/<c>std</c>, an ONNX export's metadata, an
    /// encoder checkpoint's), as the float statistics it was stored from.
    /// </summary>
    public static Normalization FromStored(IReadOnlyList<double> mean, IReadOnlyList<double> std)
    {
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(std);
        return new Normalization(mean.Select(v => (float)v).ToArray(), std.Select(v => (float)v).ToArray());
    }

    /// <summary>
    /// These statistics for images of <paramref name="channels"/> channels: unchanged when they have one value for all
    /// channels or one per channel; otherwise (RGB statistics such as ImageNet's for a gray model) the averages of the
    /// means and of the stds as one value. The one rule for ImageNet-style statistics on 1-channel images.
    /// </summary>
    public Normalization ForChannels(int channels)
    {
        if (channels < 1) throw new ArgumentOutOfRangeException(nameof(channels), "channels must be positive");
        if ((Mean.Count == 1 && Std.Count == 1) || (Mean.Count == channels && Std.Count == channels)) return this;
        return new Normalization([Mean.Average()], [Std.Average()]);
    }

    /// <summary>ImageNet statistics (mean [0.485, 0.456, 0.406], std [0.229, 0.224, 0.225]); the choice for pretrained encoders.</summary>
    public static Normalization ImageNet { get; } = new([0.485f, 0.456f, 0.406f], [0.229f, 0.224f, 0.225f]);

    /// <summary>Scales bytes to [0, 1] only (mean 0, std 1, any channel count).</summary>
    public static Normalization UnitRange { get; } = new([0f], [1f]);

    /// <summary>
    /// The dataset's own mean and standard deviation per channel over all pixels of up to <paramref name="maxImages"/>
    /// images (the first ones given; pass a shuffled or evenly spaced selection for large datasets).
    /// </summary>
    public static Normalization FromData(IEnumerable<RgbImage> images, int maxImages = 200)
    {
        double[]? sum = null, sumSq = null; long count = 0; int channels = 0, used = 0;
        foreach (var img in images)
        {
            if (used++ >= maxImages) break;
            if (sum == null) { channels = img.Channels; sum = new double[channels]; sumSq = new double[channels]; }
            else if (img.Channels != channels) throw new SharpSegException($"cannot compute normalisation over images with {channels} and {img.Channels} channels; use one channel count for the whole dataset.");
            var px = img.Pixels;
            var s = new long[channels]; var sq = new long[channels];
            for (int i = 0; i < px.Length; i += channels)
                for (int c = 0; c < channels; c++) { int v = px[i + c]; s[c] += v; sq[c] += v * v; }
            for (int c = 0; c < channels; c++) { sum[c] += s[c]; sumSq![c] += sq[c]; }
            count += (long)img.Width * img.Height;
        }
        if (sum == null || count == 0) throw new SharpSegException("cannot compute normalisation statistics: no images were given.");
        var mean = new float[channels]; var std = new float[channels];
        for (int c = 0; c < channels; c++)
        {
            double m = sum[c] / count / 255.0;
            double v = sumSq![c] / count / (255.0 * 255.0) - m * m;
            mean[c] = (float)m;
            std[c] = (float)Math.Max(Math.Sqrt(Math.Max(v, 0)), 1e-3);
        }
        return new Normalization(mean, std);
    }

    /// <summary>
    /// <see cref="FromData(IEnumerable{RgbImage}, int)"/> over up to <paramref name="maxImages"/> of <paramref name="items"/>
    /// spread evenly over the whole list (first, last and evenly spaced ones between; all of them when there are at
    /// most <paramref name="maxImages"/>, in order), each decoded with <paramref name="decode"/> only when picked.
    /// </summary>
    public static Normalization FromImages<T>(IReadOnlyList<T> items, Func<T, RgbImage> decode, int maxImages = DatasetSampleSize)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(decode);
        if (items.Count == 0) throw new SharpSegException("cannot compute normalisation statistics: there are no images.");
        return FromData(EvenlySpaced(items.Count, maxImages).Select(i => decode(items[i])), int.MaxValue);
    }

    /// <summary><see cref="FromImages{T}"/> over a split's samples (their images).</summary>
    public static Normalization FromSamples(IReadOnlyList<SamplePair> pairs, Func<SamplePair, SegmentationSample> decoder, int maxImages = DatasetSampleSize) =>
        FromImages(pairs, p => decoder(p).Image, maxImages);

    /// <summary>Up to <paramref name="max"/> indices of 0..<paramref name="count"/>−1, ascending, spread evenly: the first,
    /// the last, and evenly spaced ones between (all of them when count ≤ max).</summary>
    internal static IEnumerable<int> EvenlySpaced(int count, int max)
    {
        int n = Math.Clamp(max, 1, Math.Max(1, count));
        if (count == 0) return [];
        return Enumerable.Range(0, n).Select(i => n == 1 ? 0 : (int)((long)i * (count - 1) / (n - 1))).Distinct();
    }

    /// <summary>
    /// A lookup table per channel mapping each byte value to its normalised float: <c>table[c * 256 + v]</c>.
    /// Throws a <see cref="SharpSegException"/> when the statistics do not fit <paramref name="channels"/>.
    /// </summary>
    public float[] LookupTable(int channels)
    {
        if ((Mean.Count != 1 && Mean.Count != channels) || Mean.Count != Std.Count)
            throw new SharpSegException($"normalisation has {Mean.Count} mean and {Std.Count} std values but the images have {channels} channel(s); give one value per channel (or one for all).");
        var table = new float[channels * 256];
        for (int c = 0; c < channels; c++)
        {
            float m = Mean[Mean.Count == 1 ? 0 : c], s = Std[Std.Count == 1 ? 0 : c];
            if (!(s > 0)) throw new SharpSegException($"normalisation std for channel {c} is {s}; it must be positive.");
            for (int v = 0; v < 256; v++) table[c * 256 + v] = (v / 255f - m) / s;
        }
        return table;
    }

    /// <summary>The byte nearest to each channel's mean (for padding so that padded pixels normalise to ≈ 0).</summary>
    public byte[] MeanBytes() => Mean.Select(m => RandomDraws.ClampByte(m * 255.0)).ToArray();
}
