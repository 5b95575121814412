using TorchSharp;
using static TorchSharp.torch;
using SharpSeg.Curation.Embedding;

namespace SharpSeg.Curation.Scoring;

/// <summary>
/// Typicality: how dense the embedding space is around each image, as the mean cosine similarity to its k nearest
/// neighbours (TypiClust, Hacohen et al., ICML 2022, uses the inverse mean distance to the k nearest neighbours; on unit
/// vectors both order images the same way). High for images like many others (representative), low for outliers.
/// Neighbours are searched among at most <see cref="MaxReference"/> reference images drawn with the seed, so the cost
/// is O(N · min(N, MaxReference) · D) and memory one block.
/// </summary>
public static class TypicalityScorer
{
    /// <summary>Largest number of reference images neighbours are searched among.</summary>
    public const int MaxReference = 20_000;

    /// <summary>Per image, the mean cosine similarity to its <paramref name="k"/> nearest other images (among the reference sample).</summary>
    public static float[] Score(Tensor x, int k = 20, int seed = 0, CancellationToken cancellationToken = default)
    {
        if (k < 1) throw new SharpSegException($"typicality k must be at least 1, got {k}.");
        int n = (int)x.shape[0];
        var result = new float[n];
        if (n < 2) return result;
        int[] reference;
        if (n <= MaxReference) reference = Enumerable.Range(0, n).ToArray();
        else
        {
            var rng = new Random(seed);
            var all = Enumerable.Range(0, n).ToArray();
            rng.Shuffle(all);
            reference = all[..MaxReference];
            Array.Sort(reference);
        }
        int kk = Math.Min(k, reference.Length - 1);
        using var noGrad = torch.no_grad();
        using var refIndex = torch.tensor(reference.Select(i => (long)i).ToArray());
        using var refRows = x.index_select(0, refIndex);
        int rows = EmbeddingTensors.BlockRows(reference.Length);
        using var buffer = torch.empty((long)Math.Min(rows, n) * reference.Length, dtype: ScalarType.Float32); // reused: no page faults per block
        for (int r0 = 0; r0 < n; r0 += rows)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            int r1 = Math.Min(n, r0 + rows);
            var s = buffer.narrow(0, 0, (long)(r1 - r0) * reference.Length).view(r1 - r0, reference.Length);
            s.addmm_(x.narrow(0, r0, r1 - r0), refRows.t(), beta: 0, alpha: 1);
            // The best match of an image in the reference is (normally) itself at similarity 1: take k + 1 and drop the self-match.
            var (top, _) = s.topk(kk + 1, dim: 1);
            var self = s.max(dim: 1).values; // equals 1 when the image is in the reference
            var sum = top.sum(dim: 1);
            var inRef = torch.tensor(Enumerable.Range(r0, r1 - r0).Select(i => Array.BinarySearch(reference, i) >= 0).ToArray());
            var mean = torch.where(inRef, sum.sub(self).div(kk), top[.., ..kk].mean(new long[] { 1 }));
            Data.ImageTensors.FloatSpan(mean.contiguous()).CopyTo(result.AsSpan(r0));
        }
        return result;
    }
}
