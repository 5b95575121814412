using SharpSeg.Imaging;
using TorchSharp;
using static TorchSharp.torch;

namespace SharpSeg.Metrics;

/// <summary>Scores per image of a batch (for ranking the worst images), with the same n/a rules as <see cref="SegmentationMetrics"/>.</summary>
public static class PerImageMetrics
{
    /// <summary>
    /// mIoU of each image: <paramref name="predictions"/> (predicted class indices, not logits) and
    /// <paramref name="targets"/> are <c>[N, H, W]</c> integer tensors; classes absent from both an image's ground truth
    /// and prediction are left out of that image's mean; null for an image whose pixels are all ignored.
    /// </summary>
    public static double?[] MeanIoU(Tensor predictions, Tensor targets, int numClasses, int ignoreIndex = LabelMask.Ignore)
    {
        if (predictions.dim() != 3 || !predictions.shape.SequenceEqual(targets.shape))
            throw new ArgumentException($"predictions [{string.Join(", ", predictions.shape)}] and targets [{string.Join(", ", targets.shape)}] must both be [N, H, W]");
        int n = (int)targets.shape[0], c = numClasses;
        using var scope = NewDisposeScope();
        Tensor t = targets.to(CPU).to_type(ScalarType.Int64).reshape(n, -1);
        Tensor p = predictions.to(CPU).to_type(ScalarType.Int64).reshape(n, -1);
        Tensor image = arange(n, dtype: ScalarType.Int64).unsqueeze(1).expand_as(t);
        Tensor valid = t.ne(ignoreIndex);
        Tensor tv = t.masked_select(valid), pv = p.masked_select(valid);
        if (tv.numel() > 0 && (tv.min().item<long>() < 0 || tv.max().item<long>() >= c || pv.min().item<long>() < 0 || pv.max().item<long>() >= c))
            throw new ArgumentOutOfRangeException(nameof(targets), $"class indices must be 0..{c - 1} (or the ignore index {ignoreIndex} in targets)");
        Tensor index = image.masked_select(valid) * (c * c) + tv * c + pv;
        long[] counts = torch.bincount(index, minlength: n * c * c).data<long>().ToArray();
        var result = new double?[n];
        for (int i = 0; i < n; i++)
        {
            double sum = 0; int defined = 0;
            for (int k = 0; k < c; k++)
            {
                long tp = counts[i * c * c + k * c + k], gt = 0, pred = 0;
                for (int j = 0; j < c; j++) { gt += counts[i * c * c + k * c + j]; pred += counts[i * c * c + j * c + k]; }
                long union = gt + pred - tp;
                if (union > 0) { sum += (double)tp / union; defined++; }
            }
            result[i] = defined > 0 ? sum / defined : null;
        }
        return result;
    }
}
