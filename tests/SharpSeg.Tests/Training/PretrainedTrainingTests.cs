using SharpSeg.Inference;
using SharpSeg.Models.Encoders;
using SharpSeg.Pretrained;
using SharpSeg.Training;
using TorchSharp;
using Xunit;
using SharpSeg.Checkpoints;
using SharpSeg.Metrics;
using SharpSeg.Models.Encoders.ResNet;

namespace SharpSeg.Tests.Training;

/// <summary>Recipe keys for pretrained encoders: model.encoder_weights (imagenet, a .ckpt), model.freeze_encoder,
/// train.freeze_encoder_iters and optimizer.encoder_lr_mult, on the small generated dataset.</summary>
public sealed class PretrainedTrainingTests
{
    private static string[] Recipe(int iterations, params string[] more) =>
        TrainingFixture.ForEncoder([.. TrainingFixture.TinyRecipe(TrainingFixture.DatasetYaml, iterations, valEvery: iterations), "augment.crop=[64, 64]", .. more]);

    [Fact]
    public void ImageNetWeightsLoadAndAFrozenEncoderStaysExactlyAsLoaded()
    {
        string run = TestPaths.NewTempDir("imagenet-frozen");
        var recipe = TrainingRecipe.Load(null, Recipe(2, "model.encoder=resnet18_imagenet", "model.encoder_weights=imagenet", "model.freeze_encoder=true"));
        var messages = new List<string>();
        Trainer.Create(recipe, run).Run(new SharpSeg.Tests.Training.TrainingNotes(messages));
        Assert.Contains(messages, m => m.StartsWith("loaded 110 tensors into encoder resnet18_imagenet", StringComparison.Ordinal));

        var info = Checkpoint.Load(Path.Combine(run, "last.ckpt")).Info;
        var expected = ImageNetResNet18.Normalization();
        Assert.Equal(expected.Mean.Select(v => (double)v), info.Mean);
        Assert.Equal(expected.Std.Select(v => (double)v), info.Std);

        using var reference = new ResNetEncoder("resnet18_imagenet");
        ImageNetResNet18.LoadInto(reference, expected);
        using var trained = Predictor.FromCheckpoint(Path.Combine(run, "last.ckpt"), fused: false);
        var after = trained.Model.Encoder.state_dict();
        foreach (var (key, t) in reference.state_dict())
            Assert.True(t.allclose(after[key], 0, 0), $"frozen encoder tensor {key} changed during training");
    }

    [Fact]
    public void EncoderFromACheckpointWithFreezingAndLowerEncoderRate()
    {
        string first = TestPaths.NewTempDir("enc-source");
        Trainer.Create(TrainingRecipe.Load(null, Recipe(1)), first).Run();
        string source = Path.Combine(first, "last.ckpt");
        var start = Encoder(source);

        // Frozen for its only iteration: the encoder equals the source's, the decoder trained.
        string frozen = TestPaths.NewTempDir("enc-frozen");
        Trainer.Create(TrainingRecipe.Load(null, Recipe(1, $"model.encoder_weights={source}", "train.freeze_encoder_iters=1")), frozen).Run();
        AssertEncoder(start, Encoder(Path.Combine(frozen, "last.ckpt")), same: true, "frozen for 1 of 1 iterations");

        // Frozen for the first of two iterations: the second one trains it.
        string thawed = TestPaths.NewTempDir("enc-thawed");
        Trainer.Create(TrainingRecipe.Load(null, Recipe(2, $"model.encoder_weights={source}", "train.freeze_encoder_iters=1")), thawed).Run();
        AssertEncoder(start, Encoder(Path.Combine(thawed, "last.ckpt")), same: false, "frozen for 1 of 2 iterations");

        // encoder_lr_mult 0: the encoder's weights keep their values (BatchNorm statistics still follow the data).
        string slow = TestPaths.NewTempDir("enc-lr0");
        Trainer.Create(TrainingRecipe.Load(null, Recipe(2, $"model.encoder_weights={source}", "optimizer.encoder_lr_mult=0")), slow).Run();
        var lr0 = Encoder(Path.Combine(slow, "last.ckpt"));
        foreach (var (key, t) in start.Where(kv => kv.Key.EndsWith("weight", StringComparison.Ordinal) || kv.Key.EndsWith("bias", StringComparison.Ordinal)))
            Assert.True(t.allclose(lr0[key], 0, 0), $"{key} changed with encoder_lr_mult 0");
        var log = MetricsLog.Read(Path.Combine(slow, "metrics.jsonl"));
        Assert.Contains(log, o => ((string?)o["encoder_weights"])?.Contains("last.ckpt") == true);
    }

    [Fact]
    public void InitWeightsLoadTheWholeModelFromAnExport()
    {
        string first = TestPaths.NewTempDir("init-source");
        Trainer.Create(TrainingRecipe.Load(null, Recipe(1)), first).Run();
        string export = Path.Combine(first, "model.safetensors");
        WeightsExport.ToSafetensors(Path.Combine(first, "last.ckpt"), export);
        string second = TestPaths.NewTempDir("init-run");
        Trainer.Create(TrainingRecipe.Load(null, Recipe(1, $"model.init_weights={export}", "optimizer.lr=1e-12", "optimizer.weight_decay=0")), second).Run();
        using var a = Predictor.FromCheckpoint(Path.Combine(first, "last.ckpt"), fused: false);
        using var b = Predictor.FromCheckpoint(Path.Combine(second, "last.ckpt"), fused: false);
        var sb = b.Model.state_dict();
        foreach (var (key, t) in a.Model.state_dict().Where(kv => kv.Key.EndsWith("weight", StringComparison.Ordinal)))
            Assert.True(t.allclose(sb[key], 1e-6, 1e-6), $"{key} was not initialised from the export");
        var log = MetricsLog.Read(Path.Combine(second, "metrics.jsonl"));
        Assert.Contains(log, o => ((string?)o["init_weights"])?.Contains("model.safetensors") == true);
    }

    [Fact]
    public void InitWeightsFromATrainingCheckpointContinueItUnderANewRecipe()
    {
        // A first phase with the dataset's own normalisation, then a second at another crop size from its checkpoint:
        // the whole model starts where the first ended, and normalize: imagenet means what that checkpoint was trained with.
        string first = TestPaths.NewTempDir("phase1");
        Trainer.Create(TrainingRecipe.Load(null, Recipe(1, "normalize=dataset")), first).Run();
        string ckpt = Path.Combine(first, "last.ckpt");
        string second = TestPaths.NewTempDir("phase2");
        var messages = new List<string>();
        Trainer.Create(TrainingRecipe.Load(null, Recipe(1, $"model.init_weights={ckpt}", "augment.crop=[32, 32]", "optimizer.lr=1e-12", "optimizer.weight_decay=0")), second)
            .Run(new SharpSeg.Tests.Training.TrainingNotes(messages));
        var a = Checkpoint.Load(ckpt).Info;
        var b = Checkpoint.Load(Path.Combine(second, "last.ckpt")).Info;
        Assert.Equal(a.Mean, b.Mean);
        Assert.Equal(a.Std, b.Std);
        Assert.NotEqual(SharpSeg.Data.Normalization.ImageNet.Mean.Select(v => (double)v), b.Mean);
        using var pa = Predictor.FromCheckpoint(ckpt, fused: false);
        using var pb = Predictor.FromCheckpoint(Path.Combine(second, "last.ckpt"), fused: false);
        var sb = pb.Model.state_dict();
        foreach (var (key, t) in pa.Model.state_dict().Where(kv => kv.Key.EndsWith("weight", StringComparison.Ordinal)))
            Assert.True(t.allclose(sb[key], 1e-6, 1e-6), $"{key} was not initialised from the checkpoint");
        Assert.Contains(messages, m => m.Contains("last.ckpt", StringComparison.Ordinal));

        var notACheckpoint = Path.Combine(second, "notes.ckpt");
        File.WriteAllText(notACheckpoint, "not a checkpoint");
        var e = Assert.Throws<SharpSegException>(() => Trainer.Create(TrainingRecipe.Load(null, Recipe(1, $"model.init_weights={notACheckpoint}")), TestPaths.NewTempDir("phase2-bad")).Run());
        Assert.StartsWith($"model.init_weights: {notACheckpoint}: not a training checkpoint", e.Message);
        Assert.DoesNotContain("\n", e.Message);
    }

    [Fact]
    public void InitStrictFalseLoadsWhatFitsAndStartsTheRestFresh()
    {
        // A checkpoint of the plain FPN continued at decoder stride 2: the refinement is not in it, and the head takes 64
        // channels instead of 128. Strict (the default) refuses; init_strict: false loads the rest and says what started fresh.
        string[] fpn = ["model.encoder=resnet18", "model.architecture=fpn"];
        string first = TestPaths.NewTempDir("strict-source");
        Trainer.Create(TrainingRecipe.Load(null, Recipe(1, fpn)), first).Run();
        string ckpt = Path.Combine(first, "last.ckpt");
        string[] fine = [.. fpn, "model.decoder_stride=2", $"model.init_weights={ckpt}", "optimizer.lr=1e-12", "optimizer.weight_decay=0"];
        var strict = Assert.Throws<SharpSegException>(() => Trainer.Create(TrainingRecipe.Load(null, Recipe(1, fine)), TestPaths.NewTempDir("strict")).Run());
        Assert.Contains("weights do not fit", strict.Message);
        string second = TestPaths.NewTempDir("not-strict");
        var messages = new List<string>();
        Trainer.Create(TrainingRecipe.Load(null, Recipe(1, [.. fine, "model.init_strict=false"])), second).Run(new SharpSeg.Tests.Training.TrainingNotes(messages));
        Assert.Contains(messages, m => m.Contains("not strict:", StringComparison.Ordinal) && m.Contains("fineProjection", StringComparison.Ordinal) && m.Contains("head.weight", StringComparison.Ordinal));
        using var pa = Predictor.FromCheckpoint(ckpt, fused: false);
        using var pb = Predictor.FromCheckpoint(Path.Combine(second, "last.ckpt"), fused: false);
        var sb = pb.Model.state_dict();
        foreach (var (key, t) in pa.Model.state_dict().Where(kv => kv.Key.StartsWith("encoder.", StringComparison.Ordinal) && kv.Key.EndsWith("weight", StringComparison.Ordinal)))
            Assert.True(t.allclose(sb[key], 1e-6, 1e-6), $"{key} was not initialised from the checkpoint");
        // A file of another model altogether (a plain U-Net: only the head's bias fits) is refused even when not strict.
        string unet = TestPaths.NewTempDir("strict-unet");
        Trainer.Create(TrainingRecipe.Load(null, Recipe(1)), unet).Run();
        var none = Assert.Throws<SharpSegException>(() => Trainer.Create(TrainingRecipe.Load(null, Recipe(1, [.. fpn, $"model.init_weights={Path.Combine(unet, "last.ckpt")}", "model.init_strict=false"])), TestPaths.NewTempDir("strict-none")).Run());
        Assert.Contains("tensors of model fpn/resnet18 fit", none.Message);
        Assert.Contains("at least half", none.Message);
    }

    [Fact]
    public void ImageNetWeightsOnAnotherEncoderIsOneClearLine()
    {
        var recipe = TrainingRecipe.Load(null, Recipe(1, "model.encoder=resnet18", "model.encoder_weights=imagenet"));
        var e = Assert.Throws<SharpSegException>(() => Trainer.Create(recipe, TestPaths.NewTempDir("imagenet-wrong")).Run());
        Assert.Contains("model.encoder: resnet18_imagenet", e.Message);
        var missing = TrainingRecipe.Load(null, Recipe(1, "model.encoder_weights=nothere.safetensors"));
        Assert.Contains("file not found", Assert.Throws<SharpSegException>(() => Trainer.Create(missing, TestPaths.NewTempDir("weights-missing")).Run()).Message);
    }

    private static Dictionary<string, torch.Tensor> Encoder(string checkpoint)
    {
        using var p = Predictor.FromCheckpoint(checkpoint, fused: false);
        return p.Model.Encoder.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
    }

    private static void AssertEncoder(Dictionary<string, torch.Tensor> expected, Dictionary<string, torch.Tensor> actual, bool same, string what)
    {
        bool allEqual = expected.All(kv => kv.Value.allclose(actual[kv.Key], 0, 0));
        Assert.True(allEqual == same, $"{what}: encoder {(same ? "changed" : "did not change")}");
    }
}
