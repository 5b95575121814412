using System.Text.Json;
using SharpSeg.Cli.Commands;
using SharpSeg.SelfSupervised;
using Xunit;

namespace SharpSeg.Tests.SelfSupervised;

/// <summary>One source of pretraining defaults: <c>sharpseg pretrain</c> with no options is <c>new PretrainOptions()</c>.</summary>
public sealed class PretrainDefaultsTests
{
    [Fact]
    public void The_cli_without_options_resolves_to_the_library_defaults()
    {
        var fromCli = PretrainCommand.ToOptions(new PretrainCommand.Settings());
        // Compared as JSON: every saved field, including the encoder's ModelConfig and the crop array.
        Assert.Equal(JsonSerializer.Serialize(new PretrainOptions()), JsonSerializer.Serialize(fromCli));
    }

    [Fact]
    public void The_default_method_is_dense_as_documented()
    {
        Assert.Equal(PretrainMethod.Dense, new PretrainOptions().Method);
        Assert.Equal(PretrainMethod.Dense, PretrainCommand.ToOptions(new PretrainCommand.Settings()).Method);
    }

    [Fact]
    public void Given_options_override_the_defaults()
    {
        var o = PretrainCommand.ToOptions(new PretrainCommand.Settings
        {
            Images = ["a"], Method = "simclr", Iterations = 7, Epochs = 3, Crop = "64x96", Channels = 1, Encoder = "unet", Normalize = " None ",
        });
        Assert.Equal(PretrainMethod.SimClr, o.Method);
        Assert.Equal(7, o.Iterations);
        Assert.Equal(0, o.Epochs); // --iterations is the budget
        Assert.Equal(new[] { 64, 96 }, o.Crop);
        Assert.Equal(1, o.Encoder.InChannels);
        Assert.Equal("unet", o.Encoder.Encoder);
        Assert.Equal("none", o.Normalize);
        Assert.Equal(3, PretrainCommand.ToOptions(new PretrainCommand.Settings { Epochs = 3 }).Epochs);
    }

    [Fact]
    public void The_recipe_defaults_are_the_library_defaults()
    {
        Assert.Equal(JsonSerializer.Serialize(new PretrainOptions()), JsonSerializer.Serialize(PretrainRecipe.Load(null)));
        Assert.Equal(JsonSerializer.Serialize(new PretrainOptions()), JsonSerializer.Serialize(PretrainCommand.ToOptions(new PretrainCommand.Settings { Set = ["train.seed=0"] })));
    }

    [Fact]
    public void A_recipe_file_sets_options_paths_are_relative_to_it_and_the_command_line_overrides_it()
    {
        string dir = TestPaths.NewTempDir("pretrain-recipe");
        string recipe = Path.Combine(dir, "pretrain.yaml");
        File.WriteAllText(recipe, """
            data:
              images: [unlabelled, more/a.png]
              normalize: dataset
            model:
              encoder: unet
              depth: 2
              base_width: 8
            pretrain:
              method: simclr
              crop: [64, 96]
            optimizer:
              lr: 0.003
            train:
              iterations: 50
            """);
        var o = PretrainRecipe.Load(recipe, ["pretrain.temperature=0.1"]);
        Assert.Equal([Path.Combine(dir, "unlabelled"), Path.Combine(dir, "more", "a.png")], o.Images);
        Assert.Equal(("unet", 2, 8), (o.Encoder.Encoder, o.Encoder.Depth, o.Encoder.BaseWidth));
        Assert.Equal((PretrainMethod.SimClr, 0.1, 0.003, 50L, "dataset"), (o.Method, o.Temperature, o.Lr, o.Iterations, o.Normalize));
        Assert.Equal(new[] { 64, 96 }, o.Crop);
        Assert.Equal(new PretrainOptions().BatchSize, o.BatchSize);

        var cli = PretrainCommand.ToOptions(new PretrainCommand.Settings { Recipe = recipe, Method = "dense", Iterations = 5, Images = ["extra"] });
        Assert.Equal((PretrainMethod.Dense, 5L, 0.003), (cli.Method, cli.Iterations, cli.Lr));
        Assert.Equal(3, cli.Images.Count);
    }

    [Fact]
    public void A_recipe_refuses_unknown_keys_bad_values_and_options_the_encoder_ignores()
    {
        string dir = TestPaths.NewTempDir("pretrain-recipe-bad");
        string Write(string yaml) { string p = Path.Combine(dir, Guid.NewGuid().ToString("N") + ".yaml"); File.WriteAllText(p, yaml); return p; }
        Assert.Contains("unknown key 'pretrain.temprature' (did you mean 'temperature'?)",
            Assert.Throws<SharpSegException>(() => PretrainRecipe.Load(Write("pretrain:\n  temprature: 0.1\n"))).Message);
        Assert.Contains("model.depth 3 has no effect", Assert.Throws<SharpSegException>(() => PretrainRecipe.Load(null, ["model.depth=3"])).Message);
        Assert.Contains("'pretrain.crop' must be [height, width]", Assert.Throws<SharpSegException>(() => PretrainRecipe.Load(null, ["pretrain.crop=[1, 2, 3]"])).Message);
        Assert.Contains("unknown pretraining method 'mae'", Assert.Throws<SharpSegException>(() => PretrainRecipe.Load(null, ["pretrain.method=mae"])).Message);
        Assert.Contains("'train.batch_size' must be a whole number", Assert.Throws<SharpSegException>(() => PretrainRecipe.Load(null, ["train.batch_size=many"])).Message);
        Assert.Contains("--batch-size 1", Assert.Throws<SharpSegException>(() => PretrainRecipe.Load(null, ["train.batch_size=1"])).Message);
    }

    /// <summary><c>--distill</c> defaults to auto: distillation (weight 1, the measured winner) when the run starts from
    /// weights, off from random initialisation; an explicit weight, 0 included, wins; the recipe key reads <c>auto</c> or a
    /// number; auto survives the checkpoint's JSON.</summary>
    [Fact]
    public void Distillation_is_on_by_default_only_when_starting_from_weights()
    {
        Assert.Null(new PretrainOptions().Distill);
        Assert.Equal(0, new PretrainOptions().DistillWeight);
        Assert.Equal(PretrainOptions.AutoDistill, new PretrainOptions { InitWeights = "imagenet" }.DistillWeight);
        Assert.Equal(1.0, PretrainOptions.AutoDistill);
        Assert.Equal(0, new PretrainOptions { InitWeights = "imagenet", Distill = 0 }.DistillWeight);
        Assert.Equal(0.5, new PretrainOptions { InitWeights = "imagenet", Distill = 0.5 }.DistillWeight);

        var cli = PretrainCommand.ToOptions(new PretrainCommand.Settings { Encoder = "resnet18_imagenet", EncoderWeights = "imagenet" });
        Assert.Equal((null, 1.0), (cli.Distill, cli.DistillWeight));
        var off = PretrainCommand.ToOptions(new PretrainCommand.Settings { Encoder = "resnet18_imagenet", EncoderWeights = "imagenet", Distill = 0 });
        Assert.Equal(0, off.DistillWeight);

        Assert.Contains("distill: auto", PretrainRecipe.DefaultsYaml);
        Assert.Null(PretrainRecipe.Load(null, ["pretrain.distill=auto"]).Distill);
        Assert.Equal(0.25, PretrainRecipe.Load(null, ["model.encoder=resnet18_imagenet", "model.encoder_weights=imagenet", "pretrain.distill=0.25"]).Distill);
        Assert.Contains("'pretrain.distill' must be a number", Assert.Throws<SharpSegException>(() => PretrainRecipe.Load(null, ["pretrain.distill=lots"])).Message);
        Assert.Contains("--distill needs --encoder-weights", Assert.Throws<SharpSegException>(() => PretrainRecipe.Load(null, ["pretrain.distill=1"])).Message);

        var back = JsonSerializer.Deserialize<PretrainOptions>(JsonSerializer.Serialize(cli))!;
        Assert.Equal((null, 1.0), (back.Distill, back.DistillWeight));
    }
}
