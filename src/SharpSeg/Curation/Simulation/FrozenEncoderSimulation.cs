using System.Globalization;
using System.Text.Json;
using SharpSeg.Curation.Embedding;
using SharpSeg.Curation.Scoring;
using SharpSeg.Curation.Selection;
using SharpSeg.Data.Dataset;
using SharpSeg.Pretrained;
using SharpSeg.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace SharpSeg.Curation.Simulation;

/// <summary>
/// The curation simulation with a frozen pretrained encoder (<c>curate-simulate --evaluator frozen</c>): the recipe's
/// encoder and weights (e.g. the ImageNet ResNet-18) run once over the pool and the validation split
/// (<see cref="FrozenEncoderFeatures"/>); every labelled set then trains only a light head on the cached features,
/// about a second per hundred steps instead of minutes, so many strategies × seeds × budgets fit in an hour.
/// <para>Cold start (<see cref="SimulationOptions.InitialFraction"/> = 0): each strategy picks the whole budget from
/// nothing, on the encoder's own embeddings. Warm start: a random initial set trains the first head, whose predictions on
/// the pool give uncertainty, predicted class shares and BADGE gradient embeddings; each strategy then adds the step.</para>
/// <para>Strategies: every <see cref="StrategyMix"/> of <c>sharpseg curate</c> (near-duplicates removed through thumbnails
/// only when the mix names <c>dedupe</c>), plus <see cref="ExtraStrategies"/>.</para>
/// Results go to results.jsonl run by run (a rerun skips finished runs; the features are recomputed, about a minute)
/// and results.md, with the paired difference to random per seed.
/// </summary>
public static class FrozenEncoderSimulation
{
    /// <summary>Strategies only the simulation offers (cluster-based and gradient-based), by name.</summary>
    public static IReadOnlyList<string> ExtraStrategies { get; } = ["cluster-balance", "badge"];

    /// <summary>Clusters of dense features that stand in for classes in <c>cluster-balance</c>.</summary>
    public const int DenseClusters = 32;

    static readonly JsonSerializerOptions Json = new();

    /// <summary>Checks a strategy name for this simulation: a mix of <c>sharpseg curate</c> or one of <see cref="ExtraStrategies"/>; returns its canonical text.</summary>
    public static string Canonical(string text)
    {
        string t = text.Trim().ToLowerInvariant();
        return ExtraStrategies.Contains(t) ? t : StrategyMix.Parse(text).Text;
    }

    /// <param name="fineTune">Measure each labelled set by training the recipe on it (e.g. fine-tuning the whole ImageNet
    /// U-Net) instead of a head on the frozen features: <c>--evaluator finetune</c>. The sets are the ones the frozen
    /// evaluator chooses for the same seeds (selection always runs on the frozen features; at a warm start a head on the
    /// initial set still gives the uncertainty, class shares and gradients), so the two evaluators' tables pair up.</param>
    public static IReadOnlyList<SimulationRunResult> Run(SimulationOptions o, FrozenHeadOptions head, double scale = 0.5, Action<string>? log = null,
        CancellationToken cancellationToken = default, bool fineTune = false, IProgress<TrainingProgress>? training = null)
    {
        log ??= _ => { };
        if (o.Strategies.Count == 0) throw new SharpSegException("give at least one --strategy to compare with random.");
        if (!(o.InitialFraction >= 0 && o.StepFraction > 0 && o.InitialFraction + o.StepFraction <= 1))
            throw new SharpSegException($"--initial {o.InitialFraction} must be ≥ 0 and --step {o.StepFraction} positive, adding up to at most 1.");
        var strategies = o.Strategies.Select(s => Canonical(s.Text)).Concat(o.ExtraStrategies.Select(Canonical)).Distinct().ToList();
        bool warm = o.InitialFraction > 0;
        foreach (var s in strategies)
            if (!warm && (s is "badge" || (!ExtraStrategies.Contains(s) && StrategyMix.Parse(s).NeedsScores)))
                throw new SharpSegException($"strategy '{s}' needs a model's predictions: use it with --initial > 0 (warm start), not at cold start.");

        string outDir = Path.GetFullPath(o.Out);
        IO.OutputFolder.Create(outDir);
        var recipe = TrainingRecipe.Load(o.Recipe, o.Overrides);
        var spec = DatasetSpec.Load(recipe.DatasetPath, recipe.DataRoot);
        string valSplit = recipe.ValSplit ?? throw new SharpSegException($"{o.Recipe}: data.val_split is not set; the simulation measures on it.");
        var pool = spec.ResolvePairs(recipe.TrainSplit).OrderBy(p => p.ImagePath, StringComparer.Ordinal).ToList();
        var valPairs = spec.ResolvePairs(valSplit);
        int initial = warm ? Math.Max(1, (int)Math.Round(pool.Count * o.InitialFraction)) : 0;
        int step = Math.Max(1, (int)Math.Round(pool.Count * o.StepFraction));
        string encoderName = recipe.Tree.GetString("model.encoder") ?? "resnet18";
        string weights = recipe.Tree.GetString("model.encoder_weights") ?? "";
        if (EncoderWeights.IsNone(weights))
            throw new SharpSegException($"{o.Recipe}: model.encoder_weights is not set; --evaluator frozen and finetune choose on a pretrained encoder's frozen features: set one (e.g. model.encoder_weights: imagenet).");
        log($"pool: {pool.Count} images of split '{recipe.TrainSplit}', val: {valPairs.Count} of '{valSplit}'; " +
            (warm ? $"initial {initial} at random, each strategy adds {step}" : $"cold start, each strategy picks {step}") +
            (fineTune ? $"; sets chosen on the frozen {encoderName} ({weights}) features, each measured by training the recipe" : $"; encoder {encoderName} ({weights}) frozen, head {head.Iterations} steps") + $"; seeds {string.Join(", ", o.Seeds)}");

        string resultsPath = Path.Combine(outDir, "results.jsonl");
        var results = IO.JsonLines.Read<SimulationRunResult>(resultsPath, Json);
        bool Done(int seed, string strategy) => results.Any(r => r.Seed == seed && r.Strategy == strategy);
        if (o.Seeds.All(seed => (!warm || Done(seed, "initial")) && strategies.All(s => Done(seed, s)) && Done(seed, "random")))
        {
            File.WriteAllText(Path.Combine(outDir, "results.md"), ActiveLearningSimulation.Table(results));
            return results;
        }

        var (images, thumbnails) = ActiveLearningSimulation.PoolThumbnails(pool, outDir, cancellationToken, spec.ImageRange);
        using var model = EncoderWeights.CreateWithEncoder(EncoderWeights.EncoderFor(weights, encoderName), weights, spec.ImageChannels, out var normalization);
        using var features = FrozenEncoderFeatures.Compute(model.Encoder, normalization, spec, pool, valPairs, images.Root, scale,
            device: Engine.TorchRuntime.ResolveDevice(recipe.Device), log: log, cancellationToken: cancellationToken);
        var embeddings = features.Embeddings;
        using var x = EmbeddingTensors.ToTensor(embeddings);

        foreach (int seed in o.Seeds)
        {
            string seedDir = Path.Combine(outDir, $"seed{seed}");
            Directory.CreateDirectory(seedDir);
            var order = Enumerable.Range(0, pool.Count).ToArray();
            new Random(seed).Shuffle(order);
            var start = order.Take(initial).OrderBy(i => i).ToList();
            ImageScoreFile? scores = null;
            Tensor? gradients = null;
            if (warm)
            {
                using (var initialHead = TrainAndRecord(seed, "initial", start, keepHead: true)!)
                {
                    var (rows, g) = features.ScorePool(initialHead, cancellationToken);
                    scores = ImageScoreFile.FromRows(images.Root, features.ClassNames, rows);
                    gradients = g;
                }
            }
            using var gradientsOwner = gradients;
            foreach (var strategy in new[] { "random" }.Concat(strategies).Distinct())
            {
                if (Done(seed, strategy)) { log($"seed {seed}, {strategy}: done earlier"); continue; }
                var added = Select(strategy, seed, start, scores, gradients);
                TrainAndRecord(seed, strategy, start.Concat(added).ToList(), keepHead: false);
            }
        }
        File.WriteAllText(Path.Combine(outDir, "results.md"), ActiveLearningSimulation.Table(results));
        return results;

        List<int> Select(string strategy, int seed, List<int> labelled, ImageScoreFile? scores, Tensor? gradients)
        {
            var eligible = Enumerable.Range(0, pool.Count).Select(i => !labelled.Contains(i)).ToArray();
            switch (strategy)
            {
                case "badge":
                {
                    var candidates = Enumerable.Range(0, pool.Count).Where(i => eligible[i]).ToList();
                    using var candidateRows = torch.tensor(candidates.Select(i => (long)i).ToArray());
                    using var g = gradients!.index_select(0, candidateRows);
                    return KMeans.PlusPlusSeeds(g, Math.Min(step, candidates.Count), new Random(seed), cancellationToken).Select(j => candidates[j]).ToList();
                }
                case "cluster-balance":
                {
                    var shares = ClusterShares(features, DenseClusters, seed, cancellationToken);
                    var names = Enumerable.Range(0, DenseClusters).Select(c => $"cluster {c}").ToList();
                    var none = new UncertaintyScores(0, 0, 0, 0, 0, 0);
                    var pseudo = ImageScoreFile.FromRows(images.Root, names, embeddings.Paths.Select((p, i) => new ImageScores(p, none, shares[i])).ToList());
                    return Curate(StrategyMix.Of(SelectionStrategy.ClassBalance), seed, labelled, pseudo);
                }
                default:
                    return Curate(StrategyMix.Parse(strategy), seed, labelled, scores);
            }
        }

        List<int> Curate(StrategyMix mix, int seed, List<int> labelled, ImageScoreFile? scores)
        {
            var result = CurationSelector.Select(embeddings, new CurationOptions
            {
                Budget = step, Strategy = mix, Seed = seed, Labelled = labelled, Scores = scores,
                DedupeThreshold = o.DedupeFor(mix),
                DedupeWith = thumbnails,
            }, cancellationToken);
            return result.Selected.Select(s => s.Row).ToList();
        }

        // Measures one labelled set (a head on the cached features, or the recipe trained on it with fineTune) and
        // records it unless done earlier; returns the head when asked (a warm start's initial set scores the pool with it).
        FrozenHead? TrainAndRecord(int seed, string strategy, List<int> rows, bool keepHead)
        {
            cancellationToken.ThrowIfCancellationRequested();
            // The labelled set (initial images first, then the strategy's picks in pick order), one image per line.
            string list = Path.Combine(outDir, $"seed{seed}", Safe(strategy) + ".txt");
            File.WriteAllLines(list, rows.Select(i => embeddings.Paths[i]));
            FrozenHead? trained = null;
            if (!fineTune || keepHead)
            {
                var (val, h, elapsed) = features.Train(rows, head, seed, cancellationToken);
                trained = h;
                if (!fineTune)
                    Record(new SimulationRunResult
                    {
                        Seed = seed, Strategy = strategy, Labelled = rows.Count, ValMIoU = val.MeanIoU, ValPixelAccuracy = val.PixelAccuracy,
                        PerClassIoU = val.PerClass.Select(c => c.IoU).ToArray(), ClassNames = val.PerClass.Select(c => c.Name ?? "").ToArray(),
                        TrainSeconds = elapsed.TotalSeconds, Run = "frozen", List = list,
                    }, $"{rows.Count} images");
            }
            if (fineTune && !Done(seed, strategy))
            {
                string dir = Path.Combine(outDir, $"seed{seed}", Safe(strategy));
                log($"seed {seed}, {strategy}: training the recipe on {rows.Count} images → {Path.Combine(dir, "run")}");
                Record(ActiveLearningSimulation.TrainRecipe(o, spec, recipe.TrainSplit, pool, rows, dir, seed, strategy, training, cancellationToken),
                    $"{rows.Count} images, trained");
            }
            if (keepHead) return trained;
            trained?.Dispose();
            return null;
        }

        void Record(SimulationRunResult r, string what)
        {
            if (!Done(r.Seed, r.Strategy))
            {
                IO.JsonLines.Append(resultsPath, JsonSerializer.Serialize(r, Json));
                results.Add(r);
            }
            log($"seed {r.Seed}, {r.Strategy}: {what}, val mIoU {ActiveLearningSimulation.Percent(r.ValMIoU)} % ({r.TrainSeconds:F1} s)");
        }
    }

    /// <summary>Per pool image, the share of its dense cells in each of <paramref name="k"/> k-means clusters of all pool
    /// cells: a label-free stand-in for the classes it shows.</summary>
    public static float[][] ClusterShares(FrozenEncoderFeatures features, int k, int seed, CancellationToken cancellationToken = default)
    {
        using var clusters = KMeans.Fit(features.Cells, k, seed, cancellationToken: cancellationToken);
        var shares = new float[features.PoolCount][];
        var counts = new int[features.PoolCount];
        for (int i = 0; i < shares.Length; i++) shares[i] = new float[k];
        for (int j = 0; j < clusters.Assignment.Length; j++) { shares[features.CellOwner[j]][clusters.Assignment[j]]++; counts[features.CellOwner[j]]++; }
        for (int i = 0; i < shares.Length; i++)
            for (int c = 0; c < k; c++) shares[i][c] /= Math.Max(1, counts[i]);
        return shares;
    }

    static string Safe(string text) => new(text.Select(ch => char.IsLetterOrDigit(ch) || ch is '-' or '.' ? ch : '_').ToArray());
}
