using System.Diagnostics;
using SharpSeg.Engine;
using SharpSeg.Models;
using SharpSeg.Training;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using SharpSeg.Checkpoints;
using SharpSeg.Metrics;

namespace SharpSeg.Tests.Training;

/// <summary>
/// What made training die at random, and what keeps it reproducible: TorchSharp objects kept alive during libtorch
/// calls, bit-identical losses for one seed, sums that do not depend on the thread count, and a non-finite batch
/// caught before the optimiser step. Sequential: these tests set libtorch's thread count, seed its global generator
/// and force garbage collections.
/// </summary>
[Collection(SequentialCollection.Name)]
public sealed class TrainingTrustTests
{
    [Fact]
    public void TheTorchSharpInUseCarriesTheKeepAliveFix()
    {
        Assert.True(TorchRuntime.HandlesKeptAlive, "TorchSharp.dll in the test output lacks the keep-alive fix: build/TorchSharpFixes.targets did not run");
    }

    [Fact]
    public void ScalarsSurviveCollectionsWhileLibtorchUsesThem()
    {
        // The demo's crash in miniature: BatchNorm's num_batches_tracked.add_(1) makes two Scalars that nothing but the
        // call holds. Without the fix, a gen-0 collection every millisecond frees one mid-call about 10 times a second
        // here ("alpha must not be a floating point number", "Unknown scalar type", wrong sums).
        using var counter = tensor(0L);
        using var values = zeros(64);
        long calls = 0;
        var errors = new List<string>();
        bool stop = false;
        var collector = new Thread(() => { while (!Volatile.Read(ref stop)) { GC.Collect(0, GCCollectionMode.Forced, blocking: true); Thread.Sleep(1); } }) { IsBackground = true };
        collector.Start();
        var clock = Stopwatch.StartNew();
        try
        {
            while (clock.Elapsed < TimeSpan.FromSeconds(3))
            {
                for (int i = 0; i < 1000; i++, calls++)
                {
                    try { counter.add_(1); values.add_(0.5f, 2.0); }
                    catch (Exception e) { if (errors.Count < 3) errors.Add(e.Message.Split('\n')[0]); }
                }
            }
        }
        finally { Volatile.Write(ref stop, true); collector.Join(); }
        Assert.True(errors.Count == 0, $"{errors.Count} libtorch calls failed under garbage collections: {string.Join(" | ", errors)}");
        Assert.Equal(calls, counter.item<long>());
        Assert.Equal(calls, (long)values[0].item<float>() == calls ? calls : -1); // exact below 2^24, which 3 s never reaches
    }

    [Fact]
    public void ThreadInvariantSumGivesTheSameBitsWithOneAndTwoThreads()
    {
        int before = get_num_threads();
        try
        {
            foreach (long n in new long[] { 100, 32767, 32768, 1_000_003, 3L * 1024 * 1024 + 5 })
            {
                manual_seed(n);
                using var x = randn(n) * 3 + 1;
                float Sum(int threads) { set_num_threads(threads); using var s = ThreadInvariant.Sum(x); return s.item<float>(); }
                float one = Sum(1), two = Sum(2);
                Assert.True(BitConverter.SingleToInt32Bits(one) == BitConverter.SingleToInt32Bits(two), $"n={n}: {one:R} with 1 thread, {two:R} with 2");
                using var exact = x.to_type(ScalarType.Float64).sum();
                Assert.True(Math.Abs(one - exact.item<double>()) <= 1e-5 * Math.Sqrt(n) * 3, $"n={n}: {one} vs {exact.item<double>()} in double precision");
            }
            using var grad = ones(40000, requires_grad: true);
            ThreadInvariant.Mean(grad * 2).backward();
            Assert.Equal(2.0f / 40000, grad.grad!.max().item<float>(), 9);
        }
        finally { set_num_threads(before); }
    }

    [Theory]
    [InlineData("unet", "resnet18", 1)]
    [InlineData("unet", "resnet18", 2)]
    [InlineData("segformer", "mit_b0", 2)]
    public void OneSeedGivesTheSameLossesBitForBitWithAnyWorkerCount(string architecture, string encoder, int threads)
    {
        int before = get_num_threads();
        try
        {
            (float[] Losses, string[] Trace) Run(int workers)
            {
                string run = TestPaths.NewTempDir($"determinism-{encoder}-t{threads}-w{workers}");
                string trace = Path.Combine(run, "steps.trace");
                var recipe = TrainingFixture.TinyRecipe(TrainingFixture.DatasetYaml, iterations: 10, valEvery: 100, seed: 3)
                    .Where(o => !o.StartsWith("model.") && !o.StartsWith("train.workers"))
                    .Concat([$"model.architecture={architecture}", $"model.encoder={encoder}", "augment.crop=[64, 64]",
                        "optimizer.grad_clip=1.0", $"train.workers={workers}", $"train.threads={threads}", "data.val_split=null"])
                    // Random layers in every model: U-Net's head dropout (refused elsewhere), MiT's stochastic depth (default 0.1).
                    .Concat(architecture == "unet" ? ["model.dropout=0.2"] : Array.Empty<string>())
                    .ToArray();
                // Every stage of every step fingerprinted (StepTrace): the batch, the logits, the loss, each gradient, and
                // each parameter and buffer after the optimiser's step, so a difference the losses hide is caught too.
                Environment.SetEnvironmentVariable(StepTrace.Variable, trace);
                try { Trainer.Create(TrainingRecipe.Load(null, recipe), run).Run(); }
                finally { Environment.SetEnvironmentVariable(StepTrace.Variable, null); }
                return (MetricsLog.Read(Path.Combine(run, Trainer.MetricsFileName)).Where(o => (string?)o["kind"] == "train")
                    .Select(o => (float)o["loss"]!).ToArray(), File.ReadAllLines(trace));
            }
            var (a, traceA) = Run(0);
            var (b, traceB) = Run(2);
            Assert.Equal(10, a.Length);
            foreach (var stage in new[] { "start", "images", "masks", "logits", "loss", "grad", "grad_norm", "param", "buffer" })
                Assert.Contains(traceA, line => line.Split(' ')[1] == stage);
            Assert.Contains(traceA, line => line.StartsWith("10 param ", StringComparison.Ordinal));
            int differs = Enumerable.Range(0, Math.Min(traceA.Length, traceB.Length)).FirstOrDefault(i => traceA[i] != traceB[i], -1);
            Assert.True(differs < 0 && traceA.Length == traceB.Length,
                differs < 0 ? $"traces of {traceA.Length} and {traceB.Length} lines" : $"workers 0 and 2 part at '{traceA[differs]}' / '{traceB[differs]}'");
            Assert.True(a.Select(BitConverter.SingleToInt32Bits).SequenceEqual(b.Select(BitConverter.SingleToInt32Bits)),
                $"workers 0: {string.Join(" ", a.Select(v => v.ToString("R")))}\nworkers 2: {string.Join(" ", b.Select(v => v.ToString("R")))}");
            Assert.True(a[^1] < a[0], $"the loss did not fall: {string.Join(" ", a)}");
        }
        finally { set_num_threads(before); }
    }

    [Fact]
    public void AStepTraceThatCannotBeWrittenIsTheUsersErrorInOneLine()
    {
        string run = TestPaths.NewTempDir("trace-unwritable");
        string bad = Path.Combine(run, "no-such-folder", "steps.trace");
        var recipe = TrainingFixture.TinyRecipe(TrainingFixture.DatasetYaml, iterations: 1, valEvery: 100, seed: 3).Concat(["data.val_split=null"]).ToArray();
        Environment.SetEnvironmentVariable(StepTrace.Variable, bad);
        try
        {
            var e = Assert.Throws<SharpSegException>(() => Trainer.Create(TrainingRecipe.Load(null, recipe), run).Run());
            Assert.StartsWith($"{StepTrace.Variable}={bad}: cannot write the step trace there", e.Message);
            Assert.DoesNotContain('\n', e.Message);
        }
        finally { Environment.SetEnvironmentVariable(StepTrace.Variable, null); }
    }

    static (SegmentationModel Model, OptimizerSteps Steps, optim.Optimizer Optimizer, string Log) TinyStepper(int skip)
    {
        manual_seed(2);
        var model = ModelZoo.Create(new ModelConfig { NumClasses = 3, Depth = 2, BaseWidth = 4 });
        model.train();
        var optimizer = optim.AdamW(model.parameters(), 0.01);
        string log = Path.Combine(TestPaths.NewTempDir("nonfinite"), "metrics.jsonl");
        var steps = new OptimizerSteps(optimizer, new LrSchedule("constant", 0.01, 10), 0, 10, 2, new MetricsLog(log, append: false), 1,
            Stopwatch.StartNew(), null, "training", "Lower optimizer.lr.") { Model = model, SkipNonFinite = skip, GradClip = 1.0 };
        return (model, steps, optimizer, log);
    }

    static Dictionary<string, Tensor> State(nn.Module model) =>
        model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());

    static void AssertSameState(Dictionary<string, Tensor> expected, nn.Module model)
    {
        foreach (var (name, value) in model.state_dict())
            Assert.True(value.eq(expected[name]).all().item<bool>(), $"{name} changed although the batch was not finite");
    }

    [Fact]
    public void ANonFiniteLossStopsBeforeTheOptimiserStepAndLeavesTheModelAsItWas()
    {
        var (model, steps, optimizer, _) = TinyStepper(skip: 0);
        using var _m = model; using var _o = optimizer;
        using var x = randn(2, 3, 16, 16); using var y = randint(0, 3, [2, 16, 16]);
        var loss = new SharpSeg.Losses.CrossEntropyLoss();
        steps.Step(0, ["a", "b"], () => loss.Compute(model.forward(x), y));
        var before = State(model);
        // The bad forward pass runs through BatchNorm (updating its statistics) before the loss turns out NaN.
        var e = Assert.Throws<TrainingDivergedException>(() => { steps.Step(0, ["street_0042", "street_0043"], () => loss.Compute(model.forward(x), y) * float.NaN); });
        Assert.Contains("loss is NaN at iteration 2", e.Message);
        Assert.Contains("street_0042, street_0043", e.Message);
        Assert.Contains("as after iteration 1", e.Message);
        Assert.Equal(1, e.Iteration);
        AssertSameState(before, model);
        Assert.Equal(1, steps.Iteration);
    }

    [Fact]
    public void NonFiniteBatchesAreSkippedWithinTheBudgetThenTheRunStops()
    {
        var (model, steps, optimizer, log) = TinyStepper(skip: 2);
        using var _m = model; using var _o = optimizer;
        using var x = randn(2, 3, 16, 16); using var y = randint(0, 3, [2, 16, 16]);
        var loss = new SharpSeg.Losses.CrossEntropyLoss();
        var before = State(model);
        Assert.True(float.IsNaN(steps.Step(0, ["a"], () => loss.Compute(model.forward(x), y) * float.PositiveInfinity * 0)));
        AssertSameState(before, model);
        // A finite loss whose gradient is not: caught after backward, still before the step.
        Assert.True(float.IsNaN(steps.Step(0, ["b"], () => loss.Compute(model.forward(x * float.PositiveInfinity), y) * 0)));
        AssertSameState(before, model);
        Assert.Equal(2, steps.Skipped);
        Assert.Equal(2, steps.Iteration);
        Assert.True(float.IsFinite(steps.Step(0, ["c"], () => loss.Compute(model.forward(x), y))));
        Assert.Throws<TrainingDivergedException>(() => { steps.Step(0, ["d"], () => loss.Compute(model.forward(x), y) * float.NaN); });
        var skipped = MetricsLog.Read(log).Where(o => (string?)o["kind"] == "skipped").ToList();
        Assert.Equal(2, skipped.Count);
        Assert.Equal("b", (string?)skipped[1]["images"]![0]);
    }

    [Fact]
    public void ADivergingRunNamesTheBatchAndKeepsAFiniteLastCheckpoint()
    {
        string run = TestPaths.NewTempDir("diverge");
        var recipe = TrainingFixture.TinyRecipe(TrainingFixture.DatasetYaml, iterations: 30, valEvery: 100)
            .Concat(["optimizer.lr=1e30", "optimizer.grad_clip=0", "data.val_split=null"]).ToArray();
        var e = Assert.Throws<TrainingDivergedException>(() => Trainer.Create(TrainingRecipe.Load(null, recipe), run).Run());
        Assert.Contains("training diverged", e.Message);
        Assert.Contains("--resume", e.Message);
        Assert.DoesNotContain("\n", e.Message);
        var ckpt = Checkpoint.Load(Path.Combine(run, Trainer.LastCheckpointName));
        Assert.Equal(e.Iteration, ckpt.Info.Iteration);
        using var model = ModelZoo.Create(ckpt.Info.Config);
        ckpt.LoadWeights(model);
        foreach (var (name, value) in model.state_dict())
            Assert.True(value.isfinite().all().item<bool>(), $"{name} in last.ckpt is not finite");
        Assert.Contains(MetricsLog.Read(Path.Combine(run, Trainer.MetricsFileName)), o => (string?)o["kind"] == "diverged");
    }
}
