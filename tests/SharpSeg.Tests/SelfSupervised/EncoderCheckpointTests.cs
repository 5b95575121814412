using SharpSeg.Models;
using SharpSeg.SelfSupervised;
using SharpSeg.Training;
using SharpSeg.Tests.Training;
using TorchSharp;
using Xunit;
using SharpSeg.Checkpoints;
using SharpSeg.Models.Encoders;

namespace SharpSeg.Tests.SelfSupervised;

/// <summary>Encoder checkpoints: save → load round trip, loading into a model's encoder, and the errors a user can cause.</summary>
public sealed class EncoderCheckpointTests
{
    static readonly ModelConfig Tiny = new() { Encoder = "unet", InChannels = 3, Depth = 2, BaseWidth = 4 };

    static EncoderCheckpointInfo Info(ModelConfig c, SharpSeg.Models.Encoders.Encoder e) => new()
    {
        Encoder = c.Encoder, InChannels = c.InChannels, Model = System.Text.Json.JsonSerializer.SerializeToNode(c)!.AsObject(),
        OutChannels = e.OutChannels.ToArray(), Mean = [0.5, 0.5, 0.5], Std = [0.25, 0.25, 0.25], Method = "dense", Iterations = 7, Finished = true,
    };

    static string SaveRandom(ModelConfig c, string dir, string name = "encoder.ckpt")
    {
        using var e = ModelZoo.Encoders[c.Encoder](c);
        using (torch.no_grad()) foreach (var (_, t) in e.state_dict()) if (t.is_floating_point()) t.uniform_(-1, 1);
        string path = Path.Combine(dir, name);
        EncoderCheckpoint.Save(path, e, Info(c, e));
        return path;
    }

    [Fact]
    public void Saved_encoder_loads_back_and_into_a_segmentation_models_encoder()
    {
        string dir = TestPaths.NewTempDir("encoder-ckpt");
        string path = SaveRandom(Tiny, dir);
        var ckpt = EncoderCheckpoint.Load(path);
        Assert.Equal("unet", ckpt.Info.Encoder);
        Assert.Equal(7, ckpt.Info.Iterations);
        Assert.False(ckpt.CanResume);
        Assert.Equal(Tiny, ckpt.EncoderConfig);
        using var loaded = ckpt.CreateEncoder();

        using var model = ModelZoo.Create(Tiny with { Architecture = "unet", NumClasses = 3 });
        var decoderBefore = model.Decoder.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        var info = EncoderCheckpoint.LoadInto(model.Encoder, path, "unet");
        Assert.Equal([0.5, 0.5, 0.5], info.Mean);
        var want = loaded.state_dict();
        foreach (var (name, t) in model.Encoder.state_dict())
            Assert.True(t.eq(want[name]).all().item<bool>(), $"{name} was not loaded");
        foreach (var (name, t) in model.Decoder.state_dict())
            Assert.True(t.eq(decoderBefore[name]).all().item<bool>(), $"decoder weight {name} changed");
        // The output stride has no weights: a dilated ResNet takes the same checkpoint as a plain one.
        var r18 = new ModelConfig { Encoder = "resnet18", InChannels = 3 };
        string resnet = SaveRandom(r18, dir, "r18.ckpt");
        using var deeplab = ModelZoo.Create(r18 with { Architecture = "deeplabv3plus", NumClasses = 2, OutputStride = 8 });
        EncoderCheckpoint.LoadInto(deeplab.Encoder, resnet, "resnet18");
    }

    [Fact]
    public void Checkpoints_that_do_not_fit_say_what_differs()
    {
        string dir = TestPaths.NewTempDir("encoder-ckpt-errors");
        string path = SaveRandom(Tiny, dir);
        using var deeper = ModelZoo.Encoders["unet"](Tiny with { Depth = 3 });
        var e = Assert.Throws<SharpSegException>(() => EncoderCheckpoint.LoadInto(deeper, path));
        Assert.Contains("does not fit", e.Message);
        Assert.Contains("depth 2", e.Message);
        using var wider = ModelZoo.Encoders["unet"](Tiny with { BaseWidth = 8 });
        Assert.Contains("differ in shape", Assert.Throws<SharpSegException>(() => EncoderCheckpoint.LoadInto(wider, path)).Message);
        using var gray = ModelZoo.Encoders["unet"](Tiny with { InChannels = 1 });
        Assert.Contains("3-channel", Assert.Throws<SharpSegException>(() => EncoderCheckpoint.LoadInto(gray, path)).Message);
        using var same = ModelZoo.Encoders["unet"](Tiny);
        Assert.Contains("model.encoder: unet", Assert.Throws<SharpSegException>(() => EncoderCheckpoint.LoadInto(same, path, "resnet18")).Message);
        Assert.Contains("not found", Assert.Throws<SharpSegException>(() => EncoderCheckpoint.Load(Path.Combine(dir, "missing.ckpt"))).Message);
        string junk = Path.Combine(dir, "junk.ckpt");
        File.WriteAllText(junk, "not a zip");
        Assert.Contains("damaged", Assert.Throws<SharpSegException>(() => EncoderCheckpoint.Load(junk)).Message);
    }

    [Fact]
    public void A_training_checkpoint_is_not_taken_for_an_encoder_and_training_starts_from_the_pretrained_encoder()
    {
        var config = new ModelConfig { Encoder = "unet", InChannels = 3, Depth = 2, BaseWidth = 8 };
        string dir = TestPaths.NewTempDir("encoder-weights-recipe");
        string path = SaveRandom(config, dir);
        // A near-zero learning rate: after one step the encoder's convolutions must still be the pretrained ones.
        string[] Recipe(bool pretrained) => TrainingFixture.TinyRecipe(TrainingFixture.DatasetYaml, iterations: 1, valEvery: 1)
            .Concat(["optimizer.lr=1e-12", "schedule.name=constant", "data.val_split=null"])
            .Concat(pretrained ? ["model.encoder_weights=" + path] : []).ToArray();
        string run = Path.Combine(dir, "run");
        Trainer.Create(TrainingRecipe.Load(null, Recipe(true)), run).Run();
        string random = Path.Combine(dir, "random");
        Trainer.Create(TrainingRecipe.Load(null, Recipe(false)), random).Run();

        using var expected = EncoderCheckpoint.Load(path).CreateEncoder();
        var want = expected.state_dict();
        using var trained = SharpSeg.Inference.Predictor.FromCheckpoint(Path.Combine(run, "last.ckpt"), fused: false);
        using var baseline = SharpSeg.Inference.Predictor.FromCheckpoint(Path.Combine(random, "last.ckpt"), fused: false);
        string conv = want.Keys.First(k => k.EndsWith("conv0.weight"));
        Assert.True(trained.Model.Encoder.state_dict()[conv].allclose(want[conv], atol: 1e-6), "training did not start from the pretrained encoder");
        Assert.False(baseline.Model.Encoder.state_dict()[conv].allclose(want[conv], atol: 1e-2));

        var e = Assert.Throws<SharpSegException>(() => EncoderCheckpoint.Load(Path.Combine(run, "last.ckpt")));
        Assert.Contains("sharpseg pretrain", e.Message);
        Assert.True(EncoderCheckpoint.IsEncoderCheckpoint(path));
        Assert.False(EncoderCheckpoint.IsEncoderCheckpoint(Path.Combine(run, "last.ckpt")));
        Assert.False(EncoderCheckpoint.IsEncoderCheckpoint(Path.Combine(dir, "missing.ckpt")));
        Assert.Equal([0.5f, 0.5f, 0.5f], EncoderCheckpoint.Load(path).Normalization.Mean);
    }
}
