using SharpSeg.Configuration;
using SharpSeg.Training;
using Xunit;

namespace SharpSeg.Tests.Training;

public sealed class RecipeTreeTests
{
    static ConfigTree Defaults => ConfigTree.Parse(RecipeDefaults.Yaml, "defaults");

    [Fact]
    public void UserValuesOverlayDefaults()
    {
        var t = ConfigTree.Parse("optimizer:\n  lr: 0.01\naugment:\n  crop: [128, 96]\n", "r.yaml").OverlayOn(Defaults);
        Assert.Equal(0.01, t.GetDouble("optimizer.lr"));
        Assert.Equal("adamw", t.GetString("optimizer.name"));
        Assert.Equal(new[] { 128.0, 96.0 }, t.GetDoubleList("augment.crop"));
    }

    [Fact]
    public void TypoIsAnErrorNamingKeyFileAndNearestKey()
    {
        var ex = Assert.Throws<SharpSegException>(() => ConfigTree.Parse("optimizer:\n  lrr: 0.01\n", "r.yaml").OverlayOn(Defaults));
        Assert.Equal("r.yaml: unknown key 'optimizer.lrr' (did you mean 'lr'?).", ex.Message);
        var top = Assert.Throws<SharpSegException>(() => ConfigTree.Parse("optimiser:\n  lr: 0.01\n", "r.yaml").OverlayOn(Defaults));
        Assert.Contains("did you mean 'optimizer'", top.Message);
    }

    [Fact]
    public void SetOverridesParseYamlValuesAndRejectUnknownKeys()
    {
        var t = ConfigTree.Parse("", "r.yaml").OverlayOn(Defaults);
        t.Set("augment.crop=[64, 32]");
        t.Set("train.epochs=3");
        Assert.Equal(new[] { 64.0, 32.0 }, t.GetDoubleList("augment.crop"));
        Assert.Equal(3, t.GetInt("train.epochs"));
        var ex = Assert.Throws<SharpSegException>(() => t.Set("train.epoch=3"));
        Assert.Contains("did you mean 'epochs'", ex.Message);
        Assert.Throws<SharpSegException>(() => t.Set("noequals"));
    }

    [Fact]
    public void SetOrAddAddsKeysAPartialTreeDoesNotName()
    {
        var plan = ConfigTree.Parse("data:\n  dataset: d.yaml\n  val_split: val\n", "plan");
        Assert.Contains("unknown key 'data.data_root'", Assert.Throws<SharpSegException>(() => plan.Set("data.data_root=/r")).Message);
        plan.SetOrAdd("data.data_root='/some path'");
        plan.SetOrAdd("eval.scale=0.5");
        plan.SetOrAdd("data.val_split=null");
        Assert.Equal("data:\n  dataset: d.yaml\n  val_split: null\n  data_root: /some path\neval:\n  scale: 0.5\n", plan.ToYaml());
        Assert.Throws<SharpSegException>(() => plan.SetOrAdd("data.dataset.x=1"));   // a value, not a section
    }

    // Trainer.Create writes the absolute dataset path back with Set(key=YamlText.Quote(path)); any folder name must read
    // back unchanged (a single-quoted scalar would fold the newline into a space).
    [Theory]
    [InlineData("/data/it's here/dataset.yaml")]
    [InlineData("/data/with space/d.yaml")]
    [InlineData("C:/data: x/d.yaml")]
    [InlineData("/données/路径/😀/d.yaml")]
    [InlineData("/a\\b/#c/\"q\"/d.yaml")]
    [InlineData("/tab\there/new\nline/d.yaml")]
    [InlineData(" /lead and trail ")]
    [InlineData("~")]
    [InlineData("null")]
    public void QuotedPathsSetWithSetReadBackUnchanged(string path)
    {
        var t = ConfigTree.Parse("", "r.yaml").OverlayOn(Defaults);
        t.Set("data.dataset=" + YamlText.Quote(path));
        Assert.Equal(path, t.GetString("data.dataset"));
    }

    // The saved recipe.yaml (ToYaml) must read back to the same values: a newline or tab kept (not folded into a space),
    // and '~', '-', '- x', '?', '? x' quoted (plain, they would read back as null, a list, or a syntax error).
    [Theory]
    [InlineData("/tab\there/new\nline/d.yaml")]
    [InlineData("carriage\rreturn")]
    [InlineData("~")]
    [InlineData("-")]
    [InlineData("- item")]
    [InlineData("?")]
    [InlineData("? key")]
    [InlineData("-5")]
    [InlineData("null")]
    [InlineData("")]
    [InlineData(" /lead and trail ")]
    [InlineData("/data/it's here/dataset.yaml")]
    [InlineData("/a\\b/#c/\"q\"/d.yaml")]
    public void SavedRecipeYamlReadsBackTheSameValues(string value)
    {
        var t = ConfigTree.Parse("", "r.yaml").OverlayOn(Defaults);
        t.Set("data.dataset=" + YamlText.Quote(value));
        var again = ConfigTree.Parse(t.ToYaml(), "recipe.yaml").OverlayOn(Defaults);
        Assert.Equal(value, again.GetString("data.dataset"));
        Assert.Equal(t.ToYaml(), again.ToYaml());
    }

    [Fact]
    public void ResolvedYamlRoundTrips()
    {
        var t = ConfigTree.Parse("model:\n  base_width: 8\n", "r.yaml").OverlayOn(Defaults);
        var again = ConfigTree.Parse(t.ToYaml(), "resolved.yaml").OverlayOn(Defaults);
        Assert.Equal(t.ToYaml(), again.ToYaml());
        Assert.Equal(8, again.GetInt("model.base_width"));
    }

    [Fact]
    public void WrongTypesAndSyntaxErrorsAreOneLine()
    {
        var t = ConfigTree.Parse("optimizer:\n  lr: fast\n", "r.yaml").OverlayOn(Defaults);
        Assert.Contains("'optimizer.lr' must be a number", Assert.Throws<SharpSegException>(() => t.GetDouble("optimizer.lr")).Message);
        var syntax = Assert.Throws<SharpSegException>(() => ConfigTree.Parse("a: [1, 2\n", "bad.yaml"));
        Assert.StartsWith("bad.yaml: YAML syntax error", syntax.Message);
        Assert.DoesNotContain("\n", syntax.Message);
    }

    [Fact]
    public void PathsInTheRecipeFollowItsFolderAndPathsGivenWithSetFollowTheWorkingDirectory()
    {
        string dir = TestPaths.NewTempDir("recipe-paths");
        string recipe = Path.Combine(dir, "configs", "r.yaml");
        Directory.CreateDirectory(Path.GetDirectoryName(recipe)!);
        File.WriteAllText(recipe, "data:\n  dataset: data/d.yaml\nmodel:\n  init_weights: w.safetensors\n");
        var fromFile = TrainingRecipe.Load(recipe);
        Assert.Equal(Path.Combine(dir, "configs", "data", "d.yaml"), fromFile.ResolvePath("data.dataset"));
        Assert.Equal(Path.Combine(dir, "configs", "w.safetensors"), RecipeBinding.InitWeights(fromFile));

        string cwd = Directory.GetCurrentDirectory();
        var fromSet = TrainingRecipe.Load(recipe, ["data.dataset=mine/d.yaml", "model.init_weights=runs/a/best.ckpt", "model.encoder_weights=imagenet"]);
        Assert.Equal(Path.Combine(cwd, "mine", "d.yaml"), fromSet.ResolvePath("data.dataset"));
        Assert.Equal(Path.Combine(cwd, "runs", "a", "best.ckpt"), RecipeBinding.InitWeights(fromSet));
        Assert.Equal("imagenet", RecipeBinding.EncoderWeights(fromSet));

        Assert.Equal("model.encoder_weights=none", TrainingRecipe.FromWorkingDirectory("model.encoder_weights=none"));
        Assert.Equal("model.init_weights=null", TrainingRecipe.FromWorkingDirectory("model.init_weights=null"));
        Assert.Equal("data.dataset=/abs/d.yaml", TrainingRecipe.FromWorkingDirectory("data.dataset=/abs/d.yaml"));
        Assert.Equal("augment.crop=[64, 64]", TrainingRecipe.FromWorkingDirectory("augment.crop=[64, 64]"));
    }
}
