using SharpSeg.SelfSupervised;
using SharpSeg.Training;
using TorchSharp;
using Xunit;
using SharpSeg.Checkpoints;
using SharpSeg.Metrics;
using SharpSeg.Models.Encoders;

namespace SharpSeg.Tests.SelfSupervised;

[Collection(SequentialCollection.Name)] // exact resume compares runs that start from libtorch's seeded global generator
public sealed class PretrainerTests
{
    [Fact]
    public void Bf16_pretraining_tracks_fp32_and_records_its_precision()
    {
        string dir = TestPaths.NewTempDir("pretrain-bf16");
        var options = PretrainFixture.Options(PretrainMethod.Dense, iterations: 3) with { BatchSize = 8, Crop = [32, 32] };
        string fp32 = Path.Combine(dir, "fp32.ckpt"), bf16 = Path.Combine(dir, "bf16.ckpt");
        Pretrainer.Create(options, fp32).Run();
        Pretrainer.Create(options with { Precision = "bf16" }, bf16).Run();
        List<System.Text.Json.Nodes.JsonObject> Log(string ckpt) => MetricsLog.Read(Path.ChangeExtension(ckpt, ".jsonl")).ToList();
        var l32 = Log(fp32).Where(o => (string?)o["kind"] == "train").Select(o => (double)o["loss"]!).ToList();
        var l16 = Log(bf16).Where(o => (string?)o["kind"] == "train").Select(o => (double)o["loss"]!).ToList();
        Assert.Equal("bf16", (string?)Log(bf16).First(o => (string?)o["kind"] == "start")["precision"]);
        Assert.NotEqual(l32, l16);
        Assert.True(Math.Abs(l32[0] - l16[0]) < 0.03 * l32[0], $"first contrastive loss: fp32 {l32[0]}, bf16 {l16[0]}");
        Assert.Contains("--precision must be fp32 or bf16", Assert.Throws<SharpSegException>(() => (options with { Precision = "half" }).Validate()).Message);
    }

    [Fact]
    public void A_stopped_run_resumes_exactly_and_ends_with_the_encoder_only()
    {
        string dir = TestPaths.NewTempDir("pretrain-resume");
        var options = PretrainFixture.Options(PretrainMethod.Dense, iterations: 6) with { BatchSize = 8, Crop = [32, 32] };
        string full = Path.Combine(dir, "full.ckpt"), half = Path.Combine(dir, "half.ckpt");
        Pretrainer.Create(options, full).Run();
        Assert.ThrowsAny<OperationCanceledException>(() => Pretrainer.Create(options, half).Run(new StopAt(3)));
        var stopped = EncoderCheckpoint.Load(half);
        Assert.True(stopped.CanResume);
        Assert.Equal(3, stopped.Info.Iterations);
        Assert.False(stopped.Info.Finished);
        torch.manual_seed(12345); // disturb the global RNG: resume must restore it
        var resumed = Pretrainer.Resume(half).Run();
        Assert.Equal(6, resumed.Iterations);

        var a = EncoderCheckpoint.Load(full);
        var b = EncoderCheckpoint.Load(half);
        Assert.True(b.Info.Finished);
        Assert.False(b.CanResume);
        using var ea = a.CreateEncoder();
        using var eb = b.CreateEncoder();
        var sb = eb.state_dict();
        foreach (var (name, t) in ea.state_dict())
        {
            double diff = t.is_floating_point() ? (t - sb[name]).abs().max().ToDouble() : (t.eq(sb[name]).all().item<bool>() ? 0 : 1);
            Assert.True(diff < 1e-5, $"{name} differs by {diff} after resume");
        }
        var kinds = MetricsLog.Read(Path.ChangeExtension(half, ".jsonl")).Select(r => (string?)r["kind"]).ToList();
        Assert.Equal(["start", "train", "train", "train", "interrupted", "resume", "train", "train", "train", "end"], kinds);
        Assert.Contains("nothing to resume", Assert.Throws<SharpSegException>(() => Pretrainer.Resume(half)).Message);
    }

    /// <summary>16-bit images using raw values 1000..1255 (2 gray levels at full scale): with image_range the views are
    /// read stretched, which the dataset normalisation recorded in the checkpoint shows.</summary>
    [Fact]
    public void Sixteen_bit_images_are_read_through_the_image_range()
    {
        string dir = TestPaths.NewTempDir("pretrain-16bit");
        string images = Path.Combine(dir, "images");
        Directory.CreateDirectory(images);
        for (int n = 0; n < 8; n++)
        {
            var s = new ushort[64 * 64];
            for (int i = 0; i < s.Length; i++) s[i] = (ushort)(1000 + (i * 7 + n * 31) % 256);
            SharpSeg.Imaging.PngCodec.Save(new SharpSeg.Imaging.PngRaster(64, 64, SharpSeg.Imaging.PngColorType.Gray, 16, s), Path.Combine(images, $"g{n}.png"));
        }
        var options = PretrainFixture.Options(PretrainMethod.SimClr, iterations: 1) with { Images = [images], BatchSize = 4, Crop = [32, 32], Normalize = "dataset" };
        var full = EncoderCheckpoint.Load(Pretrainer.Create(options, Path.Combine(dir, "full.ckpt")).Run().CheckpointPath).Info;
        var ranged = Pretrainer.Create(options with { ImageRange = [1000, 1255] }, Path.Combine(dir, "ranged.ckpt")).Run();
        var info = EncoderCheckpoint.Load(ranged.CheckpointPath).Info;
        Assert.InRange(full.Mean[0], 0.01, 0.025);   // about 4/255: two gray levels
        Assert.InRange(info.Mean[0], 0.45, 0.55);    // the stretched values, 0..255
        Assert.Equal("[1000,1255]", info.Options!["image_range"]!.ToJsonString());
        Assert.Contains("--image-range", Assert.Throws<SharpSegException>(() => Pretrainer.Create(options with { ImageRange = [5, 5] }, Path.Combine(dir, "bad.ckpt"))).Message);
    }

    [Fact]
    public void SimClr_runs_and_writes_a_loadable_encoder()
    {
        string dir = TestPaths.NewTempDir("pretrain-simclr");
        var options = PretrainFixture.Options(PretrainMethod.SimClr, iterations: 3) with { BatchSize = 4, Crop = [32, 32], Normalize = "dataset" };
        var result = Pretrainer.Create(options, Path.Combine(dir, "simclr.ckpt")).Run();
        var info = EncoderCheckpoint.Load(result.CheckpointPath).Info;
        Assert.Equal("simclr", info.Method);
        Assert.Equal(64, info.Images);
        Assert.Equal(3, info.Mean.Length);
        Assert.NotEqual(0.485, info.Mean[0], 3); // measured on the images, not ImageNet's
        Assert.True(double.IsFinite(result.FinalLoss));
    }

    [Fact]
    public void Gray_images_pretrain_with_the_default_imagenet_normalisation()
    {
        // Used to fail: pretraining resolved imagenet to three RGB values for one channel. Now one rule for
        // training and pretraining alike: the averages of ImageNet's.
        string dir = TestPaths.NewTempDir("pretrain-gray");
        var options = PretrainFixture.Options(PretrainMethod.Dense, iterations: 1) with
        {
            Encoder = PretrainFixture.TinyEncoder with { InChannels = 1 }, BatchSize = 4, Crop = [32, 32], Workers = 0,
        };
        Assert.Equal("imagenet", options.Normalize);
        var result = Pretrainer.Create(options, Path.Combine(dir, "gray.ckpt")).Run();
        var info = EncoderCheckpoint.Load(result.CheckpointPath).Info;
        Assert.Equal(1, info.InChannels);
        var expected = SharpSeg.Data.Normalization.ImageNet.ForChannels(1);
        Assert.Equal((double)expected.Mean[0], Assert.Single(info.Mean));
        Assert.Equal((double)expected.Std[0], Assert.Single(info.Std));
    }

    [Theory]
    [InlineData("resnet18")]
    [InlineData("mobilenet_v2")]
    [InlineData("mobilenet_v3_large")]
    public void Every_kind_of_encoder_pretrains_and_loads_into_a_model(string encoder)
    {
        string dir = TestPaths.NewTempDir("pretrain-" + encoder);
        var options = PretrainFixture.Options(PretrainMethod.Dense, iterations: 1) with
        {
            Encoder = new SharpSeg.Models.ModelConfig { Encoder = encoder, InChannels = 3 }, BatchSize = 2, Crop = [64, 64], Workers = 0,
        };
        var result = Pretrainer.Create(options, Path.Combine(dir, "encoder.ckpt")).Run();
        Assert.True(double.IsFinite(result.FinalLoss));
        using var model = SharpSeg.Models.ModelZoo.Create(new SharpSeg.Models.ModelConfig { Architecture = "fpn", Encoder = encoder, NumClasses = 2 });
        Assert.Equal(encoder, EncoderCheckpoint.LoadInto(model.Encoder, result.CheckpointPath, encoder).Encoder);
    }

    /// <summary>In-domain pretraining continued from ImageNet weights, with distillation from a frozen copy of them (the
    /// default when starting from weights; <c>--distill 0</c> turns it off): the encoder starts at the ImageNet weights (the first distillation loss is below that of unrelated features, 1: only
    /// BatchNorm's batch statistics, here of 8 tiny views, differ from the teacher's running ones; measured 0.61), the
    /// loss is logged, and the result moves away from the start.</summary>
    [Fact]
    public void Pretraining_continues_from_imagenet_weights_with_distillation()
    {
        string dir = TestPaths.NewTempDir("pretrain-distill");
        var options = PretrainFixture.Options(PretrainMethod.Dense, iterations: 2) with
        {
            Encoder = new SharpSeg.Models.ModelConfig { Encoder = "resnet18_imagenet", InChannels = 3 }, BatchSize = 4, Crop = [64, 64],
            InitWeights = "imagenet", Lr = 1e-3, // Distill left at auto
        };
        var result = Pretrainer.Create(options, Path.Combine(dir, "continued.ckpt")).Run();
        var distill = File.ReadAllLines(result.LogPath).Where(l => l.Contains("\"loss_distill\"")).Select(l =>
            System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("loss_distill").GetDouble()).ToList();
        Assert.Equal(2, distill.Count);
        Assert.InRange(distill[0], 0, 0.9); // 1 − cosine: 0 would be identical features, 1 unrelated ones
        using var imagenet = SharpSeg.Pretrained.EncoderWeights.CreateWithEncoder("resnet18_imagenet", "imagenet", 3, out _);
        using var continued = EncoderCheckpoint.Load(result.CheckpointPath).CreateEncoder();
        var a = imagenet.Encoder.state_dict();
        var b = continued.state_dict();
        string key = a.Keys.First(k => k.EndsWith("conv1.weight", StringComparison.Ordinal));
        Assert.True(torch.allclose(a[key], b[key], rtol: 0, atol: 0.05), "the encoder started from the ImageNet weights");
        Assert.False(a[key].eq(b[key]).all().item<bool>(), "and was trained");
        Assert.Contains("--encoder-weights", Assert.Throws<SharpSegException>(() => Pretrainer.Create(options with { InitWeights = null, Distill = 1 }, Path.Combine(dir, "x.ckpt"))).Message);

        var off = Pretrainer.Create(options with { Distill = 0, Iterations = 1 }, Path.Combine(dir, "off.ckpt")).Run();
        Assert.DoesNotContain("loss_distill", File.ReadAllText(off.LogPath));
    }

    [Fact]
    public void Mistakes_are_one_clear_error()
    {
        string dir = TestPaths.NewTempDir("pretrain-errors");
        var ok = PretrainFixture.Options(PretrainMethod.Dense, iterations: 1);
        string existing = Path.Combine(dir, "exists.ckpt");
        File.WriteAllText(existing, "");
        Assert.Contains("--resume", Assert.Throws<SharpSegException>(() => Pretrainer.Create(ok, existing)).Message);
        Assert.Contains("output stride 8", Assert.Throws<SharpSegException>(() => Pretrainer.Create(ok with { Crop = [50, 50] }, Path.Combine(dir, "a.ckpt")).Run()).Message);
        Assert.Contains("at least 2", Assert.Throws<SharpSegException>(() => Pretrainer.Create(ok with { BatchSize = 1 }, Path.Combine(dir, "b.ckpt"))).Message);
        Assert.Contains("no such folder", Assert.Throws<SharpSegException>(() => Pretrainer.Create(ok with { Images = [Path.Combine(dir, "nope")] }, Path.Combine(dir, "c.ckpt")).Run()).Message);
        Assert.Contains("unknown encoder", Assert.Throws<SharpSegException>(() => Pretrainer.Create(ok with { Encoder = ok.Encoder with { Encoder = "resnet19" } }, Path.Combine(dir, "d.ckpt")).Run()).Message);
        Assert.Contains("simclr or dense", Assert.Throws<SharpSegException>(() => PretrainOptions.ParseMethod("byol")).Message);
        string one = Path.Combine(dir, "one");
        Directory.CreateDirectory(one);
        File.Copy(Directory.GetFiles(PretrainFixture.ImageFolder)[0], Path.Combine(one, "a.png"));
        Assert.Contains("at least 2", Assert.Throws<SharpSegException>(() => Pretrainer.Create(ok with { Images = [one] }, Path.Combine(dir, "e.ckpt")).Run()).Message);
    }

    sealed class StopAt(long iteration) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value)
        {
            if (value.Iteration >= iteration) throw new OperationCanceledException("test stop");
        }
    }
}
