using TorchSharp;
using static TorchSharp.torch;

namespace SharpSeg.Curation.Embedding;

/// <summary>
/// Chunked similarity arithmetic on unit-norm embedding rows. For unit vectors the Euclidean distance is
/// √(2 − 2·cos); every all-pairs computation runs in row blocks so memory stays at about <see cref="BlockBytes"/>
/// whatever the number of images.
/// </summary>
internal static class EmbeddingTensors
{
    /// <summary>Bytes of one similarity block [rows, N] (float32).</summary>
    public const long BlockBytes = 64L << 20;

    /// <summary>The rows as a float32 tensor <c>[N, D]</c> (a copy; caller disposes).</summary>
    public static Tensor ToTensor(EmbeddingSet set) => torch.tensor(set.Vectors, new long[] { set.Count, set.Dim });

    /// <summary>Rows per block for a block of <c>[rows, columns]</c> similarities.</summary>
    public static int BlockRows(long columns) => (int)Math.Clamp(BlockBytes / 4 / Math.Max(1, columns), 1, 8192);

    /// <summary>Euclidean distance between unit vectors from their cosine similarity.</summary>
    public static Tensor DistanceFromSimilarity(Tensor similarity) => similarity.mul(-2).add_(2).clamp_(0, 4).sqrt_();

    /// <summary>Euclidean distance from a cosine similarity (unit vectors).</summary>
    public static double Distance(double similarity) => Math.Sqrt(Math.Clamp(2 - 2 * similarity, 0, 4));

    /// <summary>For every row of <paramref name="x"/> <c>[N, D]</c>, the largest cosine similarity to a row of <paramref name="reference"/>
    /// (<c>[M, D]</c>) and its index; M = 0 gives −∞ and −1.</summary>
    public static (float[] Similarity, long[] Index) NearestReference(Tensor x, Tensor reference, CancellationToken ct = default)
    {
        long n = x.shape[0], m = reference.shape[0];
        var sim = new float[n];
        var idx = new long[n];
        if (m == 0) { Array.Fill(sim, float.NegativeInfinity); Array.Fill(idx, -1); return (sim, idx); }
        int rows = BlockRows(m);
        using var noGrad = torch.no_grad();
        using var buffer = torch.empty(Math.Min(rows, n) * m, dtype: ScalarType.Float32); // reused: no page faults per block
        for (long r0 = 0; r0 < n; r0 += rows)
        {
            ct.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            long r1 = Math.Min(n, r0 + rows);
            var s = buffer.narrow(0, 0, (r1 - r0) * m).view(r1 - r0, m);
            s.addmm_(x.narrow(0, r0, r1 - r0), reference.t(), beta: 0, alpha: 1);
            var (values, indices) = s.max(dim: 1);
            Data.ImageTensors.FloatSpan(values.contiguous()).CopyTo(sim.AsSpan((int)r0));
            Data.ImageTensors.Int64Span(indices.contiguous()).CopyTo(idx.AsSpan((int)r0));
        }
        return (sim, idx);
    }
}
