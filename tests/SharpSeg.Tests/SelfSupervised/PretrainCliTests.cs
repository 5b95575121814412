using System.Text.Json.Nodes;
using SharpSeg.Tests.Training;
using Xunit;
using SharpSeg.Checkpoints;

namespace SharpSeg.Tests.SelfSupervised;

/// <summary>`sharpseg pretrain` and `sharpseg probe` as a user runs them, and the encoder they write used by `sharpseg train`.</summary>
public sealed class PretrainCliTests
{
    [Fact]
    public void Pretrain_on_gray_images_works_with_the_default_normalisation()
    {
        string dir = TestPaths.NewTempDir("pretrain-cli-gray");
        string encoder = Path.Combine(dir, "gray.ckpt");
        var r = CliRunner.Run("pretrain", "--images", PretrainFixture.ImageFolder, "--channels", "1", "--encoder", "unet", "--depth", "2", "--base-width", "8",
            "--method", "dense", "--iterations", "1", "--batch-size", "4", "--crop", "32", "--threads", "1", "--workers", "0", "--out", encoder);
        Assert.True(r.ExitCode == 0, r.ToString());
        var info = SharpSeg.Checkpoints.EncoderCheckpoint.Load(encoder).Info;
        Assert.Equal(1, info.InChannels);
        Assert.Single(info.Mean);
    }

    [Fact]
    public void Pretrain_reads_a_recipe_and_prints_every_key_as_a_valid_recipe()
    {
        string dir = TestPaths.NewTempDir("pretrain-cli-recipe");
        var defaults = CliRunner.Run("pretrain", "--print-defaults");
        Assert.True(defaults.ExitCode == 0, defaults.ToString());
        File.WriteAllText(Path.Combine(dir, "defaults.yaml"), defaults.StdOut);
        Assert.Equal(System.Text.Json.JsonSerializer.Serialize(new SharpSeg.SelfSupervised.PretrainOptions()),
            System.Text.Json.JsonSerializer.Serialize(SharpSeg.SelfSupervised.PretrainRecipe.Load(Path.Combine(dir, "defaults.yaml"))));

        string recipe = Path.Combine(dir, "pretrain.yaml");
        File.WriteAllText(recipe, $"data:\n  images: [{PretrainFixture.ImageFolder}]\nmodel:\n  encoder: unet\n  depth: 2\n  base_width: 8\n" +
            "pretrain:\n  method: simclr\n  crop: [32, 32]\ntrain:\n  iterations: 1\n  batch_size: 4\n  threads: 1\n  workers: 0\n");
        string encoder = Path.Combine(dir, "encoder.ckpt");
        var r = CliRunner.Run("pretrain", "--recipe", recipe, "--set", "pretrain.temperature=0.3", "--out", encoder);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("Pretraining unet with simclr: views 32x32, batch 4, 1 iterations", r.StdOut);
        var probe = CliRunner.Run("probe", "--data", TrainingFixture.DatasetYaml, "--encoder", "resnet18", "--depth", "3");
        Assert.Equal(1, probe.ExitCode);
        Assert.Contains("model.depth 3 has no effect", probe.StdErr);
        var bad = CliRunner.Run("pretrain", "--recipe", recipe, "--encoder", "resnet18", "--out", Path.Combine(dir, "bad.ckpt"));
        Assert.Equal(1, bad.ExitCode);
        Assert.Single(bad.StdErr.Trim().Split('\n'));
        Assert.Contains("model.depth 2 has no effect", bad.StdErr);
    }

    [Fact]
    public void Pretrain_writes_an_encoder_that_train_and_probe_use()
    {
        string dir = TestPaths.NewTempDir("pretrain-cli");
        string encoder = Path.Combine(dir, "encoder.ckpt");
        var r = CliRunner.Run("pretrain", "--images", PretrainFixture.ImageFolder, "--encoder", "unet", "--depth", "2", "--base-width", "8",
            "--method", "dense", "--iterations", "2", "--batch-size", "4", "--crop", "32", "--threads", "1", "--workers", "1", "--out", encoder);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("2 iterations on 64 images", r.StdOut);
        Assert.Contains("model.encoder_weights=", r.StdOut);
        Assert.True(File.Exists(encoder));
        Assert.True(File.Exists(Path.Combine(dir, "encoder.jsonl")));

        string run = Path.Combine(dir, "run");
        var t = CliRunner.Run("train", "--set", "data.dataset=" + TrainingFixture.DatasetYaml, "--set", "model.depth=2", "--set", "model.base_width=8",
            "--set", "model.encoder_weights=" + encoder, "--set", "train.iterations=1", "--set", "data.val_split=null", "--set", "train.threads=1",
            "--set", "augment.crop=[32, 32]", "--out", run);
        Assert.True(t.ExitCode == 0, t.ToString());
        Assert.True(File.Exists(Path.Combine(run, "last.ckpt")));

        string probeJson = Path.Combine(dir, "probe.json");
        var p = CliRunner.Run("probe", "--data", TrainingFixture.DatasetYaml, "--weights", encoder, "--iterations", "3", "--threads", "1", "--out", probeJson);
        Assert.True(p.ExitCode == 0, p.ToString());
        Assert.Contains("linear probe", p.StdOut);
        var json = JsonNode.Parse(File.ReadAllText(probeJson))!;
        Assert.True((bool)json["pretrained"]!);
        Assert.NotNull(json["metrics"]!["mean_iou"]);
        var random = CliRunner.Run("probe", "--data", TrainingFixture.DatasetYaml, "--encoder", "unet", "--depth", "2", "--base-width", "8", "--iterations", "3", "--threads", "1");
        Assert.True(random.ExitCode == 0, random.ToString());

        var again = CliRunner.Run("pretrain", "--resume", encoder);
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("nothing to resume", again.StdErr);
    }

    [Fact]
    public void Probe_takes_the_encoder_weights_a_recipe_takes()
    {
        string json = Path.Combine(TestPaths.NewTempDir("probe-imagenet"), "probe.json");
        var p = CliRunner.Run("probe", "--data", TrainingFixture.DatasetYaml, "--weights", "imagenet", "--iterations", "3", "--threads", "1", "--out", json);
        Assert.True(p.ExitCode == 0, p.ToString());
        var j = JsonNode.Parse(File.ReadAllText(json))!;
        Assert.Equal("imagenet", (string)j["encoder"]!);
        Assert.Equal(512, (int)j["feature_channels"]!); // resnet18_imagenet's layer4
        Assert.Equal(32, (int)j["feature_stride"]!);

        var missing = CliRunner.Run("probe", "--data", TrainingFixture.DatasetYaml, "--weights", "no-such-weights.pth", "--iterations", "3");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("no-such-weights.pth: file not found", missing.StdErr);
        Assert.Single(missing.StdErr.Trim().Split('\n'));
    }

    [Theory]
    [InlineData("no such folder", "--images", "does-not-exist", "--out", "x.ckpt")]
    [InlineData("--out is required", "--images", ".")]
    [InlineData("--crop 'big'", "--images", ".", "--crop", "big", "--out", "x.ckpt")]
    [InlineData("unknown pretraining method", "--images", ".", "--method", "byol", "--out", "x.ckpt")]
    public void Pretrain_mistakes_are_one_line_and_exit_1(string expected, params string[] args)
    {
        var r = CliRunner.RunIn(TestPaths.NewTempDir("pretrain-cli-errors"), ["pretrain", .. args]);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains(expected, r.StdErr);
        Assert.Single(r.StdErr.Trim().Split('\n'));
        Assert.DoesNotContain("   at ", r.All);
    }
}
