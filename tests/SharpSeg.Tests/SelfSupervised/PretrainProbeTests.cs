using SharpSeg.Data;
using SharpSeg.Data.Augmentation;
using SharpSeg.Data.Synthetic;
using SharpSeg.Engine;
using SharpSeg.Models;
using SharpSeg.SelfSupervised;
using SharpSeg.Training;
using Xunit;
using Xunit.Abstractions;
using SharpSeg.Checkpoints;
using SharpSeg.Metrics;

namespace SharpSeg.Tests.SelfSupervised;

/// <summary>Pretraining for real, on generated scenes: it must learn something a segmentation head can use.</summary>
[Collection(SequentialCollection.Name)] // the comparison starts from libtorch's seeded global generator
public sealed class PretrainProbeTests(ITestOutputHelper output)
{
    [Fact]
    public void Short_dense_pretraining_lowers_the_loss_and_beats_its_random_init_on_a_linear_probe()
    {
        string dir = TestPaths.NewTempDir("pretrain-probe");
        var options = PretrainFixture.Options(PretrainMethod.Dense, iterations: 60);
        var result = Pretrainer.Create(options, Path.Combine(dir, "encoder.ckpt")).Run();
        Assert.Equal(60, result.Iterations);

        // The loss log: the last ten steps average clearly below the first ten.
        var steps = MetricsLog.Read(result.LogPath).Where(r => (string?)r["kind"] == "train").Select(r => (double)r["loss"]!).ToList();
        Assert.Equal(60, steps.Count);
        double first = steps.Take(10).Average(), last = steps.TakeLast(10).Average();
        output.WriteLine($"pretraining: loss {first:F3} (first 10 steps) -> {last:F3} (last 10), {result.ImagesPerSecond:F1} images/s, {result.Elapsed.TotalSeconds:F1} s");
        Assert.True(last < first - 0.3, $"loss went from {first:F3} to {last:F3}: pretraining did not learn");

        // Paired comparison: the same encoder before pretraining (libtorch seeded as the run seeds it) and after.
        var probe = new LinearProbeOptions { Iterations = 100, Lr = 0.05, BatchSize = 32 };
        var names = SyntheticSceneGenerator.ClassNames;
        TorchRuntime.Seed(options.Seed);
        using var init = ModelZoo.Encoders["unet"](PretrainFixture.TinyEncoder);
        using var pretrained = EncoderCheckpoint.Load(result.CheckpointPath).CreateEncoder();
        var before = LinearProbe.Run(init, PretrainFixture.Train, PretrainFixture.Val, Normalization.ImageNet, names, probe);
        var after = LinearProbe.Run(pretrained, PretrainFixture.Train, PretrainFixture.Val, Normalization.ImageNet, names, probe);
        output.WriteLine($"linear probe (val mIoU / pixel accuracy): random init {before.Validation.MeanIoU:F4} / {before.Validation.PixelAccuracy:F4}, " +
            $"pretrained {after.Validation.MeanIoU:F4} / {after.Validation.PixelAccuracy:F4}");
        // Measured (seed 1): 0.254 -> 0.275 mIoU; other random inits probed 0.245-0.260.
        Assert.True(after.Validation.MeanIoU > before.Validation.MeanIoU + 0.01,
            $"probe mIoU {after.Validation.MeanIoU:F4} after pretraining is not above {before.Validation.MeanIoU:F4} at random init");
        Assert.True(after.Validation.PixelAccuracy > before.Validation.PixelAccuracy);
    }
}
