namespace SharpSeg.Reports;

/// <summary>
/// Keeps the <see cref="Capacity"/> items with the lowest score seen so far (e.g. images by per-image mIoU), in O(capacity)
/// memory however many are offered. Ties keep the item offered first. Not thread-safe.
/// </summary>
public sealed class WorstCases<T>
{
    readonly List<(double Score, long Order, T Item)> _kept = [];
    long _offered;

    public WorstCases(int capacity)
    {
        if (capacity < 0) throw new ArgumentOutOfRangeException(nameof(capacity), $"capacity must be at least 0, got {capacity}");
        Capacity = capacity;
    }

    public int Capacity { get; }

    /// <summary>
    /// Offers an item with its <paramref name="score"/> (lower = worse; NaN is never kept). <paramref name="capture"/>
    /// is called only when the item is kept, so a caller can copy large data (images) only for the few it keeps.
    /// Returns whether it was kept.
    /// </summary>
    public bool Offer(double score, Func<T> capture)
    {
        long order = _offered++;
        if (Capacity == 0 || double.IsNaN(score)) return false;
        if (_kept.Count == Capacity)
        {
            var best = _kept[^1];
            if (score >= best.Score) return false;
            _kept.RemoveAt(_kept.Count - 1);
        }
        int at = _kept.FindIndex(k => k.Score > score);
        _kept.Insert(at < 0 ? _kept.Count : at, (score, order, capture()));
        return true;
    }

    /// <summary>The kept items, worst (lowest score) first.</summary>
    public IReadOnlyList<(double Score, T Item)> Items => _kept.Select(k => (k.Score, k.Item)).ToList();
}
