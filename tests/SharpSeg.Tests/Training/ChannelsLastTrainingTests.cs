using SharpSeg.Engine;
using SharpSeg.Metrics;
using SharpSeg.Models;
using SharpSeg.Models.Fusion;
using SharpSeg.Training;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace SharpSeg.Tests.Training;

/// <summary><c>train.channels_last</c>: training batches fed NHWC, weights, gradients and checkpoints in the default
/// layout.</summary>
[Collection(SequentialCollection.Name)]
public sealed class ChannelsLastTrainingTests
{
    /// <summary>The architectures <c>train.channels_last: auto</c> turns on for (and DeepLabV3+, which it leaves off but a
    /// user may force), at the registry's tiny sizes.</summary>
    public static TheoryData<string, string> Models() => new()
    {
        { "unet", "unet" }, { "unet", "resnet18" }, { "hrnet", "hrnet_w18_small" }, { "lraspp", "mobilenet_v3_large" },
        { "pspnet", "resnet18" }, { "fpn", "mobilenet_v2" }, { "unetplusplus", "resnet18" }, { "upernet", "resnet18" },
        { "deeplabv3", "resnet18" }, { "fcn", "resnet18" }, { "deeplabv3plus", "resnet18" },
    };

    /// <summary>
    /// One training step's loss and every gradient are the NCHW step's within float rounding: the NHWC kernels libtorch
    /// picks for a channels-last batch (oneDNN's on the CPU) compute the same function, forward and backward, on
    /// whatever CPU runs the tests. Gradients stay in the parameters' own layout, so the optimiser state and the
    /// checkpoints do too (TorchSharp cannot save a non-contiguous tensor).
    /// </summary>
    [Theory]
    [MemberData(nameof(Models))]
    public void A_channels_last_step_computes_the_nchw_step(string architecture, string encoder)
    {
        using var scope = NewDisposeScope();
        var config = ModelZoo.Registered.Single(e => e.Architecture == architecture && e.Encoder == encoder).TinyConfig;
        torch.manual_seed(3);
        using var a = ModelZoo.Create(config);
        using var b = ModelZoo.Create(config);
        using var reference = ModelZoo.Create(config);
        b.load_state_dict(a.state_dict());
        reference.load_state_dict(a.state_dict());
        reference.to(ScalarType.Float64);
        var x = randn(2, 3, 64, 80);
        var target = randint(0, config.NumClasses, [2, 64, 80]);
        Tensor Step(SegmentationModel m, Tensor input)
        {
            m.eval();
            var loss = nn.functional.cross_entropy(m.forward(input), target);
            loss.backward();
            return loss;
        }
        var lossRef = Step(reference, x.to(ScalarType.Float64));
        var lossA = Step(a, x);
        var xl = ChannelsLast.Convert(x);
        Assert.True(ChannelsLast.IsChannelsLast(xl));
        var lossB = Step(b, xl);

        // Against a float64 reference, the channels-last step is as close as the NCHW step: the same function, forward and
        // backward, rounded differently. Eval mode (BatchNorm's running statistics, no dropout), because in train mode
        // the batch statistics' backward cancels so much on these tiny, fresh models that fp32 itself is off by up to 2 %
        // in either layout, and varies with the thread count; here both layouts are off by about 1e-7 of the gradients'
        // norm (measured on Zen 4), while a wrong kernel would be off by about 1.
        var gRef = reference.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        var gB = b.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        double errA = 0, errB = 0, norm = 0;
        int compared = 0;
        foreach (var (name, p) in a.named_parameters())
        {
            if (p.grad is not { } ga) continue;
            var r = gRef[name].grad!.to(ScalarType.Float32);
            var gb = gB[name].grad!;
            Assert.True(gb.is_contiguous(), $"{name}: its gradient is not in the parameter's layout");
            errA += (ga - r).square().sum().ToDouble(); errB += (gb - r).square().sum().ToDouble(); norm += r.square().sum().ToDouble();
            compared++;
        }
        Assert.True(compared > 5, $"only {compared} gradients");
        errA = Math.Sqrt(errA / norm); errB = Math.Sqrt(errB / norm);
        double lossErrA = Math.Abs(lossA.ToDouble() - lossRef.ToDouble()), lossErrB = Math.Abs(lossB.ToDouble() - lossRef.ToDouble());
        Assert.True(errB <= Math.Max(4 * errA, 1e-5), $"{architecture}/{encoder}: relative gradient error against float64: channels-last {errB:g3}, NCHW {errA:g3}");
        Assert.True(lossErrB <= Math.Max(4 * lossErrA, 1e-6), $"{architecture}/{encoder}: loss error against float64: channels-last {lossErrB:g3}, NCHW {lossErrA:g3}");
    }

    [Fact]
    public void A_channels_last_run_repeats_itself_tracks_nchw_saves_and_resumes_exactly()
    {
        string[] Recipe(string cl, int iterations = 8) => TrainingFixture.TinyRecipe(TrainingFixture.DatasetYaml, iterations: iterations, valEvery: 4, seed: 9)
            .Append("train.channels_last=" + cl).ToArray();
        string nchw = TestPaths.NewTempDir("cl-off"), cl1 = TestPaths.NewTempDir("cl-on-a"), cl2 = TestPaths.NewTempDir("cl-on-b");
        Trainer.Create(TrainingRecipe.Load(null, Recipe("false")), nchw).Run();
        var r = Trainer.Create(TrainingRecipe.Load(null, Recipe("true")), cl1).Run();
        // Half, then resumed from last.ckpt: a channels-last run's checkpoints save and load, and the resume is exact.
        Assert.ThrowsAny<OperationCanceledException>(() => Trainer.Create(TrainingRecipe.Load(null, Recipe("true")), cl2).Run(new StopAt(4)));
        Trainer.Resume(cl2).Run();

        var off = TrainingFixture.Losses(nchw); var on = TrainingFixture.Losses(cl1);
        Assert.Equal(8, on.Count);
        for (int i = 0; i < on.Count; i++)
            Assert.True(Math.Abs(off[i] - on[i]) < 0.01 * off[i], $"iteration {i + 1}: NCHW loss {off[i]}, channels-last {on[i]}");
        Assert.Equal(on, TrainingFixture.Losses(cl2));
        var start = MetricsLog.Read(Path.Combine(cl1, "metrics.jsonl")).First(o => (string?)o["kind"] == "start");
        Assert.True((bool)start["channels_last"]!);
        Assert.False((bool)MetricsLog.Read(Path.Combine(nchw, "metrics.jsonl")).First(o => (string?)o["kind"] == "start")["channels_last"]!);
        using var a = SharpSeg.Inference.Predictor.FromCheckpoint(Path.Combine(cl1, Trainer.LastCheckpointName));
        using var b = SharpSeg.Inference.Predictor.FromCheckpoint(Path.Combine(cl2, Trainer.LastCheckpointName));
        var pb = b.Model.state_dict();
        foreach (var (name, t) in a.Model.state_dict())
            Assert.True(t.eq(pb[name]).all().item<bool>(), $"{name} differs after resume");
        Assert.NotNull(r.BestMIoU);
    }

    [Fact]
    public void Auto_is_on_only_where_it_was_measured_to_win()
    {
        var avx512 = CpuInfo.Current with { VectorIsa = "AVX-512" };
        var avx2 = CpuInfo.Current with { VectorIsa = "AVX2" };
        bool full = SharpSeg.Inference.TorchInferenceBackend.ChannelsLastPays(CPU); // oneDNN at full width
        Assert.Equal(full, ChannelsLast.PaysForTraining(CPU, "unet", "resnet18_imagenet", avx512));
        Assert.Equal(full, ChannelsLast.PaysForTraining(CPU, "HRNet", "hrnet_w18_small", avx512));
        Assert.False(ChannelsLast.PaysForTraining(CPU, "unet", "resnet18_imagenet", avx2));
        Assert.False(ChannelsLast.PaysForTraining(CPU, "deeplabv3plus", "resnet18", avx512));
        Assert.False(ChannelsLast.PaysForTraining(CPU, "segformer", "mit_b0", avx512));
        Assert.False(ChannelsLast.PaysForTraining(CPU, "unet", "mit_b1", avx512));
        Assert.False(ChannelsLast.PaysForTraining(CPU, "mask2former", "resnet18", avx512));
        // Forced either way, whatever the CPU.
        Assert.True(ChannelsLast.ForTraining("true", CPU, "segformer", "mit_b0", "train.channels_last"));
        Assert.False(ChannelsLast.ForTraining(" False ", CPU, "unet", "unet", "train.channels_last"));
        Assert.Equal(ChannelsLast.PaysForTraining(CPU, "unet", "unet"), ChannelsLast.ForTraining(null, CPU, "unet", "unet", "train.channels_last"));
    }

    [Fact]
    public void A_bad_value_is_one_line_before_anything_loads()
    {
        string run = TestPaths.NewTempDir("cl-bad");
        var recipe = TrainingRecipe.Load(null, TrainingFixture.TinyRecipe(TrainingFixture.DatasetYaml, iterations: 1, valEvery: 1).Append("train.channels_last=nhwc").ToArray());
        var e = Assert.Throws<SharpSegException>(() => Trainer.Create(recipe, run).Run());
        Assert.Contains("train.channels_last must be auto, true or false, got 'nhwc'", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.False(File.Exists(Path.Combine(run, "metrics.jsonl")));
        var cli = CliRunner.Run("pretrain", "--images", "x", "--iterations", "1", "--out", Path.Combine(run, "e.ckpt"), "--set", "train.channels_last=1");
        Assert.Equal(1, cli.ExitCode);
        Assert.Contains("train.channels_last must be auto, true or false, got '1'", cli.StdErr);
    }

    sealed class StopAt(long iteration) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value)
        {
            if (value.Iteration >= iteration && value.Validation != null) throw new OperationCanceledException("test stop");
        }
    }
}
