using System.Runtime.InteropServices;
using SharpSeg.Engine;
using TorchSharp;
using static TorchSharp.torch;

namespace SharpSeg.Losses;

/// <summary>
/// The piece shared by the Lovász losses (Berman et al. 2018): the gradient of the Lovász extension of the Jaccard
/// loss with respect to errors sorted in decreasing order, as in the paper's Algorithm 1 and reference code.
/// </summary>
/// <remarks>
/// The sort is the cost: one per class over every pixel of the batch (655,360 for CamVid's 256×320 crops in batches of
/// 8). On the CPU the errors are sorted as 32-bit integer keys that order like the floats, which libtorch sorts with a
/// parallel radix sort instead of a comparison sort: 5–10× faster here, the same order of values (docs/BENCHMARKS.md,
/// "Lovász-softmax cost").
/// </remarks>
internal static class LovaszExtension
{
    /// <summary>
    /// For ground truth <paramref name="gtSorted"/> <c>[P]</c> (0/1, in the order of decreasing error): the increments
    /// <c>J(k) − J(k−1)</c> of the Jaccard loss of the first k pixels, J(0) = 0.
    /// </summary>
    public static Tensor Gradient(Tensor gtSorted)
    {
        Tensor gts = ThreadInvariant.Sum(gtSorted);
        Tensor intersection = gts - gtSorted.cumsum(0);
        Tensor union = gts + (1 - gtSorted).cumsum(0);
        Tensor jaccard = 1 - intersection / union;
        long p = gtSorted.shape[0];
        if (p > 1) jaccard = cat([jaccard.narrow(0, 0, 1), jaccard.narrow(0, 1, p - 1) - jaccard.narrow(0, 0, p - 1)], 0);
        return jaccard;
    }

    /// <summary><c>⟨f(sort(errors)↓), Gradient(gt in that order)⟩</c>, the Lovász extension at <paramref name="errors"/>
    /// <c>[P]</c>; f is <paramref name="transform"/> (the hinge loss's ReLU), or the identity when null.</summary>
    public static Tensor Loss(Tensor errors, Tensor gt, Func<Tensor, Tensor>? transform = null)
    {
        Tensor perm = DescendingOrder(errors);
        Tensor sorted = errors.index_select(0, perm);
        return dot(transform is null ? sorted : transform(sorted), Gradient(gt.index_select(0, perm)));
    }

    /// <summary>
    /// The permutation that sorts <paramref name="values"/> <c>[P]</c> in decreasing order; equal values keep their
    /// original order on the CPU.
    /// </summary>
    /// <remarks>
    /// A float32 CPU tensor is sorted through integer keys: the IEEE bits of a float, with the magnitude bits flipped for
    /// negative numbers, order like the floats as signed integers, and their bitwise complement orders them decreasingly
    /// without overflow. libtorch sorts a 1-D integer tensor with fbgemm's parallel radix sort, which is stable.
    /// </remarks>
    public static Tensor DescendingOrder(Tensor values)
    {
        if (values.dim() != 1 || values.device_type != DeviceType.CPU || values.dtype != ScalarType.Float32)
            return values.sort(0, descending: true).Indices;
        using var scope = NewDisposeScope();
        Tensor v = values.detach().contiguous();
        Tensor keys = empty(v.shape[0], dtype: ScalarType.Int32);
        ReadOnlySpan<int> bits = MemoryMarshal.Cast<byte, int>(v.bytes);
        Span<int> key = MemoryMarshal.Cast<byte, int>(keys.bytes);
        for (int i = 0; i < bits.Length; i++)
        {
            int b = bits[i];
            key[i] = ~(b >= 0 ? b : b ^ 0x7FFFFFFF);
        }
        return keys.sort(0, stable: true).Indices.MoveToOuterDisposeScope();
    }
}
