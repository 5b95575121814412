using SharpSeg.Engine;
using SharpSeg.Metrics;
using SharpSeg.Models.MaskClassification;
using SharpSeg.Training;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace SharpSeg.Tests.Training;

/// <summary><c>train.precision: bf16</c>: the forward pass under libtorch's CPU autocast, fp32 master weights.</summary>
[Collection(SequentialCollection.Name)]
public sealed class MixedPrecisionTests
{
    [Fact]
    public void Autocast_runs_convolutions_in_bfloat16_inside_the_region_only()
    {
        Assert.True(Autocast.Available);
        using var scope = NewDisposeScope();
        var conv = nn.Conv2d(3, 4, 3, padding: 1);
        var x = randn(1, 3, 8, 8);
        var inside = Autocast.Run(DeviceType.CPU, ScalarType.BFloat16, () => conv.call(x));
        Assert.Equal(ScalarType.BFloat16, inside.dtype);
        // Nested regions keep autocast on until the outermost one ends, and the state is put back after it.
        var nested = Autocast.Run(DeviceType.CPU, ScalarType.BFloat16, () => Autocast.Run(DeviceType.CPU, ScalarType.BFloat16, () => conv.call(x)).add(conv.call(x)));
        Assert.Equal(ScalarType.BFloat16, nested.dtype);
        var outside = conv.call(x);
        Assert.Equal(ScalarType.Float32, outside.dtype);
        Assert.Equal(ScalarType.Float32, conv.weight!.dtype);
        // The same numbers within bfloat16's rounding (8 bits of mantissa).
        double err = (inside.to_type(ScalarType.Float32) - outside).abs().max().ToDouble();
        Assert.True(err > 0 && err < 0.05 * outside.abs().max().ToDouble(), $"bf16 against fp32: max difference {err}");
    }

    [Fact]
    public void The_bf16_probe_measures_a_speed_up_and_leaves_the_training_RNG_alone()
    {
        // Measured whatever the CPU reports (emulated bf16 too), one round: a finite, positive ratio of step times.
        manual_seed(123);
        var expected = randn(4).data<float>().ToArray();
        manual_seed(123);
        double? ratio = Bf16Probe.Measure(rounds: 1, evenWithoutNativeBf16: true);
        Assert.Equal(expected, randn(4).data<float>().ToArray());
        Assert.True(ratio is > 0 and < 100, $"speed-up {ratio}");
        // Where the CPU emulates bfloat16 the probe does not run (train --data plans fp32 there without it).
        if (CpuInfo.Current.NativeBf16 != true) Assert.Null(Bf16Probe.SpeedUp);
        else Assert.Equal(Bf16Probe.SpeedUp >= Bf16Probe.PaysFrom, Bf16Probe.Pays);
    }

    [Theory]
    [InlineData("false")]
    [InlineData("true")]
    public void Bf16_training_tracks_fp32_repeats_itself_and_keeps_fp32_weights(string channelsLast)
    {
        string[] Recipe(string precision) => TrainingFixture.TinyRecipe(TrainingFixture.DatasetYaml, iterations: 6, valEvery: 6, seed: 7)
            .Append("train.precision=" + precision).Append("train.channels_last=" + channelsLast).ToArray();

        string fp32 = TestPaths.NewTempDir("precision-fp32"), bf16a = TestPaths.NewTempDir("precision-bf16a"), bf16b = TestPaths.NewTempDir("precision-bf16b");
        var r32 = Trainer.Create(TrainingRecipe.Load(null, Recipe("fp32")), fp32).Run();
        var r16 = Trainer.Create(TrainingRecipe.Load(null, Recipe("bf16")), bf16a).Run();
        Trainer.Create(TrainingRecipe.Load(null, Recipe("bf16")), bf16b).Run();

        var l32 = TrainingFixture.Losses(fp32); var l16 = TrainingFixture.Losses(bf16a);
        Assert.Equal(6, l16.Count);
        // bf16 changes the rounding, so the losses differ (autocast is really on) ...
        Assert.NotEqual(l32, l16);
        // ... but only by rounding: the same data, the same initial weights, the same steps. The first loss (one forward
        // pass from the same weights) agrees to bf16's rounding; after a few steps of this tiny model at lr 0.01 the runs
        // part by up to about 4 % (measured on Zen 4: iteration 4, 1.737 fp32 against 1.664 bf16 channels-last, 1.694 NCHW).
        Assert.True(Math.Abs(l32[0] - l16[0]) < 1e-3 * l32[0], $"iteration 1: fp32 loss {l32[0]}, bf16 {l16[0]}");
        for (int i = 0; i < l32.Count; i++)
            Assert.True(Math.Abs(l32[i] - l16[i]) < 0.06 * l32[i], $"iteration {i + 1}: fp32 loss {l32[i]}, bf16 {l16[i]}");
        // The same seed gives the same bf16 run, bit for bit.
        Assert.Equal(l16, TrainingFixture.Losses(bf16b));
        Assert.NotNull(r16.BestMIoU);
        var start = MetricsLog.Read(Path.Combine(bf16a, "metrics.jsonl")).First(o => (string?)o["kind"] == "start");
        Assert.Equal("bf16", (string?)start["precision"]);
        // The checkpoint holds the fp32 master weights.
        using var predictor = SharpSeg.Inference.Predictor.FromCheckpoint(r16.BestCheckpoint);
        Assert.All(predictor.Model.parameters(), p => Assert.Equal(ScalarType.Float32, p.dtype));
        Assert.NotNull(r32.BestMIoU);
    }

    [Fact]
    public void A_mask_classification_model_trains_in_bf16_with_its_set_criterion_in_fp32()
    {
        string[] Recipe(string precision) => TrainingFixture.ForEncoder([.. TrainingFixture.TinyRecipe(TrainingFixture.DatasetYaml, iterations: 4, valEvery: 4, seed: 2),
            "model.architecture=mask2former", "model.encoder=resnet18", "model.num_queries=8", "model.hidden_dim=16", "model.decoder_layers=2",
            "optimizer.lr=0.001", "train.precision=" + precision]);
        string fp32 = TestPaths.NewTempDir("precision-m2f-fp32"), bf16 = TestPaths.NewTempDir("precision-m2f-bf16");
        Trainer.Create(TrainingRecipe.Load(null, Recipe("fp32")), fp32).Run();
        Trainer.Create(TrainingRecipe.Load(null, Recipe("bf16")), bf16).Run();
        var l32 = TrainingFixture.Losses(fp32); var l16 = TrainingFixture.Losses(bf16);
        Assert.Equal(4, l16.Count);
        Assert.NotEqual(l32, l16);
        // The Hungarian matching sees the same costs up to rounding, so the set loss starts where fp32's does.
        Assert.True(Math.Abs(l32[0] - l16[0]) < 0.03 * l32[0], $"first set-criterion loss: fp32 {l32[0]}, bf16 {l16[0]}");
        Assert.All(l16, l => Assert.True(double.IsFinite(l)));

        // Panoptic inference from the queries runs under the same autocast with --bf16: other rounding, the same masks
        // within it, and fp32 outputs.
        string ckpt = Path.Combine(bf16, Trainer.BestCheckpointName);
        using var p32 = SharpSeg.Inference.Predictor.FromCheckpoint(ckpt);
        using var p16 = SharpSeg.Inference.Predictor.FromCheckpoint(ckpt, bf16: true);
        var spec = SharpSeg.Data.Dataset.DatasetSpec.Load(TrainingFixture.DatasetYaml);
        var image = p32.LoadImage(spec.ResolvePairs("val")[0].ImagePath);
        bool[] things = Enumerable.Repeat(true, p32.Backend.Classes).ToArray();
        // Thresholds at 0 keep every query: a model trained for 4 iterations is confident of nothing.
        var keepAll = new PanopticInferenceOptions { ObjectMaskThreshold = 0, OverlapThreshold = 0 };
        var (r32, pan32) = p32.InferPanoptic(image, things, keepAll);
        var (r16, pan16) = p16.InferPanoptic(image, things, keepAll);
        Assert.NotEqual(r32.Probabilities, r16.Probabilities);
        int n = r32.Mask.Labels.Length;
        int same = Enumerable.Range(0, n).Count(i => r32.Mask.Labels[i] == r16.Mask.Labels[i]);
        // The panoptic output too: the class of the segment that holds each pixel (-1: void).
        static int ClassAt(PanopticResult p, int i) => p.SegmentIds[i] == 0 ? -1 : p.Segments[p.SegmentIds[i] - 1].ClassIndex;
        int samePanoptic = Enumerable.Range(0, n).Count(i => ClassAt(pan32, i) == ClassAt(pan16, i));
        Assert.NotEmpty(pan32.Segments); // something to compare
        Assert.Equal(pan32.Segments.Count, pan16.Segments.Count);
        Assert.True(same >= 0.98 * n, $"panoptic path: bf16 and fp32 semantic masks agree on {100.0 * same / n:F2} % of pixels");
        Assert.True(samePanoptic >= 0.95 * n, $"panoptic path: bf16 and fp32 segments agree on {100.0 * samePanoptic / n:F2} % of pixels");
        Assert.All(r16.Probabilities!, v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void Bf16_inference_gives_the_fp32_masks_within_rounding()
    {
        string run = TestPaths.NewTempDir("precision-infer");
        var result = Trainer.Create(TrainingRecipe.Load(null, TrainingFixture.TinyRecipe(TrainingFixture.DatasetYaml, iterations: 40, valEvery: 40, seed: 3)), run).Run();
        using var fp32 = SharpSeg.Inference.Predictor.FromCheckpoint(result.BestCheckpoint);
        using var bf16 = SharpSeg.Inference.Predictor.FromCheckpoint(result.BestCheckpoint, bf16: true);
        Assert.Contains("bf16 autocast", bf16.Backend.Description);
        var spec = SharpSeg.Data.Dataset.DatasetSpec.Load(TrainingFixture.DatasetYaml);
        long same = 0, total = 0;
        foreach (var pair in spec.ResolvePairs("val"))
        {
            var image = fp32.LoadImage(pair.ImagePath);
            var a = fp32.Predict(image); var b = bf16.Predict(image);
            for (int i = 0; i < a.Labels.Length; i++) same += a.Labels[i] == b.Labels[i] ? 1 : 0;
            total += a.Labels.Length;
        }
        // The masks may differ only where two classes' scores lie within bfloat16 rounding of each other.
        Assert.True(same >= 0.98 * total, $"bf16 and fp32 masks agree on {100.0 * same / total:F2} % of pixels");
        // The CLI's flag reaches the backend, and an exported model refuses it in one line.
        var eval = CliRunner.Run("eval", "--checkpoint", result.BestCheckpoint, "--data", TrainingFixture.DatasetYaml, "--bf16", "--out", Path.Combine(run, "m.json"));
        Assert.True(eval.ExitCode == 0, eval.ToString());
        var onnx = CliRunner.Run("predict", "--model", "m.onnx", "--input", "x.png", "--out", "o", "--bf16");
        Assert.Equal(1, onnx.ExitCode);
        Assert.Contains("--bf16: m.onnx is an ONNX model", onnx.StdErr);
    }

    [Fact]
    public void An_unknown_precision_is_one_clear_line()
    {
        var recipe = TrainingRecipe.Load(null, TrainingFixture.TinyRecipe(TrainingFixture.DatasetYaml, iterations: 1, valEvery: 1).Append("train.precision=fp8").ToArray());
        var e = Assert.Throws<SharpSegException>(() => RecipeBinding.Precision(recipe));
        Assert.Contains("train.precision must be fp32 or bf16, got 'fp8'", e.Message);
    }

    [Fact]
    public void Bf16_on_a_cpu_that_emulates_it_warns_naming_the_setting_and_the_way_back()
    {
        var emulating = CpuInfo.Current with { NativeBf16 = false };
        string? train = TorchRuntime.MixedPrecisionWarning(CPU, cpu: emulating);
        Assert.Contains("train.precision: bf16 on a CPU without avx512_bf16 or amx_bf16", train);
        Assert.EndsWith("set train.precision: fp32.", train);
        string? cli = TorchRuntime.MixedPrecisionWarning(CPU, "--bf16", "leave out --bf16", emulating);
        Assert.StartsWith("warning: --bf16 on a CPU without", cli);
        Assert.EndsWith("leave out --bf16.", cli);
        // Native bf16, or a CPU whose flags are unknown: nothing to warn about.
        Assert.Null(TorchRuntime.MixedPrecisionWarning(CPU, cpu: CpuInfo.Current with { NativeBf16 = true }));
        Assert.Null(TorchRuntime.MixedPrecisionWarning(CPU, cpu: CpuInfo.Current with { NativeBf16 = null }));
    }
}
