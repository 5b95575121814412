using TorchSharp;
using static TorchSharp.torch;

namespace SharpSeg.Curation;

/// <summary>
/// k-center greedy (farthest-point) selection, the core-set method of Sener and Savarese (ICLR 2018): repeatedly add the
/// image farthest from everything chosen so far. Keeps one running array of each image's distance to its nearest centre,
/// so adding a centre costs one matrix-vector product over the N × D embeddings: O(N · D) per pick, O(N · D · budget) in
/// all, memory O(N · D). The greedy radius (largest distance of any image to its nearest centre) is at most twice the
/// optimum for the same number of centres.
/// </summary>
/// <remarks>Distances are Euclidean between unit vectors, √(2 − 2·cos).</remarks>
public sealed class KCenterGreedySelector : IDisposable
{
    readonly Tensor _x;
    readonly Tensor _minDistance;
    readonly List<int> _centers = [];
    readonly bool[] _isCenter;

    /// <param name="embeddings">Unit-norm rows <c>[N, D]</c> (float32, CPU); the selector keeps a reference, not a copy.</param>
    /// <param name="initialCenters">Already chosen images (e.g. labelled ones): they count as centres but are not returned by <see cref="Select"/>.</param>
    public KCenterGreedySelector(Tensor embeddings, IEnumerable<int>? initialCenters = null)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        if (embeddings.dim() != 2) throw new ArgumentException("embeddings must be [N, D]", nameof(embeddings));
        _x = embeddings;
        Count = (int)embeddings.shape[0];
        _isCenter = new bool[Count];
        _minDistance = torch.full(Count, float.PositiveInfinity, dtype: ScalarType.Float32);
        foreach (int i in initialCenters ?? []) Add(i);
    }

    /// <summary>Images N.</summary>
    public int Count { get; }

    /// <summary>Centres so far (initial ones first), in the order they were added.</summary>
    public IReadOnlyList<int> Centers => _centers;

    /// <summary>Each image's distance to its nearest centre <c>[N]</c> (+∞ before any centre; 0 for centres). Live view: do not dispose.</summary>
    public Tensor MinDistances => _minDistance;

    /// <summary>Whether image <paramref name="i"/> is a centre.</summary>
    public bool IsCenter(int i) => _isCenter[i];

    /// <summary>Largest distance of any image to its nearest centre (+∞ with no centre).</summary>
    public double Radius => Count == 0 ? 0 : _minDistance.max().item<float>();

    /// <summary>Makes <paramref name="index"/> a centre and lowers every image's distance to it.</summary>
    public void Add(int index)
    {
        if ((uint)index >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(index));
        if (_isCenter[index]) return;
        _isCenter[index] = true;
        _centers.Add(index);
        using var scope = NewDisposeScope();
        using var noGrad = torch.no_grad();
        var d = EmbeddingTensors.DistanceFromSimilarity(_x.mv(_x[index]));
        _minDistance.copy_(torch.minimum(_minDistance, d));
        _minDistance[index] = 0f;
    }

    /// <summary>
    /// Adds up to <paramref name="budget"/> centres greedily, each the farthest image from the current centres among those
    /// <paramref name="eligible"/> allows (null: all). With no centre yet, the first is drawn at random from the eligible
    /// images with <paramref name="seed"/>. Ties go to the lowest index. Returns the new centres in order.
    /// </summary>
    public IReadOnlyList<int> Select(int budget, int seed = 0, bool[]? eligible = null, CancellationToken cancellationToken = default)
    {
        if (budget < 0) throw new ArgumentOutOfRangeException(nameof(budget));
        if (eligible != null && eligible.Length != Count) throw new ArgumentException("eligible must have one flag per image", nameof(eligible));
        var picked = new List<int>();
        using var mask = torch.tensor(Enumerable.Range(0, Count).Select(i => eligible == null || eligible[i]).ToArray());
        if (_centers.Count == 0 && budget > 0)
        {
            var pool = Enumerable.Range(0, Count).Where(i => eligible == null || eligible[i]).ToArray();
            if (pool.Length == 0) return picked;
            int first = pool[new Random(seed).Next(pool.Length)];
            Add(first);
            picked.Add(first);
        }
        while (picked.Count < budget)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int next;
            using (var scope = NewDisposeScope())
            {
                var candidates = torch.where(mask, _minDistance, torch.tensor(float.NegativeInfinity));
                var best = candidates.max();
                if (best.item<float>() <= 0f) break; // every eligible image is a centre or a duplicate of one
                next = (int)candidates.argmax().item<long>();
            }
            Add(next);
            picked.Add(next);
        }
        return picked;
    }

    public void Dispose() => _minDistance.Dispose();
}
