using TorchSharp;
using static TorchSharp.torch;
using SharpSeg.Curation.Embedding;

namespace SharpSeg.Curation.Selection;

/// <summary>
/// Groups near-duplicate images: two images are near-duplicates when the cosine similarity of their embeddings is at
/// least the threshold. Every pair above the threshold is found by blocked matrix products over the upper triangle (N² · D / 2
/// multiply-adds, memory one block plus the pairs found). Groups are then formed greedily so that every removed image is a
/// near-duplicate of its own representative (no chaining through a slow camera pan): protected images (already
/// labelled) become representatives first, then images in order of how many near-duplicates they have (ties: lower
/// index first); each new representative takes all its not-yet-grouped near-duplicates.
/// </summary>
public static class NearDuplicateFinder
{
    /// <summary>Near-duplicate pairs beyond this count are an error: the threshold is too low for the data.</summary>
    public const long MaxPairs = 50_000_000;

    /// <param name="embeddings">The image embeddings.</param>
    /// <param name="threshold">Cosine similarity in (0, 1].</param>
    /// <param name="protectedRows">Images that are always kept (labelled ones); an unlabelled near-duplicate of one is removed.</param>
    public static DedupeResult Find(EmbeddingSet embeddings, double threshold, IEnumerable<int>? protectedRows = null, CancellationToken cancellationToken = default)
    {
        using var x = EmbeddingTensors.ToTensor(embeddings);
        return Find(x, threshold, protectedRows, cancellationToken);
    }

    /// <summary>As <see cref="Find(EmbeddingSet, double, IEnumerable{int}?, CancellationToken)"/> on unit rows <c>[N, D]</c>.</summary>
    public static DedupeResult Find(Tensor x, double threshold, IEnumerable<int>? protectedRows = null, CancellationToken cancellationToken = default)
    {
        if (!(threshold > 0 && threshold <= 1)) throw new SharpSegException($"dedupe threshold must be in (0, 1] (a cosine similarity, e.g. 0.95), got {threshold}.");
        int n = (int)x.shape[0];
        var neighbours = new List<(int J, float S)>?[n];
        long pairs = 0;
        int rows = EmbeddingTensors.BlockRows(n);
        // One similarity buffer for all blocks: a fresh 64 MB tensor per block would be page-faulted in again every time.
        using var buffer = torch.empty((long)Math.Min(rows, n) * n, dtype: ScalarType.Float32);
        var all = Data.ImageTensors.FloatSpan(buffer);
        float t = (float)threshold;
        using (var noGrad = torch.no_grad())
        {
            for (int r0 = 0; r0 < n; r0 += rows)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int r1 = Math.Min(n, r0 + rows), cols = n - r0;
                // Similarity is symmetric: each block of rows is compared with itself and the rows after it only.
                using (var scope = NewDisposeScope())
                {
                    var block = buffer.narrow(0, 0, (long)(r1 - r0) * cols).view(r1 - r0, cols);
                    block.addmm_(x.narrow(0, r0, r1 - r0), x.narrow(0, r0, cols).t(), beta: 0, alpha: 1);
                }
                for (int a = 0; a < r1 - r0; a++)
                {
                    int i = r0 + a;
                    var row = all.Slice(a * cols, cols);
                    var tv = new System.Numerics.Vector<float>(t);
                    int w = System.Numerics.Vector<float>.Count;
                    for (int b = a + 1; b < cols; b++)
                    {
                        // Almost nothing is a near-duplicate: skip whole SIMD widths below the threshold.
                        if ((b & (w - 1)) == 0 && b + w <= cols && !System.Numerics.Vector.GreaterThanOrEqualAny(new System.Numerics.Vector<float>(row.Slice(b, w)), tv))
                        {
                            b += w - 1;
                            continue;
                        }
                        if (row[b] < t) continue;
                        int j = r0 + b;
                        (neighbours[i] ??= []).Add((j, row[b]));
                        (neighbours[j] ??= []).Add((i, row[b]));
                        if (++pairs > MaxPairs)
                            throw new SharpSegException($"more than {MaxPairs:N0} near-duplicate pairs at threshold {threshold}: almost everything looks alike to this embedding; raise the threshold (e.g. 0.98) or use another embedder.");
                    }
                }
            }
        }
        var order = new List<int>();
        var isProtected = new bool[n];
        foreach (int p in protectedRows ?? [])
            if (!isProtected[p]) { isProtected[p] = true; order.Add(p); }
        order.AddRange(Enumerable.Range(0, n).Where(i => !isProtected[i])
            .OrderByDescending(i => neighbours[i]?.Count ?? 0).ThenBy(i => i));
        var rep = new int[n];
        Array.Fill(rep, -1);
        var groups = new List<DuplicateGroup>();
        foreach (int i in order)
        {
            if (rep[i] >= 0) continue;
            rep[i] = i;
            if (neighbours[i] is not { } list) continue;
            var members = new List<int>();
            var sims = new List<float>();
            foreach (var (j, s) in list.OrderBy(p => p.J))
            {
                if (rep[j] >= 0 || isProtected[j]) continue;
                rep[j] = i;
                members.Add(j);
                sims.Add(s);
            }
            if (members.Count > 0) groups.Add(new DuplicateGroup(i, members, sims));
        }
        groups.Sort((a, b) => a.Size != b.Size ? b.Size.CompareTo(a.Size) : a.Representative.CompareTo(b.Representative));
        return new DedupeResult(threshold, groups, rep);
    }
}
