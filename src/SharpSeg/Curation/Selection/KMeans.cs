using TorchSharp;
using static TorchSharp.torch;

namespace SharpSeg.Curation.Selection;

/// <summary>
/// Seeded k-means on the rows of a float matrix <c>[N, D]</c> (squared Euclidean distance): k-means++ seeding
/// (Arthur &amp; Vassilvitskii 2007: each next centre drawn with probability proportional to the squared distance to the
/// nearest centre so far), then Lloyd iterations until no row changes cluster or <c>maxIterations</c>. The same rows and
/// seed give the same clusters. Cost per iteration N · k · D multiply-adds (one matrix product, in blocks of rows).
/// </summary>
public static class KMeans
{
    /// <summary>The clustering: centres <c>[k, D]</c> (the caller disposes them) and each row's cluster.</summary>
    public sealed record Result(Tensor Centres, int[] Assignment, int Iterations) : IDisposable
    {
        /// <summary>Rows per cluster.</summary>
        public int[] Sizes(int k)
        {
            var sizes = new int[k];
            foreach (int a in Assignment) sizes[a]++;
            return sizes;
        }

        public void Dispose() => Centres.Dispose();
    }

    /// <summary>Clusters the rows of <paramref name="x"/> into <paramref name="k"/> clusters (k ≤ N).</summary>
    public static Result Fit(Tensor x, int k, int seed, int maxIterations = 30, CancellationToken cancellationToken = default)
    {
        long n = x.shape[0];
        if (k < 1 || k > n) throw new SharpSegException($"k-means: {k} clusters for {n} rows; k must be in 1..{n}.");
        using var noGrad = torch.no_grad();
        using var data = x.to(ScalarType.Float32).contiguous();
        var seeds = PlusPlusSeeds(data, k, new Random(seed), cancellationToken);
        using var seedRows = torch.tensor(seeds.Select(i => (long)i).ToArray());
        var centres = data.index_select(0, seedRows);
        var assignment = new int[n];
        Array.Fill(assignment, -1);
        int it = 0;
        for (; it < maxIterations; it++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var next = Nearest(data, centres, out _);
            bool changed = !next.AsSpan().SequenceEqual(assignment);
            assignment = next;
            if (!changed) break;
            using var scope = NewDisposeScope();
            var index = torch.tensor(assignment.Select(a => (long)a).ToArray());
            var sums = torch.zeros(k, data.shape[1]).index_add_(0, index, data, 1);
            var counts = torch.zeros(k).index_add_(0, index, torch.ones(n), 1);
            // An emptied cluster keeps its old centre (it can win rows back in the next iteration).
            var empty = counts.eq(0).unsqueeze(1);
            var updated = torch.where(empty, centres, sums.div(counts.clamp_min(1).unsqueeze(1)));
            centres.Dispose();
            centres = updated.DetachFromDisposeScope();
        }
        return new Result(centres, assignment, it);
    }

    /// <summary>k-means++ seeding: <paramref name="k"/> row indices, the first uniform, each next one drawn with
    /// probability proportional to its squared distance to the nearest earlier pick (rows already picked have 0).
    /// BADGE (Ash et al., ICLR 2020) selects a batch this way from gradient embeddings.</summary>
    public static int[] PlusPlusSeeds(Tensor x, int k, Random rng, CancellationToken cancellationToken = default)
    {
        int n = (int)x.shape[0];
        if (k < 1 || k > n) throw new SharpSegException($"k-means++: {k} picks from {n} rows; k must be in 1..{n}.");
        using var noGrad = torch.no_grad();
        using var data = x.to(ScalarType.Float32).contiguous();
        using var norms = data.pow(2).sum(1);
        var picks = new List<int> { rng.Next(n) };
        var best = new double[n];
        Array.Fill(best, double.PositiveInfinity);
        while (picks.Count < k)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using (var scope = NewDisposeScope())
            {
                var c = data[picks[^1]];
                var d = norms.sub(data.matmul(c).mul(2)).add(c.pow(2).sum()).clamp_min(0);
                var dist = d.data<float>().ToArray();
                for (int i = 0; i < n; i++) best[i] = Math.Min(best[i], dist[i]);
            }
            foreach (int p in picks) best[p] = 0;
            double total = best.Sum();
            int next;
            if (!(total > 0)) // every row coincides with a pick: take the first row not picked yet
                next = Enumerable.Range(0, n).First(i => !picks.Contains(i));
            else
            {
                double u = rng.NextDouble() * total, acc = 0;
                next = n - 1;
                for (int i = 0; i < n; i++)
                {
                    acc += best[i];
                    if (acc >= u && best[i] > 0) { next = i; break; }
                }
                if (best[next] == 0) next = Array.FindLastIndex(best, b => b > 0);
            }
            picks.Add(next);
        }
        return picks.ToArray();
    }

    /// <summary>Each row's nearest centre, and its squared distance.</summary>
    public static int[] Nearest(Tensor x, Tensor centres, out float[] squaredDistance)
    {
        long n = x.shape[0];
        var assignment = new int[n];
        squaredDistance = new float[n];
        using var noGrad = torch.no_grad();
        using var centreNorms = centres.pow(2).sum(1);
        int rows = Embedding.EmbeddingTensors.BlockRows(centres.shape[0]);
        for (long r0 = 0; r0 < n; r0 += rows)
        {
            using var scope = NewDisposeScope();
            long r1 = Math.Min(n, r0 + rows);
            var block = x.narrow(0, r0, r1 - r0);
            var d = block.pow(2).sum(1, keepdim: true).sub(block.matmul(centres.t()).mul(2)).add(centreNorms.unsqueeze(0));
            var (min, arg) = d.min(1);
            var a = arg.data<long>().ToArray();
            var m = min.clamp_min(0).data<float>().ToArray();
            for (long i = 0; i < r1 - r0; i++) { assignment[r0 + i] = (int)a[i]; squaredDistance[r0 + i] = m[i]; }
        }
        return assignment;
    }
}
