using System.Globalization;
using System.Text;
using System.Text.Json;
using SharpSeg.Inference;
using SharpSeg.Training;
using SharpSeg.Curation.Embedding;
using SharpSeg.Curation.Scoring;
using SharpSeg.Curation.Selection;
using SharpSeg.Data.Dataset;

namespace SharpSeg.Curation.Simulation;

/// <summary>
/// Simulates the labelling loop on a labelled dataset with its labels hidden, to measure whether a selection strategy
/// beats random. Per seed: label a random <see cref="SimulationOptions.InitialFraction"/> of the training split and train
/// on it (the initial model); embed and score the rest with that model; let each strategy add
/// <see cref="SimulationOptions.StepFraction"/> more; train from scratch on each enlarged set with the same recipe and
/// seed; record val mIoU. Every training set is a list-file split (<see cref="ListFileDataset"/>). Results are appended to
/// <c>results.jsonl</c> run by run, and finished runs are skipped when the simulation is started again.
/// </summary>
public static class ActiveLearningSimulation
{
    static readonly JsonSerializerOptions Json = new();

    /// <summary>Runs the simulation; <paramref name="log"/> receives one line per step.</summary>
    public static IReadOnlyList<SimulationRunResult> Run(SimulationOptions o, Action<string>? log = null, IProgress<TrainingProgress>? training = null,
        CancellationToken cancellationToken = default)
    {
        log ??= _ => { };
        if (o.Strategies.Count == 0) throw new SharpSegException("give at least one --strategy to compare with random.");
        if (o.InitialFraction == 0)
            throw new SharpSegException("--initial 0 (cold start) needs --evaluator frozen or finetune: this evaluator embeds and scores the pool with a model trained on the initial set.");
        if (!(o.InitialFraction > 0 && o.StepFraction > 0 && o.InitialFraction + o.StepFraction <= 1))
            throw new SharpSegException($"--initial {o.InitialFraction} and --step {o.StepFraction} must be positive and add up to at most 1.");
        string outDir = Path.GetFullPath(o.Out);
        IO.OutputFolder.Create(outDir);
        var recipe = TrainingRecipe.Load(o.Recipe, o.Overrides);
        // The initial model embeds and scores the pool in the precision it was trained in (train.precision).
        bool bf16 = RecipeBinding.Precision(recipe) != null;
        var spec = DatasetSpec.Load(recipe.DatasetPath, recipe.DataRoot);
        var pool = spec.ResolvePairs(recipe.TrainSplit).OrderBy(p => p.ImagePath, StringComparer.Ordinal).ToList();
        int initial = Math.Max(1, (int)Math.Round(pool.Count * o.InitialFraction)), step = Math.Max(1, (int)Math.Round(pool.Count * o.StepFraction));
        log($"pool: {pool.Count} images of split '{recipe.TrainSplit}' ({spec.SourcePath}); initial {initial} at random, each strategy adds {step}; seeds {string.Join(", ", o.Seeds)}");

        string resultsPath = Path.Combine(outDir, "results.jsonl");
        // A run killed while appending leaves a torn last line: skipped, so that run is trained again.
        var results = IO.JsonLines.Read<SimulationRunResult>(resultsPath, Json);
        SimulationRunResult? Done(int seed, string strategy) => results.FirstOrDefault(r => r.Seed == seed && r.Strategy == strategy);

        var (images, thumbnails) = PoolThumbnails(pool, outDir, cancellationToken, spec.ImageRange);

        foreach (int seed in o.Seeds)
        {
            string seedDir = Path.Combine(outDir, $"seed{seed}");
            var order = Enumerable.Range(0, pool.Count).ToArray();
            new Random(seed).Shuffle(order);
            var start = order.Take(initial).OrderBy(i => i).ToList();
            var initialRun = Done(seed, "initial") ?? Train(seed, "initial", start, null);
            string initialCkpt = Path.Combine(initialRun.Run, Trainer.BestCheckpointName);

            // The initial model's view of the pool: embeddings (for diversity/typicality) and scores (uncertainty, classes).
            EmbeddingSet embeddings = thumbnails;
            if (o.Embedder.Equals("checkpoint", StringComparison.OrdinalIgnoreCase))
            {
                string npy = Path.Combine(seedDir, "embeddings.npy");
                using var e = EmbeddingEncoders.FromCheckpoint(initialCkpt, o.EmbedSize, o.EmbedSize, bf16: bf16);
                EmbeddingRunner.Run(e, new EmbedOptions(images, npy, ImageRange: spec.ImageRange,
                    Remedy: "delete it (the simulation embeds the pool again with the initial model), or use another --out"), cancellationToken: cancellationToken);
                embeddings = EmbeddingSet.Read(npy);
            }
            else if (!o.Embedder.Equals("thumbnail", StringComparison.OrdinalIgnoreCase))
                throw new SharpSegException($"--embedder '{o.Embedder}': use checkpoint or thumbnail.");
            ImageScoreFile? scores = null;
            if (o.Strategies.Any(s => s.NeedsScores))
            {
                string csv = Path.Combine(seedDir, "scores.csv");
                using var predictor = Predictor.FromCheckpoint(initialCkpt, bf16: bf16);
                ImageScorer.Run(predictor, images, csv, cancellationToken: cancellationToken);
                scores = ImageScoreFile.Read(csv);
            }
            var labelledRows = start.Select(i => embeddings.IndexOf(pool[i].ImagePath)).ToList();
            foreach (var mix in o.Strategies)
            {
                if (Done(seed, mix.Text) != null) { log($"seed {seed}, {mix.Text}: done earlier"); continue; }
                var selection = CurationSelector.Select(embeddings, new CurationOptions
                {
                    Budget = step, Strategy = mix, Seed = seed, Labelled = labelledRows, Scores = scores,
                    DedupeThreshold = o.DedupeFor(mix), DedupeWith = thumbnails,
                }, cancellationToken);
                string name = Safe(mix.Text);
                SelectionCsv.Write(Path.Combine(seedDir, name, "selection.csv"), selection);
                var added = selection.Selected.Select(s => pool.FindIndex(p => Path.GetFullPath(p.ImagePath) == s.Path)).ToList();
                Train(seed, mix.Text, start.Concat(added).ToList(), name);
            }
        }
        File.WriteAllText(Path.Combine(outDir, "results.md"), Table(results));
        return results;

        SimulationRunResult Train(int seed, string strategy, List<int> rows, string? folder)
        {
            string dir = Path.Combine(outDir, $"seed{seed}", folder ?? "initial");
            log($"seed {seed}, {strategy}: training on {rows.Count} images → {Path.Combine(dir, "run")}");
            var r = TrainRecipe(o, spec, recipe.TrainSplit, pool, rows, dir, seed, strategy, training, cancellationToken);
            IO.JsonLines.Append(resultsPath, JsonSerializer.Serialize(r, Json));
            results.Add(r);
            log($"seed {seed}, {strategy}: val mIoU {Percent(r.ValMIoU)} % ({r.TrainSeconds:F0} s)");
            return r;
        }
    }

    /// <summary>Trains the recipe (<see cref="SimulationOptions.Recipe"/> with its overrides) from its own start on the
    /// pool images <paramref name="rows"/>, written as a list-file split into <paramref name="dir"/> (the run in
    /// <c>dir/run</c>, seed <paramref name="seed"/>), and returns its last validation as one simulation result.</summary>
    internal static SimulationRunResult TrainRecipe(SimulationOptions o, DatasetSpec spec, string split, IReadOnlyList<SamplePair> pool,
        IReadOnlyList<int> rows, string dir, int seed, string strategy, IProgress<TrainingProgress>? training, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        string yaml = ListFileDataset.Write(spec, split, rows.Select(i => pool[i]), dir);
        var overrides = o.Overrides.Concat([$"data.dataset={yaml}", "data.data_root=null", $"train.seed={seed}"]).ToList();
        string run = Path.Combine(dir, "run");
        if (Directory.Exists(run)) Directory.Delete(run, recursive: true); // an interrupted run: start it again
        var result = Trainer.Create(TrainingRecipe.Load(o.Recipe, overrides), run).Run(training, cancellationToken);
        var v = result.LastValidation;
        return new SimulationRunResult
        {
            Seed = seed, Strategy = strategy, Labelled = rows.Count, ValMIoU = v?.MeanIoU, ValPixelAccuracy = v?.PixelAccuracy,
            PerClassIoU = v?.PerClass.Select(c => c.IoU).ToArray() ?? [], ClassNames = v?.PerClass.Select(c => c.Name ?? "").ToArray() ?? [],
            TrainSeconds = result.Elapsed.TotalSeconds, Run = run, List = Path.Combine(dir, "list.txt"),
        };
    }

    /// <summary>A validation mIoU in percent with two decimals, or n/a.</summary>
    internal static string Percent(double? mIoU) => mIoU is double m ? (100 * m).ToString("F2", CultureInfo.InvariantCulture) : "n/a";

    /// <summary>The pool as an image collection under its deepest common folder, and its thumbnail embeddings (for
    /// dedupe; <c>thumbnails.npy</c> in <paramref name="outDir"/>, resumed when there).</summary>
    internal static (ImageCollection Images, EmbeddingSet Thumbnails) PoolThumbnails(IReadOnlyList<SamplePair> pool, string outDir, CancellationToken cancellationToken, Imaging.IntensityRange? range = null)
    {
        string root = CommonFolder(pool.Select(p => Path.GetFullPath(p.ImagePath)));
        var images = new ImageCollection(root, pool.Select(p => Path.GetRelativePath(root, Path.GetFullPath(p.ImagePath)).Replace('\\', '/')).ToList());
        string thumbs = Path.Combine(outDir, "thumbnails.npy");
        using (var t = new ThumbnailEmbedder()) EmbeddingRunner.Run(t, new EmbedOptions(images, thumbs, ImageRange: range), cancellationToken: cancellationToken);
        return (images, EmbeddingSet.Read(thumbs));
    }

    /// <summary>The deepest folder that holds all <paramref name="paths"/>.</summary>
    static string CommonFolder(IEnumerable<string> paths)
    {
        string? common = null;
        foreach (var p in paths)
        {
            string dir = Path.GetDirectoryName(p)!;
            if (common == null) { common = dir; continue; }
            while (!(dir + Path.DirectorySeparatorChar).StartsWith(common.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                common = Path.GetDirectoryName(common) ?? Path.GetPathRoot(dir)!;
        }
        return common ?? Directory.GetCurrentDirectory();
    }

    static string Safe(string text) => new(text.Select(ch => char.IsLetterOrDigit(ch) || ch is '-' or '.' ? ch : '_').ToArray());

    /// <summary>A signed difference rounded to <paramref name="decimals"/> places: +1.3, −0.2, and +0.0 for anything that
    /// rounds to zero (not "-0.0").</summary>
    internal static string Signed(double value, int decimals)
    {
        double r = Math.Round(value, decimals, MidpointRounding.AwayFromZero);
        if (r == 0) r = 0; // -0 → 0
        return (r >= 0 ? "+" : "-") + Math.Abs(r).ToString("F" + decimals, CultureInfo.InvariantCulture);
    }

    /// <summary>Markdown table: per strategy the val mIoU mean ± sample standard deviation over seeds, min–max, and the
    /// mean paired difference to random (same seed, same initial set).</summary>
    public static string Table(IReadOnlyList<SimulationRunResult> results)
    {
        var sb = new StringBuilder("| strategy | labelled | seeds | val mIoU mean ± sd (%) | min–max (%) | vs random, paired (pp) |\n| --- | --- | --- | --- | --- | --- |\n");
        var random = results.Where(r => r.Strategy == "random").ToDictionary(r => r.Seed, r => r.ValMIoU);
        foreach (var g in results.GroupBy(r => r.Strategy).OrderBy(g => g.Key == "initial" ? 0 : g.Key == "random" ? 1 : 2).ThenBy(g => g.Key, StringComparer.Ordinal))
        {
            var v = g.Where(r => r.ValMIoU != null).Select(r => 100 * r.ValMIoU!.Value).ToList();
            if (v.Count == 0) continue;
            double mean = v.Average(), sd = v.Count > 1 ? Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / (v.Count - 1)) : 0;
            var diffs = g.Where(r => r.ValMIoU != null && random.TryGetValue(r.Seed, out var b) && b != null).Select(r => 100 * (r.ValMIoU!.Value - random[r.Seed]!.Value)).ToList();
            string vs = g.Key is "random" or "initial" || diffs.Count == 0 ? "" : $"{Signed(diffs.Average(), 2)} ({string.Join(", ", diffs.Select(d => Signed(d, 1)))})";
            sb.Append(CultureInfo.InvariantCulture, $"| {g.Key} | {string.Join("/", g.Select(r => r.Labelled).Distinct())} | {v.Count} | {mean:F2} ± {sd:F2} | {v.Min():F2}–{v.Max():F2} | {vs} |\n");
        }
        return sb.ToString();
    }
}
