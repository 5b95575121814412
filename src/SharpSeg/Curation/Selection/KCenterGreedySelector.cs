using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using SharpSeg.Curation.Embedding;

namespace SharpSeg.Curation.Selection;

/// <summary>
/// k-center greedy (farthest-point) selection, the core-set method of Sener and Savarese (ICLR 2018): repeatedly add the
/// image farthest from everything chosen so far. Keeps one running array of each image's distance to its nearest centre,
/// so adding a centre costs one pass over the N × D embeddings (a dot product per row, SIMD, split over the cores):
/// O(N · D) per pick, O(N · D · budget) in all, and no memory beyond the embeddings and N floats. The greedy radius
/// (largest distance of any image to its nearest centre) is at most twice the optimum for the same number of centres.
/// </summary>
/// <remarks>Distances are Euclidean between unit vectors, √(2 − 2·cos).</remarks>
public sealed class KCenterGreedySelector
{
    /// <summary>Rows per parallel work item of a distance update.</summary>
    const int Chunk = 4096;

    readonly float[] _x;
    readonly float[] _minDistance;
    readonly List<int> _centers = [];
    readonly bool[] _isCenter;

    /// <param name="vectors">Unit-norm rows, row-major <c>[N, dim]</c>; kept by reference, not copied.</param>
    /// <param name="dim">Floats per row.</param>
    /// <param name="initialCenters">Already chosen images (e.g. labelled ones): they count as centres but are not returned by <see cref="Select"/>.</param>
    public KCenterGreedySelector(float[] vectors, int dim, IEnumerable<int>? initialCenters = null)
    {
        ArgumentNullException.ThrowIfNull(vectors);
        if (dim < 1 || vectors.Length % dim != 0) throw new ArgumentException("vectors must hold whole rows of dim floats", nameof(vectors));
        _x = vectors;
        Dim = dim;
        Count = vectors.Length / dim;
        _isCenter = new bool[Count];
        _minDistance = new float[Count];
        Array.Fill(_minDistance, float.PositiveInfinity);
        foreach (int i in initialCenters ?? []) Add(i);
    }

    /// <summary>Selector over an embeddings set's rows.</summary>
    public KCenterGreedySelector(EmbeddingSet embeddings, IEnumerable<int>? initialCenters = null) : this(embeddings.Vectors, embeddings.Dim, initialCenters) { }

    /// <summary>Images N.</summary>
    public int Count { get; }

    /// <summary>Floats per row.</summary>
    public int Dim { get; }

    /// <summary>Centres so far (initial ones first), in the order they were added.</summary>
    public IReadOnlyList<int> Centers => _centers;

    /// <summary>Each image's distance to its nearest centre (+∞ before any centre; 0 for centres).</summary>
    public ReadOnlySpan<float> MinDistances => _minDistance;

    /// <summary>Whether image <paramref name="i"/> is a centre.</summary>
    public bool IsCenter(int i) => _isCenter[i];

    /// <summary>Largest distance of any image to its nearest centre (+∞ with no centre).</summary>
    public double Radius => Count == 0 ? 0 : _minDistance.Max();

    /// <summary>Makes <paramref name="index"/> a centre and lowers every image's distance to it.</summary>
    public void Add(int index)
    {
        if ((uint)index >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(index));
        if (_isCenter[index]) return;
        _isCenter[index] = true;
        _centers.Add(index);
        int chunks = (Count + Chunk - 1) / Chunk;
        if (chunks == 1) Update(0, Count, index);
        else Parallel.For(0, chunks, k => Update(k * Chunk, Math.Min(Count, (k + 1) * Chunk), index));
        _minDistance[index] = 0f;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    void Update(int start, int end, int center)
    {
        var c = _x.AsSpan(center * Dim, Dim);
        for (int i = start; i < end; i++)
        {
            float d = MathF.Sqrt(MathF.Max(0f, 2f - 2f * Dot(_x.AsSpan(i * Dim, Dim), c)));
            if (d < _minDistance[i]) _minDistance[i] = d;
        }
    }

    /// <summary>Dot product of two equal-length spans with SIMD.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        int n = a.Length, k = 0;
        float sum = 0;
        if (Vector.IsHardwareAccelerated && n >= Vector<float>.Count)
        {
            var va = MemoryMarshal.Cast<float, Vector<float>>(a);
            var vb = MemoryMarshal.Cast<float, Vector<float>>(b);
            var acc = Vector<float>.Zero;
            for (int j = 0; j < va.Length; j++) acc += va[j] * vb[j];
            sum = Vector.Sum(acc);
            k = va.Length * Vector<float>.Count;
        }
        for (; k < n; k++) sum += a[k] * b[k];
        return sum;
    }

    /// <summary>
    /// Adds up to <paramref name="budget"/> centres greedily, each the farthest image from the current centres among those
    /// <paramref name="eligible"/> allows (null: all). With no centre yet, the first is drawn at random from the eligible
    /// images with <paramref name="seed"/>. Ties go to the lowest index. Stops early when every eligible image coincides
    /// with a centre. Returns the new centres in order.
    /// </summary>
    public IReadOnlyList<int> Select(int budget, int seed = 0, bool[]? eligible = null, CancellationToken cancellationToken = default)
    {
        if (budget < 0) throw new ArgumentOutOfRangeException(nameof(budget));
        if (eligible != null && eligible.Length != Count) throw new ArgumentException("eligible must have one flag per image", nameof(eligible));
        var picked = new List<int>();
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
            int next = -1;
            float best = 0f;
            for (int i = 0; i < Count; i++)
                if (_minDistance[i] > best && (eligible == null || eligible[i])) { best = _minDistance[i]; next = i; }
            if (next < 0) break;
            Add(next);
            picked.Add(next);
        }
        return picked;
    }
}
