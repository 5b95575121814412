using TorchSharp;
using static TorchSharp.torch;
using SharpSeg.Curation.Scoring;

namespace SharpSeg.Curation.Selection;

/// <summary>
/// Diversity through clusters, then the best image of each: the rows (labelled and candidates) are clustered with k-means
/// into labelled + budget clusters; clusters that already hold a labelled image are covered; from the largest uncovered
/// clusters one image each is taken, the one with the highest score inside its cluster. With typicality computed inside
/// the cluster this is TypiClust (Hacohen et al., ICML 2022), the cold-start method for tiny budgets; with a model's
/// uncertainty it is uncertainty within diversity clusters, the usual fix for uncertainty sampling picking outliers and
/// near-identical hard images (e.g. Zhdanov 2019, "diverse mini-batch active learning").
/// </summary>
public static class ClusterPickSelector
{
    /// <summary>What decides the image taken from each cluster.</summary>
    public enum Pick
    {
        /// <summary>The most typical inside its cluster (mean cosine similarity to its nearest neighbours in the cluster).</summary>
        Typicality,

        /// <summary>The highest given score (e.g. a model's uncertainty).</summary>
        Score,
    }

    /// <summary>One pick: the row, the size of its cluster (0 for a fill-up pick beyond the uncovered clusters) and the
    /// score that won inside the cluster (typicality or the given score).</summary>
    public sealed record ClusterPick(int Row, int ClusterSize, double Score);

    /// <summary>Selects up to <paramref name="budget"/> rows of <paramref name="x"/> (unit rows <c>[N, D]</c>) among
    /// <paramref name="eligible"/>; <paramref name="score"/> is required for <see cref="Pick.Score"/>. Returns rows in
    /// pick order (largest cluster first).</summary>
    public static IReadOnlyList<ClusterPick> Select(Tensor x, IReadOnlyList<bool> eligible, IReadOnlyList<int> labelled, int budget, Pick pick,
        IReadOnlyList<double>? score, int seed, int typicalityK = 20, CancellationToken cancellationToken = default)
    {
        if (pick == Pick.Score && score == null) throw new ArgumentNullException(nameof(score), "cluster picks by score need a score per row");
        var rows = Enumerable.Range(0, (int)x.shape[0]).Where(i => eligible[i] || labelled.Contains(i)).ToList();
        int candidates = rows.Count(i => eligible[i]);
        budget = Math.Min(budget, candidates);
        if (budget <= 0) return [];
        int k = Math.Min(rows.Count, labelled.Count + budget);
        using var noGrad = torch.no_grad();
        using var rowIndex = torch.tensor(rows.Select(i => (long)i).ToArray());
        using var sub = x.index_select(0, rowIndex);
        using var clusters = KMeans.Fit(sub, k, seed, cancellationToken: cancellationToken);
        var members = new List<int>[k];
        for (int c = 0; c < k; c++) members[c] = [];
        for (int j = 0; j < rows.Count; j++) members[clusters.Assignment[j]].Add(rows[j]);
        var covered = new bool[k];
        var labelledSet = labelled.ToHashSet();
        for (int c = 0; c < k; c++) covered[c] = members[c].Any(labelledSet.Contains);
        var order = Enumerable.Range(0, k).Where(c => !covered[c] && members[c].Any(i => eligible[i]))
            .OrderByDescending(c => members[c].Count).ThenBy(c => members[c].Min()).ToList();
        var picks = new List<ClusterPick>();
        foreach (int c in order)
        {
            if (picks.Count == budget) break;
            var options = members[c].Where(i => eligible[i]).ToList();
            double[] s;
            if (pick == Pick.Score) s = options.Select(i => score![i]).ToArray();
            else
            {
                // Typicality among the cluster's own members (all of them, labelled included, are neighbours).
                using var memberIndex = torch.tensor(members[c].Select(i => (long)i).ToArray());
                using var m = x.index_select(0, memberIndex);
                var t = TypicalityScorer.Score(m, Math.Min(typicalityK, Math.Max(1, members[c].Count - 1)), seed, cancellationToken);
                s = options.Select(i => (double)t[members[c].IndexOf(i)]).ToArray();
            }
            int best = 0;
            for (int j = 1; j < options.Count; j++) if (s[j] > s[best]) best = j;
            picks.Add(new ClusterPick(options[best], members[c].Count, s[best]));
        }
        // Fewer uncovered clusters than the budget (clusters of labelled images only): fill by score over what is left.
        if (picks.Count < budget)
        {
            var taken = picks.Select(p => p.Row).ToHashSet();
            var rest = rows.Where(i => eligible[i] && !taken.Contains(i)).ToList();
            var fill = pick == Pick.Score ? rest.OrderByDescending(i => score![i]) : rest.OrderBy(i => i).AsEnumerable();
            picks.AddRange(fill.Take(budget - picks.Count).Select(i => new ClusterPick(i, 0, pick == Pick.Score ? score![i] : double.NaN)));
        }
        return picks;
    }
}
