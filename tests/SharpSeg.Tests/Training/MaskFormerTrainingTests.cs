using SharpSeg.Imaging;
using SharpSeg.Inference;
using SharpSeg.Metrics;
using SharpSeg.Training;
using Xunit;

namespace SharpSeg.Tests.Training;

/// <summary>A tiny Mask2Former trains through the Trainer with its set criterion on the generated dataset (the loss
/// falls, a checkpoint is written; predict with tiles and TTA, ONNX export and predict, bench run on it), and the per-pixel loss options it would ignore are refused.</summary>
[Collection(SequentialCollection.Name)]
public sealed class MaskFormerTrainingTests
{
    static readonly string[] Model =
        ["model.architecture=mask2former", "model.encoder=resnet18", "model.num_queries=8", "model.hidden_dim=16", "model.decoder_layers=3"];

    [Fact]
    public void TinyMask2FormerTrainsWithTheSetCriterionAndItsLossFalls()
    {
        string run = TestPaths.NewTempDir("train-mask2former");
        const int iterations = 40;
        var recipe = TrainingRecipe.Load(null, TrainingFixture.ForEncoder([.. TrainingFixture.TinyRecipe(TrainingFixture.DatasetYaml, iterations, valEvery: iterations),
            .. Model, "optimizer.lr=0.001"]));
        var result = Trainer.Create(recipe, run).Run();
        Assert.Equal(iterations, result.Iterations);
        var losses = TrainingFixture.Losses(run);
        Assert.Equal(iterations, losses.Count);
        double first = losses.Take(5).Average(), last = losses.TakeLast(5).Average();
        // Measured (seed 1, 40 iterations): 40.9 → 32.1 over the first and last five iterations (0.78×).
        Assert.True(last < 0.85 * first, $"set-criterion loss fell only from {first:F3} to {last:F3}");
        using (var predictor = Predictor.FromCheckpoint(result.BestCheckpoint))
            Assert.Equal(6, predictor.Info.Classes.Count);

        // The commands every model has: predict with tiles and TTA, export to ONNX and predict with it, bench.
        string inputs = TestPaths.NewTempDir("mask2former-in"), outDir = TestPaths.NewTempDir("mask2former-out"), onnxOut = TestPaths.NewTempDir("mask2former-onnx-out");
        var odd = new RgbImage(97, 71, 3); new Random(1).NextBytes(odd.Pixels);
        ImageFile.SavePng(odd, Path.Combine(inputs, "odd.png"));
        var predict = CliRunner.Run("predict", "--checkpoint", result.BestCheckpoint, "--input", inputs, "--out", outDir, "--tile", "48", "--tta-flip", "--tta-scales", "0.75,1");
        Assert.True(predict.ExitCode == 0, predict.ToString());
        var mask = ImageFile.Load(Path.Combine(outDir, "odd_mask.png"), 1);
        Assert.Equal((97, 71), (mask.Width, mask.Height));
        Assert.All(mask.Pixels, v => Assert.InRange(v, 0, 5));
        string onnx = Path.Combine(run, "model.onnx");
        var export = CliRunner.Run("export", "--checkpoint", result.BestCheckpoint, "--format", "onnx", "--out", onnx);
        Assert.True(export.ExitCode == 0, export.ToString());
        var viaOnnx = CliRunner.Run("predict", "--model", onnx, "--input", inputs, "--out", onnxOut);
        Assert.True(viaOnnx.ExitCode == 0, viaOnnx.ToString());
        Assert.Equal((97, 71), (ImageFile.Load(Path.Combine(onnxOut, "odd_mask.png"), 1).Width, ImageFile.Load(Path.Combine(onnxOut, "odd_mask.png"), 1).Height));
        var bench = CliRunner.Run("bench", "--checkpoint", result.BestCheckpoint, "--onnx", onnx, "--size", "64x48", "--runs", "1", "--warmup", "0");
        Assert.True(bench.ExitCode == 0, bench.ToString());
    }

    [Fact]
    public void PerPixelLossOptionsAreRefused()
    {
        foreach (var set in new[] { "loss.name=dice", "loss.class_weights=median", "loss.label_smoothing=0.1" })
        {
            var e = Assert.Throws<SharpSegException>(() => TrainingRecipe.Load(null, TrainingFixture.ForEncoder([.. Model, set])));
            Assert.Contains(set.Split('=')[0], e.Message);
            Assert.DoesNotContain('\n', e.Message);
        }
        Assert.Contains("model.num_queries", Assert.Throws<SharpSegException>(() => TrainingRecipe.Load(null, ["model.num_queries=8"])).Message);
        Assert.Contains("aux_head", Assert.Throws<SharpSegException>(() => TrainingRecipe.Load(null, [.. Model, "model.aux_head=true"])).Message);
        Assert.Contains("head_kernel", Assert.Throws<SharpSegException>(() => TrainingRecipe.Load(null, [.. Model, "model.head_kernel=3"])).Message);
        Assert.NotNull(TrainingRecipe.Load(null, [.. Model, "model.masked_attention=false"]));
    }
}
