using SharpSeg.Curation.Selection;
using SharpSeg.Curation.Simulation;
using SharpSeg.Tests.Training;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace SharpSeg.Tests.Curation;

public sealed class FrozenSimulationTests
{
    /// <summary>Rows around three centres far apart, of sizes 30, 20 and 10, each with a few points near its centre.</summary>
    static (Tensor X, int[] Blob) Blobs()
    {
        var rng = new Random(5);
        var rows = new List<float[]>();
        var blob = new List<int>();
        float[][] centres = [[10, 0, 0], [0, 10, 0], [0, 0, 10]];
        int[] sizes = [30, 20, 10];
        for (int b = 0; b < 3; b++)
            for (int i = 0; i < sizes[b]; i++)
            {
                rows.Add(centres[b].Select(c => c + (float)(rng.NextDouble() - 0.5) * (i == 0 ? 0.01f : 1f)).ToArray());
                blob.Add(b);
            }
        return (torch.tensor(rows.SelectMany(r => r).ToArray(), new long[] { rows.Count, 3 }), blob.ToArray());
    }

    [Fact]
    public void KMeansRecoversSeparatedBlobsAndRepeatsWithTheSeed()
    {
        var (x, blob) = Blobs();
        using (x)
        {
            using var a = KMeans.Fit(x, 3, seed: 1);
            using var b = KMeans.Fit(x, 3, seed: 1);
            Assert.Equal(a.Assignment, b.Assignment);
            // Same partition as the blobs (cluster numbers may be permuted).
            for (int i = 0; i < blob.Length; i++)
                for (int j = 0; j < blob.Length; j++)
                    Assert.Equal(blob[i] == blob[j], a.Assignment[i] == a.Assignment[j]);
            Assert.Equal(new[] { 10, 20, 30 }, a.Sizes(3).Order());
            // k-means++ seeding spreads: three picks land in three different blobs.
            var seeds = KMeans.PlusPlusSeeds(x, 3, new Random(4));
            Assert.Equal(3, seeds.Select(i => blob[i]).Distinct().Count());
            Assert.Throws<SharpSegException>(() => KMeans.Fit(x, 61, seed: 1));
        }
    }

    [Fact]
    public void ClusterPicksTakeTheMostTypicalOfTheLargestUncoveredClusters()
    {
        var (x, blob) = Blobs();
        using (x)
        {
            var eligible = Enumerable.Repeat(true, blob.Length).ToArray();
            var picks = ClusterPickSelector.Select(nn.functional.normalize(x, dim: 1), eligible, [], 2, ClusterPickSelector.Pick.Typicality, null, seed: 1).Select(p => p.Row).ToList();
            Assert.Equal(new[] { 0, 1 }, picks.Select(i => blob[i])); // the two largest blobs, largest first
            // A labelled image covers its cluster: the next picks come from the other two.
            eligible[0] = false;
            var warm = ClusterPickSelector.Select(x, eligible, [0], 2, ClusterPickSelector.Pick.Score, Enumerable.Range(0, blob.Length).Select(i => (double)i).ToArray(), seed: 1).Select(p => p.Row).ToList();
            Assert.Equal(new[] { 1, 2 }, warm.Select(i => blob[i]));
            Assert.Equal(new[] { 49, 59 }, warm); // by score: the last row of each blob
        }
    }

    [Fact]
    public void PairedDifferencesNeverPrintMinusZero()
    {
        Assert.Equal("+0.0", ActiveLearningSimulation.Signed(-0.04, 1));
        Assert.Equal("-0.1", ActiveLearningSimulation.Signed(-0.05, 1));
        Assert.Equal("+2.38", ActiveLearningSimulation.Signed(2.376, 2));
        Assert.Equal("-4.70", ActiveLearningSimulation.Signed(-4.7, 2));
    }

    internal static SimulationOptions Options(string dir, double initial, string[] extra, int[] seeds) => new()
    {
        Recipe = Path.Combine(dir, "recipe.yaml"),
        Overrides = ["data.dataset=" + TrainingFixture.DatasetYaml, "model.encoder=resnet18_imagenet", "model.encoder_weights=imagenet", "model.architecture=unet"],
        Out = Path.Combine(dir, $"out-{initial}"),
        Strategies = [StrategyMix.Parse("random"), StrategyMix.Parse("diversity"), StrategyMix.Parse("dedupe,diversity"), StrategyMix.Parse("typiclust")],
        ExtraStrategies = extra,
        Seeds = seeds,
        InitialFraction = initial,
        StepFraction = 0.125,
    };

    /// <summary>The whole study on the generated scenes with the ImageNet encoder frozen: cold and warm start, every
    /// extra strategy, determinism, resuming, and the head learning the scenes (far above chance).</summary>
    [Fact]
    public void FrozenEncoderSimulationRunsColdAndWarmStartsDeterministicallyAndResumes()
    {
        string dir = TestPaths.NewTempDir("frozen-sim");
        File.WriteAllText(Path.Combine(dir, "recipe.yaml"), "train:\n  seed: 1\n");
        var head = new FrozenHeadOptions { Iterations = 40, BatchSize = 4 };
        var lines = new List<string>();
        var cold = FrozenEncoderSimulation.Run(Options(dir, 0, ["cluster-balance"], [3]), head, scale: 1, log: lines.Add);
        Assert.Equal(new[] { "random", "diversity", "dedupe,diversity", "typiclust", "cluster-balance" }, cold.Select(r => r.Strategy));
        Assert.All(cold, r => Assert.Equal(6, r.Labelled)); // 12.5 % of 48
        Assert.All(cold, r => Assert.Equal(6, File.ReadAllLines(r.List).Distinct().Count()));
        // 6 classes: predicting one class everywhere scores at most 1/6; the frozen ImageNet features + head learn the
        // generated scenes from 6 images (measured 0.29-0.35 at 40 steps).
        Assert.All(cold, r => Assert.True(r.ValMIoU > 0.2, $"{r.Strategy}: val mIoU {r.ValMIoU}"));

        var warmOptions = Options(dir, 0.125, ["badge"], [3]) with
        {
            Strategies = [StrategyMix.Parse("random"), StrategyMix.Parse("uncertainty"), StrategyMix.Parse("class-balance"), StrategyMix.Parse("cluster-uncertainty")],
        };
        var warm = FrozenEncoderSimulation.Run(warmOptions, head, scale: 1, log: lines.Add);
        Assert.Equal(new[] { "initial", "random", "uncertainty", "class-balance", "cluster-uncertainty", "badge" }, warm.Select(r => r.Strategy));
        Assert.Equal(new[] { 6, 12, 12, 12, 12, 12 }, warm.Select(r => r.Labelled));
        var initialImages = File.ReadAllLines(warm[0].List).ToHashSet();
        foreach (var r in warm.Skip(1))
        {
            var list = File.ReadAllLines(r.List);
            Assert.Equal(12, list.Distinct().Count()); // the initial images plus 6 new ones
            Assert.All(initialImages, i => Assert.Contains(i, list));
        }

        // Rerun: nothing trains again. A fresh folder with the same seed repeats every number.
        lines.Clear();
        Assert.Equal(6, FrozenEncoderSimulation.Run(warmOptions, head, scale: 1, log: lines.Add).Count);
        Assert.DoesNotContain(lines, l => l.Contains("val mIoU"));
        var again = FrozenEncoderSimulation.Run(Options(dir, 0, ["cluster-balance"], [3]) with { Out = Path.Combine(dir, "again") }, head, scale: 1);
        Assert.Equal(cold.Select(r => r.ValMIoU), again.Select(r => r.ValMIoU));
        Assert.Equal(cold.Select(r => File.ReadAllText(r.List)), again.Select(r => File.ReadAllText(r.List)));

        var ex = Assert.Throws<SharpSegException>(() => FrozenEncoderSimulation.Run(Options(dir, 0, ["badge"], [3]), head, scale: 1));
        Assert.Contains("--initial", ex.Message);
    }
}

/// <summary>The fine-tune evaluator trains real models, whose initialisation draws on libtorch's one global generator:
/// sequential, so that a resumed run repeats its number.</summary>
[Collection(SequentialCollection.Name)]
public sealed class FineTuneSimulationTests
{
    /// <summary><c>--evaluator finetune</c>: the same sets as the frozen evaluator for the same seed, each measured by
    /// training the recipe (here a few steps of the ImageNet U-Net), recorded run by run and resumed after a stop.</summary>
    [Fact]
    public void FineTuneEvaluatorTrainsTheRecipeOnTheSetsTheFrozenEvaluatorChooses()
    {
        string dir = TestPaths.NewTempDir("finetune-sim");
        File.WriteAllText(Path.Combine(dir, "recipe.yaml"), "train:\n  seed: 1\n");
        var head = new FrozenHeadOptions { Iterations = 10, BatchSize = 4 };
        var options = FrozenSimulationTests.Options(dir, 0, [], [3]) with { Strategies = [StrategyMix.Parse("random"), StrategyMix.Parse("diversity")] };
        var frozen = FrozenEncoderSimulation.Run(options, head, scale: 1);
        var tuned = options with
        {
            Out = Path.Combine(dir, "finetune"),
            Overrides = [.. options.Overrides, "train.iterations=2", "train.val_every=2", "train.batch_size=2", "train.workers=0"],
        };
        var lines = new List<string>();
        var ft = FrozenEncoderSimulation.Run(tuned, head, scale: 1, log: lines.Add, fineTune: true);
        Assert.Equal(new[] { "random", "diversity" }, ft.Select(r => r.Strategy));
        for (int i = 0; i < ft.Count; i++)
        {
            // The same images, in the same order, as the frozen evaluator chose; the recipe trained on exactly them.
            Assert.Equal(File.ReadAllText(frozen[i].List), File.ReadAllText(Path.Combine(tuned.Out, "seed3", ft[i].Strategy + ".txt")));
            var trained = File.ReadAllLines(ft[i].List).Where(l => !l.StartsWith('#')).Select(l => Path.GetFileName(l.Split(' ')[0]));
            Assert.Equal(File.ReadAllLines(frozen[i].List).Select(Path.GetFileName), trained);
            Assert.True(File.Exists(Path.Combine(ft[i].Run, "best.ckpt")), ft[i].Run);
            Assert.NotNull(ft[i].ValMIoU);
            Assert.Equal(6, ft[i].Labelled);
        }
        Assert.Equal(2, lines.Count(l => l.Contains("training the recipe on 6 images")));

        // Stopped after the first run: a rerun trains only the second again and repeats its number.
        string jsonl = Path.Combine(tuned.Out, "results.jsonl");
        File.WriteAllLines(jsonl, File.ReadAllLines(jsonl).Take(1));
        lines.Clear();
        var resumed = FrozenEncoderSimulation.Run(tuned, head, scale: 1, log: lines.Add, fineTune: true);
        Assert.Single(lines, l => l.Contains("training the recipe on"));
        Assert.Contains(lines, l => l.Contains("seed 3, random: done earlier"));
        Assert.Equal(ft.Select(r => r.ValMIoU), resumed.Select(r => r.ValMIoU));
    }
}
