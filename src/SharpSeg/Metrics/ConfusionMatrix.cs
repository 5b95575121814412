using SharpSeg.Imaging;
using TorchSharp;
using static TorchSharp.torch;

namespace SharpSeg.Metrics;

/// <summary>
/// Pixel counts by (ground-truth class, predicted class), accumulated over any number of batches on the CPU.
/// Rows are ground truth, columns are predictions. Pixels whose target is the ignore index are not counted
/// (whatever was predicted there). Not thread-safe.
/// </summary>
public sealed class ConfusionMatrix
{
    private readonly long[] counts;

    /// <param name="numClasses">Number of classes C (1..255); class indices are 0..C-1.</param>
    /// <param name="ignoreIndex">Target value excluded from the counts (default <see cref="LabelMask.Ignore"/>).</param>
    public ConfusionMatrix(int numClasses, int ignoreIndex = LabelMask.Ignore)
    {
        if (numClasses < 1 || numClasses > 4096) throw new ArgumentOutOfRangeException(nameof(numClasses), $"num_classes must be 1..4096, got {numClasses}");
        NumClasses = numClasses;
        IgnoreIndex = ignoreIndex;
        counts = new long[numClasses * numClasses];
    }

    public int NumClasses { get; }
    public int IgnoreIndex { get; }

    /// <summary>Pixels whose ground truth is <paramref name="truth"/> and prediction <paramref name="predicted"/>.</summary>
    public long this[int truth, int predicted] => counts[truth * NumClasses + predicted];

    /// <summary>Number of counted (non-ignored) pixels.</summary>
    public long Total => counts.Sum();

    /// <summary>A copy of the counts as <c>[truth, predicted]</c>.</summary>
    public long[,] ToArray()
    {
        var a = new long[NumClasses, NumClasses];
        for (int t = 0; t < NumClasses; t++)
            for (int p = 0; p < NumClasses; p++) a[t, p] = counts[t * NumClasses + p];
        return a;
    }

    /// <summary>
    /// Adds a batch: <paramref name="predictions"/> are predicted class indices (argmax of the logits, not the logits),
    /// <paramref name="targets"/> ground-truth indices or the ignore index; both <c>[N, H, W]</c> (any equal shapes),
    /// integer typed, on any device.
    /// </summary>
    public void Update(Tensor predictions, Tensor targets)
    {
        if (!predictions.shape.SequenceEqual(targets.shape))
            throw new ArgumentException($"predictions [{string.Join(", ", predictions.shape)}] and targets [{string.Join(", ", targets.shape)}] differ in shape");
        if (predictions.is_floating_point() || targets.is_floating_point())
            throw new ArgumentException("predictions and targets must be class indices (integer tensors); take argmax over the class dimension of the logits first");
        using var scope = NewDisposeScope();
        Tensor t = targets.flatten().to(CPU).to_type(ScalarType.Int64);
        Tensor p = predictions.flatten().to(CPU).to_type(ScalarType.Int64);
        Tensor valid = t.ne(IgnoreIndex);
        t = t.masked_select(valid);
        p = p.masked_select(valid);
        if (t.numel() == 0) return;
        CheckRange(t, "target");
        CheckRange(p, "prediction");
        Tensor binned = torch.bincount(t * NumClasses + p, minlength: NumClasses * NumClasses);
        long[] add = binned.data<long>().ToArray();
        for (int i = 0; i < counts.Length; i++) counts[i] += add[i];
    }

    /// <summary>Adds one image's predicted and ground-truth class indices (row-major, equal lengths), e.g. <see cref="LabelMask.Labels"/>.</summary>
    public void Update(ReadOnlySpan<byte> predictions, ReadOnlySpan<byte> targets)
    {
        if (predictions.Length != targets.Length)
            throw new ArgumentException($"predictions ({predictions.Length} pixels) and targets ({targets.Length} pixels) differ in size");
        for (int i = 0; i < targets.Length; i++)
        {
            int t = targets[i];
            if (t == IgnoreIndex) continue;
            int p = predictions[i];
            if (t >= NumClasses) throw new ArgumentOutOfRangeException(nameof(targets), $"target class {t} at pixel {i} is outside 0..{NumClasses - 1} and is not the ignore index {IgnoreIndex}");
            if (p >= NumClasses) throw new ArgumentOutOfRangeException(nameof(predictions), $"predicted class {p} at pixel {i} is outside 0..{NumClasses - 1}");
            counts[t * NumClasses + p]++;
        }
    }

    /// <summary>Adds another matrix's counts (e.g. from another worker or data shard) to this one.</summary>
    public void Merge(ConfusionMatrix other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.NumClasses != NumClasses || other.IgnoreIndex != IgnoreIndex)
            throw new ArgumentException($"cannot merge a {other.NumClasses}-class matrix (ignore {other.IgnoreIndex}) into a {NumClasses}-class one (ignore {IgnoreIndex})");
        for (int i = 0; i < counts.Length; i++) counts[i] += other.counts[i];
    }

    /// <summary>Sets all counts to zero.</summary>
    public void Reset() => Array.Clear(counts);

    /// <summary>The metrics these counts give.</summary>
    public SegmentationMetrics Compute(IReadOnlyList<string>? classNames = null) => SegmentationMetrics.From(this, classNames);

    private void CheckRange(Tensor values, string what)
    {
        long min = values.min().item<long>(), max = values.max().item<long>();
        if (min < 0 || max >= NumClasses)
            throw new ArgumentOutOfRangeException(what, $"{what} class {(min < 0 ? min : max)} is outside 0..{NumClasses - 1}{(what == "target" ? $" and is not the ignore index {IgnoreIndex}" : "")}");
    }
}
