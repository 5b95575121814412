using System.Diagnostics;
using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;
using SharpSeg.Curation.Embedding;
using SharpSeg.Curation.Scoring;

namespace SharpSeg.Curation.Selection;

/// <summary>
/// Chooses which unlabelled images to label next. Steps: (1) near-duplicates are grouped and only one representative
/// per group stays a candidate (<see cref="NearDuplicateFinder"/>; labelled images represent their groups, so copies of
/// labelled images are never chosen); (2) per-image scores (uncertainty, typicality, random) are turned into ranks in
/// [0, 1] over the candidates so that weights mean the same for every strategy; (3) images are picked one at a time,
/// each the candidate with the largest weighted sum of its rank scores, its diversity term (distance to the nearest
/// labelled or selected image divided by the largest such distance, as in k-center greedy) and its class-balance term
/// (predicted pixels of classes still short of the target, divided by the best candidate's); diversity and class
/// balance are updated after every pick. Ties are broken by a seeded jitter (10⁻⁶), so results are deterministic under
/// a seed. Cost: O(N · D) per pick with diversity (a dot product per row), O(N · C) with class balance, O(N) otherwise.
/// </summary>
public static class CurationSelector
{
    const double Jitter = 1e-6;

    /// <summary>Selects from <paramref name="embeddings"/> as <paramref name="options"/> say.</summary>
    public static CurationResult Select(EmbeddingSet embeddings, CurationOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        ArgumentNullException.ThrowIfNull(options);
        var mix = options.Strategy;
        int n = embeddings.Count;
        if (options.Budget is int b0 && b0 < 0) throw new SharpSegException($"--budget must be at least 0, got {b0}.");
        if (options.Budget == null && !mix.DedupeOnly) throw new SharpSegException("--budget is required (how many images to select).");
        if (mix.DedupeOnly && options.DedupeThreshold == null) throw new SharpSegException("strategy 'dedupe' needs a dedupe threshold (do not combine it with --no-dedupe).");
        var seconds = new Dictionary<string, double>();
        var clock = Stopwatch.StartNew();
        var isLabelled = new bool[n];
        var labelled = new List<int>();
        foreach (int r in options.Labelled)
        {
            if ((uint)r >= (uint)n) throw new ArgumentOutOfRangeException(nameof(options), $"labelled row {r} is outside the {n} embeddings");
            if (!isLabelled[r]) { isLabelled[r] = true; labelled.Add(r); }
        }

        using var x = EmbeddingTensors.ToTensor(embeddings);

        // Model scores matched to rows by path.
        var scores = options.Scores;
        int classes = scores?.ClassNames.Count ?? 0;
        double[]? uncertainty = null;
        float[]? shares = null;
        bool[]? hasScore = null;
        if (scores != null)
        {
            uncertainty = new double[n];
            shares = new float[(long)n * classes];
            hasScore = new bool[n];
            foreach (var s in scores.Rows)
            {
                int row = embeddings.IndexOf(Path.Combine(scores.Root, s.Path));
                if (row < 0) continue;
                hasScore[row] = true;
                uncertainty[row] = s.Uncertainty.Get(options.Measure, options.TopShare);
                for (int c = 0; c < classes && c < s.ClassShares.Count; c++) shares[(long)row * classes + c] = s.ClassShares[c];
            }
        }
        if (mix.NeedsScores && scores == null)
            throw new SharpSegException($"strategy '{mix.Text}' needs a trained model's scores: pass --checkpoint C (or --scores FILE from 'sharpseg score').");

        // 1. Near-duplicates.
        DedupeResult? dedupe = options.DedupeThreshold is not double t ? null
            : options.DedupeWith is { } other ? DedupeThrough(embeddings, other, t, labelled, cancellationToken)
            : NearDuplicateFinder.Find(x, t, labelled, cancellationToken);
        seconds["dedupe"] = clock.Elapsed.TotalSeconds;
        var eligible = new bool[n];
        for (int i = 0; i < n; i++) eligible[i] = !isLabelled[i] && (dedupe == null || !dedupe.IsRemoved(i));
        int candidates = eligible.Count(e => e);
        var duplicatesOf = new int[n];
        if (dedupe != null) foreach (var g in dedupe.Groups) duplicatesOf[g.Representative] = g.Members.Count;
        if (mix.NeedsScores)
        {
            var missing = Enumerable.Range(0, n).Where(i => eligible[i] && !hasScore![i]).ToList();
            if (missing.Count > 0)
                throw new SharpSegException($"{missing.Count} of {candidates} candidate images have no model scores (e.g. {embeddings.FullPath(missing[0])}); score the same images you embedded ('sharpseg score --images ...').");
        }

        var selected = new List<SelectedImage>();
        if (mix.DedupeOnly)
        {
            var reps = Enumerable.Range(0, n).Where(i => eligible[i]).OrderByDescending(i => duplicatesOf[i]).ThenBy(i => i).ToList();
            int take = Math.Min(options.Budget ?? reps.Count, reps.Count);
            for (int k = 0; k < take; k++)
            {
                int i = reps[k];
                string reason = duplicatesOf[i] > 0
                    ? $"represents {duplicatesOf[i]} near-duplicate{(duplicatesOf[i] == 1 ? "" : "s")} (cosine ≥ {dedupe!.Threshold.ToString("0.###", CultureInfo.InvariantCulture)})"
                    : "no near-duplicate";
                selected.Add(new SelectedImage(k + 1, i, embeddings.FullPath(i), 1, uncertainty?[i], null, null, null, duplicatesOf[i], reason));
            }
        }
        else if (mix.ClusterPick is { } clusterStrategy)
        {
            bool typical = clusterStrategy == SelectionStrategy.TypiClust;
            var picks = ClusterPickSelector.Select(x, eligible, labelled, options.Budget!.Value,
                typical ? ClusterPickSelector.Pick.Typicality : ClusterPickSelector.Pick.Score, uncertainty, options.Seed, options.TypicalityK, cancellationToken);
            foreach (var p in picks)
            {
                string what = typical ? $"the most typical (mean similarity {F(p.Score)} to its nearest neighbours in the cluster)"
                    : $"the most uncertain ({MeasureName(options)} {F(p.Score)})";
                string reason = p.ClusterSize > 0 ? $"{what} of a cluster of {p.ClusterSize} images with none labelled or selected"
                    : $"{what} among the rest (every cluster already covered)";
                if (duplicatesOf[p.Row] > 0) reason += $"; stands for {duplicatesOf[p.Row]} near-duplicate{(duplicatesOf[p.Row] == 1 ? "" : "s")}";
                selected.Add(new SelectedImage(selected.Count + 1, p.Row, embeddings.FullPath(p.Row), p.Score, uncertainty?[p.Row],
                    typical ? p.Score : null, null, null, duplicatesOf[p.Row], reason));
            }
        }
        else
        {
            SelectGreedy(embeddings, options, x, eligible, labelled, uncertainty, shares, classes, duplicatesOf, selected, seconds, clock, cancellationToken);
        }
        seconds["selection"] = clock.Elapsed.TotalSeconds - seconds.Values.Sum();

        // Coverage and class distributions.
        var coverageBefore = labelled.Count > 0 ? Coverage(x, labelled, cancellationToken) : null;
        var chosen = labelled.Concat(selected.Select(s => s.Row)).ToList();
        var coverageAfter = chosen.Count > 0 ? Coverage(x, chosen, cancellationToken) : null;
        seconds["coverage"] = clock.Elapsed.TotalSeconds - seconds.Values.Sum();
        IReadOnlyList<double>? MeanShares(IEnumerable<int> rows)
        {
            if (shares == null) return null;
            var sum = new double[classes];
            int count = 0;
            foreach (int r in rows)
            {
                if (!hasScore![r]) continue;
                count++;
                for (int c = 0; c < classes; c++) sum[c] += shares[(long)r * classes + c];
            }
            return count == 0 ? null : sum.Select(v => v / count).ToArray();
        }
        return new CurationResult(selected, mix, n, labelled, candidates, dedupe, coverageBefore, coverageAfter,
            scores?.ClassNames ?? [], MeanShares(Enumerable.Range(0, n).Where(i => !isLabelled[i])), MeanShares(labelled),
            MeanShares(selected.Select(s => s.Row)), seconds);
    }

    static void SelectGreedy(EmbeddingSet embeddings, CurationOptions options, Tensor x, bool[] eligible, List<int> labelled,
        double[]? uncertainty, float[]? shares, int classes, int[] duplicatesOf, List<SelectedImage> selected,
        Dictionary<string, double> seconds, Stopwatch clock, CancellationToken ct)
    {
        var mix = options.Strategy;
        int n = embeddings.Count;
        double wRandom = mix.Weight(SelectionStrategy.Random), wDiv = mix.Weight(SelectionStrategy.Diversity),
            wTyp = mix.Weight(SelectionStrategy.Typicality), wUnc = mix.Weight(SelectionStrategy.Uncertainty),
            wCb = mix.Weight(SelectionStrategy.ClassBalance);
        var rng = new Random(options.Seed);
        var draw = new double[n];
        for (int i = 0; i < n; i++) draw[i] = rng.NextDouble();

        double t0 = clock.Elapsed.TotalSeconds;
        float[]? typicality = wTyp > 0 ? TypicalityScorer.Score(x, options.TypicalityK, options.Seed, ct) : null;
        var (uncRank, uncRankOf) = wUnc > 0 ? Ranks(uncertainty!, eligible) : (null, null);
        var (typRank, typRankOf) = typicality != null ? Ranks(typicality.Select(v => (double)v).ToArray(), eligible) : (null, null);
        var (rndRank, _) = wRandom > 0 ? Ranks(draw, eligible) : (null, null);
        seconds["ranking"] = clock.Elapsed.TotalSeconds - t0;
        int m = eligible.Count(e => e);

        var stat = new double[n];
        for (int i = 0; i < n; i++)
            stat[i] = wUnc * (uncRank?[i] ?? 0) + wTyp * (typRank?[i] ?? 0) + wRandom * (rndRank?[i] ?? 0) + Jitter * draw[i];
        var open = (bool[])eligible.Clone();
        var kcenter = wDiv > 0 ? new KCenterGreedySelector(embeddings.Vectors, embeddings.Dim, labelled) : null;

        // Class balance: q = class shares of (labelled + selected + one pool-average image as prior); w_c = max(0, t_c − q_c) / t_c.
        double[]? target = null, totals = null, prior = null, gain = null;
        double counted = 0;
        if (wCb > 0)
        {
            target = options.ClassTarget?.ToArray() ?? Enumerable.Repeat(1.0 / classes, classes).ToArray();
            if (target.Length != classes) throw new SharpSegException($"--class-target gives {target.Length} shares but the scores have {classes} classes.");
            totals = new double[classes];
            prior = new double[classes];
            gain = new double[n];
            var isLabelled = new HashSet<int>(labelled);
            int pooled = 0;
            for (int i = 0; i < n; i++)
            {
                bool lab = isLabelled.Contains(i);
                if (!lab && !eligible[i]) continue;
                for (int c = 0; c < classes; c++)
                {
                    double v = shares![(long)i * classes + c];
                    if (lab) totals[c] += v; else prior[c] += v;
                }
                if (lab) counted++; else pooled++;
            }
            for (int c = 0; c < classes; c++) prior[c] /= Math.Max(1, pooled);
        }

        int budget = Math.Min(options.Budget!.Value, m);
        for (int k = 0; k < budget; k++)
        {
            ct.ThrowIfCancellationRequested();
            double divTerm = 0, distance = double.NaN, cbTerm = 0, gainValue = 0, maxMd = 0, maxGain = 0;
            double[]? weights = null;
            bool hasCenters = kcenter is { Centers.Count: > 0 };
            var md = kcenter != null ? kcenter.MinDistances : default;
            if (hasCenters)
                for (int i = 0; i < n; i++) if (open[i] && md[i] > maxMd) maxMd = md[i];
            if (gain != null)
            {
                weights = new double[classes];
                for (int c = 0; c < classes; c++)
                {
                    double q = (totals![c] + prior![c]) / (counted + 1);
                    weights[c] = target![c] > 0 ? Math.Max(0, target[c] - q) / target[c] : 0;
                }
                for (int i = 0; i < n; i++)
                {
                    if (!open[i]) continue;
                    double g = 0;
                    for (int c = 0; c < classes; c++) g += shares![(long)i * classes + c] * weights[c];
                    gain[i] = g;
                    if (g > maxGain) maxGain = g;
                }
            }
            int pick = -1;
            double best = double.NegativeInfinity;
            for (int i = 0; i < n; i++)
            {
                if (!open[i]) continue;
                double score = stat[i];
                if (kcenter != null) score += wDiv * (!hasCenters ? 1 : maxMd > 0 ? md[i] / maxMd : 0);
                if (gain != null && maxGain > 0) score += wCb * gain[i] / maxGain;
                if (score > best) { best = score; pick = i; }
            }
            if (pick < 0) break;
            if (kcenter != null)
            {
                divTerm = !hasCenters ? 1 : maxMd > 0 ? md[pick] / maxMd : 0;
                if (hasCenters) distance = md[pick];
            }
            if (gain != null)
            {
                gainValue = gain[pick];
                cbTerm = maxGain > 0 ? gainValue / maxGain : 0;
            }
            open[pick] = false;
            kcenter?.Add(pick);
            if (totals != null)
            {
                for (int c = 0; c < classes; c++) totals[c] += shares![(long)pick * classes + c];
                counted++;
            }

            // Why: each strategy's contribution, strongest first.
            var reasons = new List<(double Weight, string Text)>();
            if (wUnc > 0) reasons.Add((wUnc * uncRank![pick], $"uncertain: {MeasureName(options)} {F(uncertainty![pick])} (rank {uncRankOf![pick]} of {m})"));
            if (wTyp > 0) reasons.Add((wTyp * typRank![pick], $"typical: mean similarity {F(typicality![pick])} to its {options.TypicalityK} nearest neighbours (rank {typRankOf![pick]} of {m})"));
            if (wDiv > 0) reasons.Add((wDiv * divTerm, double.IsNaN(distance) ? "diversity: first pick (nothing labelled or selected yet)" : $"diverse: distance {F(distance)} to the nearest labelled or selected image"));
            if (wCb > 0) reasons.Add((wCb * cbTerm, ClassReason(shares!, pick, classes, weights!, options.Scores!.ClassNames)));
            if (wRandom > 0) reasons.Add((wRandom * rndRank![pick], "random draw"));
            string text = string.Join("; ", reasons.OrderByDescending(r => r.Weight).Select(r => r.Text));
            if (duplicatesOf[pick] > 0) text += $"; stands for {duplicatesOf[pick]} near-duplicate{(duplicatesOf[pick] == 1 ? "" : "s")}";
            double total = stat[pick] - Jitter * draw[pick] + wDiv * divTerm + wCb * cbTerm;
            selected.Add(new SelectedImage(k + 1, pick, embeddings.FullPath(pick), total,
                uncertainty?[pick], typicality?[pick], double.IsNaN(distance) ? null : distance, wCb > 0 ? gainValue : null, duplicatesOf[pick], text));
        }
    }

    /// <summary>Dedupe with another embedding of the same images, mapped back to <paramref name="embeddings"/>' rows.</summary>
    static DedupeResult DedupeThrough(EmbeddingSet embeddings, EmbeddingSet other, double threshold, IReadOnlyList<int> labelled, CancellationToken ct)
    {
        var toOther = new int[embeddings.Count];
        var fromOther = new Dictionary<int, int>();
        for (int i = 0; i < embeddings.Count; i++)
        {
            toOther[i] = other.IndexOf(embeddings.FullPath(i));
            if (toOther[i] >= 0) fromOther.TryAdd(toOther[i], i);
        }
        var r = NearDuplicateFinder.Find(other, threshold, labelled.Select(i => toOther[i]).Where(j => j >= 0), ct);
        var rep = new int[embeddings.Count];
        for (int i = 0; i < embeddings.Count; i++)
            rep[i] = toOther[i] >= 0 && fromOther.TryGetValue(r.RepresentativeOf[toOther[i]], out int mapped) ? mapped : i;
        var groups = r.Groups.Where(g => fromOther.ContainsKey(g.Representative)).Select(g =>
        {
            var keep = g.Members.Select((m, k) => (m, k)).Where(p => fromOther.ContainsKey(p.m)).ToList();
            return new DuplicateGroup(fromOther[g.Representative], keep.Select(p => fromOther[p.m]).ToList(), keep.Select(p => g.Similarities[p.k]).ToList());
        }).Where(g => g.Members.Count > 0).ToList();
        // Members whose representative is not among these rows stay (their representative cannot stand for them here).
        var reps = groups.Select(g => g.Representative).ToHashSet();
        for (int i = 0; i < rep.Length; i++) if (rep[i] != i && !reps.Contains(rep[i])) rep[i] = i;
        return new DedupeResult(threshold, groups, rep);
    }

    static string MeasureName(CurationOptions o) =>
        (o.Measure switch { UncertaintyMeasure.LeastConfidence => "least confidence", _ => o.Measure.ToString().ToLowerInvariant() })
        + (o.TopShare ? " (top pixels)" : " (mean)");

    static string ClassReason(float[] shares, int row, int classes, double[] weights, IReadOnlyList<string> names)
    {
        var top = Enumerable.Range(0, classes)
            .Where(c => weights[c] > 0 && shares[(long)row * classes + c] >= 0.001)
            .OrderByDescending(c => weights[c] * shares[(long)row * classes + c]).Take(3)
            .Select(c => $"{names[c]} {(100 * shares[(long)row * classes + c]).ToString("0.0", CultureInfo.InvariantCulture)} %").ToList();
        return top.Count > 0 ? $"classes short of target: {string.Join(", ", top)} of predicted pixels" : "class balance: no under-represented class predicted";
    }

    static string F(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);

    /// <summary>Rank scores in [0, 1] over the eligible images (1 = largest value; ties share their average rank) and the
    /// 1-based rank of each (1 = largest).</summary>
    static (double[] Rank01, int[] Rank) Ranks(double[] values, bool[] eligible)
    {
        var idx = Enumerable.Range(0, values.Length).Where(i => eligible[i]).OrderBy(i => values[i]).ThenBy(i => i).ToArray();
        var r01 = new double[values.Length];
        var rank = new int[values.Length];
        int m = idx.Length;
        for (int a = 0; a < m;)
        {
            int b = a;
            while (b + 1 < m && values[idx[b + 1]] == values[idx[a]]) b++;
            double avg = m == 1 ? 1 : (a + b) / 2.0 / (m - 1);
            for (int k = a; k <= b; k++) { r01[idx[k]] = avg; rank[idx[k]] = m - b; }
            a = b + 1;
        }
        return (r01, rank);
    }

    /// <summary>Distance of every image not in <paramref name="chosen"/> to its nearest chosen image.</summary>
    public static CoverageStats Coverage(Tensor x, IReadOnlyList<int> chosen, CancellationToken ct = default)
    {
        int n = (int)x.shape[0];
        var isChosen = new bool[n];
        foreach (int c in chosen) isChosen[c] = true;
        var rest = Enumerable.Range(0, n).Where(i => !isChosen[i]).Select(i => (long)i).ToArray();
        if (rest.Length == 0) return new CoverageStats(chosen.Count, 0, 0, 0);
        using var scope = NewDisposeScope();
        var refRows = x.index_select(0, torch.tensor(chosen.Select(i => (long)i).ToArray()));
        var restRows = x.index_select(0, torch.tensor(rest));
        var (sim, _) = EmbeddingTensors.NearestReference(restRows, refRows, ct);
        var d = sim.Select(s => EmbeddingTensors.Distance(s)).OrderBy(v => v).ToArray();
        return new CoverageStats(chosen.Count, d.Average(), d[^1], d[(int)Math.Min(d.Length - 1, Math.Ceiling(0.9 * d.Length) - 1)]);
    }
}
