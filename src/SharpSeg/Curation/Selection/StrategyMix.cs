using System.Globalization;

namespace SharpSeg.Curation.Selection;

/// <summary>
/// Weighted strategies, written <c>uncertainty:0.5,diversity:0.5</c> (a name alone has weight 1). Weights are
/// normalised to sum to 1. <c>dedupe</c> takes no weight: alone it selects group representatives; in a mix it only
/// says that near-duplicates are removed first (which is the default anyway).
/// </summary>
public sealed record StrategyMix
{
    /// <summary>
    /// The strategy SharpSeg uses when none is given: k-center diversity. In the CamVid labelling simulation
    /// (docs/BENCHMARKS.md) the mix uncertainty:0.5,diversity:0.5 lost to random selection on every seed, so the
    /// model-uncertainty term is not a default; diversity needs no trained model and cannot be misled by a weak one.
    /// </summary>
    public const string DefaultText = "diversity";

    StrategyMix(IReadOnlyDictionary<SelectionStrategy, double> weights, string text)
    {
        Weights = weights; Text = text;
    }

    /// <summary>Normalised weight of each strategy in the mix (dedupe: 0; absent strategies are not keys).</summary>
    public IReadOnlyDictionary<SelectionStrategy, double> Weights { get; }

    /// <summary>The mix as written canonically (e.g. <c>uncertainty:0.5,diversity:0.5</c>).</summary>
    public string Text { get; }

    /// <summary>Weight of <paramref name="s"/> (0 when absent).</summary>
    public double Weight(SelectionStrategy s) => Weights.TryGetValue(s, out var w) ? w : 0;

    /// <summary>Whether the mix is <c>dedupe</c> alone.</summary>
    public bool DedupeOnly => Weights.Count == 1 && Weights.ContainsKey(SelectionStrategy.Dedupe);

    /// <summary>Whether the strategy needs model scores (uncertainty or class-balance).</summary>
    public bool NeedsScores => Weight(SelectionStrategy.Uncertainty) > 0 || Weight(SelectionStrategy.ClassBalance) > 0 || Weight(SelectionStrategy.ClusterUncertainty) > 0;

    /// <summary>A cluster-based strategy (<c>typiclust</c>, <c>cluster-uncertainty</c>), alone or with <c>dedupe</c>.</summary>
    public SelectionStrategy? ClusterPick => Weight(SelectionStrategy.TypiClust) > 0 ? SelectionStrategy.TypiClust
        : Weight(SelectionStrategy.ClusterUncertainty) > 0 ? SelectionStrategy.ClusterUncertainty : null;

    /// <summary>The strategy names as written on the command line.</summary>
    public static IReadOnlyList<string> Names { get; } = ["random", "dedupe", "diversity", "typicality", "uncertainty", "class-balance", "typiclust", "cluster-uncertainty"];

    /// <summary>A single strategy with weight 1.</summary>
    public static StrategyMix Of(SelectionStrategy s) => Parse(NameOf(s));

    /// <summary>The command-line name of a strategy.</summary>
    public static string NameOf(SelectionStrategy s) => s switch
    {
        SelectionStrategy.ClassBalance => "class-balance",
        SelectionStrategy.ClusterUncertainty => "cluster-uncertainty",
        _ => s.ToString().ToLowerInvariant(),
    };

    /// <summary>Parses <c>name[:weight],…</c>; unknown names (with the nearest valid one), bad or negative weights and
    /// repeated names are one-line errors.</summary>
    public static StrategyMix Parse(string text)
    {
        if (string.IsNullOrWhiteSpace(text)) throw new SharpSegException($"--strategy is empty: use one or more of {string.Join(", ", Names)}, e.g. {DefaultText}.");
        var raw = new Dictionary<SelectionStrategy, double>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = part.Split(':', 2, StringSplitOptions.TrimEntries);
            var s = ParseName(kv[0]);
            double w = 1;
            if (kv.Length == 2 && (!double.TryParse(kv[1], NumberStyles.Float, CultureInfo.InvariantCulture, out w) || !(w >= 0) || double.IsInfinity(w)))
                throw new SharpSegException($"--strategy '{part}': the weight must be a number ≥ 0, e.g. {kv[0]}:0.5.");
            if (!raw.TryAdd(s, w)) throw new SharpSegException($"--strategy names '{kv[0]}' twice; give each strategy once.");
        }
        if (raw.Count == 0) throw new SharpSegException($"--strategy is empty: use one or more of {string.Join(", ", Names)}.");
        foreach (var cluster in new[] { SelectionStrategy.TypiClust, SelectionStrategy.ClusterUncertainty })
            if (raw.ContainsKey(cluster) && raw.Keys.Any(k => k != cluster && k != SelectionStrategy.Dedupe))
                throw new SharpSegException($"--strategy '{text}': {NameOf(cluster)} picks whole clusters and is not mixed with other strategies (only with dedupe).");
        bool dedupeOnly = raw.Count == 1 && raw.ContainsKey(SelectionStrategy.Dedupe);
        double sum = raw.Where(p => p.Key != SelectionStrategy.Dedupe).Sum(p => p.Value);
        if (!dedupeOnly && !(sum > 0)) throw new SharpSegException($"--strategy '{text}': the weights sum to 0; give at least one strategy a positive weight.");
        var weights = new Dictionary<SelectionStrategy, double>();
        foreach (var (s, w) in raw)
            if (s == SelectionStrategy.Dedupe) weights[s] = 0;
            else if (w > 0) weights[s] = w / sum;
        string canonical = string.Join(',', weights.Select(p => p.Key == SelectionStrategy.Dedupe ? "dedupe"
            : weights.Count(q => q.Key != SelectionStrategy.Dedupe) == 1 ? NameOf(p.Key) : $"{NameOf(p.Key)}:{p.Value.ToString("0.###", CultureInfo.InvariantCulture)}"));
        return new StrategyMix(weights, canonical);
    }

    static SelectionStrategy ParseName(string name) => name.ToLowerInvariant().Replace('_', '-') switch
    {
        "random" => SelectionStrategy.Random,
        "dedupe" or "dedup" => SelectionStrategy.Dedupe,
        "diversity" or "kcenter" or "k-center" or "coreset" => SelectionStrategy.Diversity,
        "typicality" or "typical" => SelectionStrategy.Typicality,
        "uncertainty" or "uncertain" => SelectionStrategy.Uncertainty,
        "class-balance" or "classbalance" or "balance" => SelectionStrategy.ClassBalance,
        "typiclust" => SelectionStrategy.TypiClust,
        "cluster-uncertainty" => SelectionStrategy.ClusterUncertainty,
        _ => throw new SharpSegException($"unknown strategy '{name}'{(Configuration.NearestName.Suggest(name, Names) is { } near ? $" (did you mean '{near}'?)" : "")}: use {string.Join(", ", Names)}."),
    };
}
