using SharpSeg.Models;
using SharpSeg.Training;
using Xunit;

namespace SharpSeg.Tests.Models;

/// <summary>The CamVid model-comparison recipes: each builds its model and differs from camvid-unet.yaml only in the
/// model section (the fixed budget of the comparison).</summary>
public sealed class CamVidRecipeTests
{
    public static IEnumerable<object[]> Recipes =>
    [
        ["camvid-deeplabv3plus-resnet18.yaml", "deeplabv3plus/resnet18"],
        ["camvid-pspnet-resnet18.yaml", "pspnet/resnet18"],
        ["camvid-hrnet-w18-small.yaml", "hrnet/hrnet_w18_small"],
        ["camvid-segformer-b0.yaml", "segformer/mit_b0"],
        ["camvid-lraspp-mobilenetv3.yaml", "lraspp/mobilenet_v3_large"],
    ];

    [Theory]
    [MemberData(nameof(Recipes))]
    public void RecipeDiffersFromTheUNetRecipeOnlyInItsModel(string file, string model)
    {
        string configs = Path.Combine(TestPaths.RepoRoot, "configs");
        var unet = TrainingRecipe.Load(Path.Combine(configs, "camvid-unet.yaml"));
        var recipe = TrainingRecipe.Load(Path.Combine(configs, file));
        var keys = FlatKeys(new YamlDotNet.Serialization.Deserializer().Deserialize<Dictionary<string, object>>(RecipeDefaults.Yaml), "").ToList();
        Assert.Contains("optimizer.lr", keys);
        foreach (var key in keys.Where(k => !k.StartsWith("model.", StringComparison.Ordinal)))
            Assert.True(Text(unet.Tree.GetRaw(key)) == Text(recipe.Tree.GetRaw(key)), $"{file}: {key} is {Text(recipe.Tree.GetRaw(key))}, camvid-unet.yaml has {Text(unet.Tree.GetRaw(key))}");

        var config = RecipeBinding.Model(recipe) with { NumClasses = 11 };
        Assert.Equal(model, $"{config.Architecture}/{config.Encoder}");
        using var built = ModelZoo.Create(config);
        Assert.Equal(11, built.NumClasses);
    }

    [Fact]
    public void TheTwoStagesOfTheBestRecipeFitTogether()
    {
        // The commands in their headers: stage 1 --out runs/camvid-best-stage1, stage 2 reads its best.ckpt, same model.
        string configs = Path.Combine(TestPaths.RepoRoot, "configs");
        var stage1 = TrainingRecipe.Load(Path.Combine(configs, "camvid-best-stage1.yaml"));
        var stage2 = TrainingRecipe.Load(Path.Combine(configs, "camvid-best.yaml"));
        Assert.Contains("--out runs/camvid-best-stage1", File.ReadAllText(Path.Combine(configs, "camvid-best-stage1.yaml")));
        Assert.Equal(Path.Combine(TestPaths.RepoRoot, "runs", "camvid-best-stage1", "best.ckpt"), RecipeBinding.InitWeights(stage2));
        var m1 = RecipeBinding.Model(stage1);
        var m2 = RecipeBinding.Model(stage2);
        Assert.Equal((m1.Architecture, m1.Encoder), (m2.Architecture, m2.Encoder));
        Assert.Equal("imagenet", RecipeBinding.EncoderWeights(stage1));
        Assert.True(stage2.Tree.GetDouble("eval.scale") > stage1.Tree.GetDouble("eval.scale"), "stage 2 is the higher resolution");
        using var built = ModelZoo.Create(m2 with { NumClasses = 11 });
    }

    [Fact]
    public void TheRealTimeRecipeIsTheMeasuredRun()
    {
        // docs/BENCHMARKS.md measured camvid-unet-resnet18-imagenet.yaml with four --set overrides; the shipped recipe must
        // be exactly that run, so that its numbers hold for it.
        string configs = Path.Combine(TestPaths.RepoRoot, "configs");
        var measured = TrainingRecipe.Load(Path.Combine(configs, "camvid-unet-resnet18-imagenet.yaml"),
            ["model.architecture=fpn", "model.dropout=0", "train.iterations=600", "schedule.warmup_iters=50"]);
        var recipe = TrainingRecipe.Load(Path.Combine(configs, "camvid-fpn-realtime.yaml"));
        var keys = FlatKeys(new YamlDotNet.Serialization.Deserializer().Deserialize<Dictionary<string, object>>(RecipeDefaults.Yaml), "").ToList();
        foreach (var key in keys)
            Assert.True(Text(measured.Tree.GetRaw(key)) == Text(recipe.Tree.GetRaw(key)), $"{key} is {Text(recipe.Tree.GetRaw(key))}, the measured run had {Text(measured.Tree.GetRaw(key))}");
        var config = RecipeBinding.Model(recipe) with { NumClasses = 11 };
        Assert.Equal("fpn/resnet18_imagenet", $"{config.Architecture}/{config.Encoder}");
        using var built = ModelZoo.Create(config);
    }

    private static IEnumerable<string> FlatKeys(Dictionary<string, object> node, string prefix) =>
        node.SelectMany(kv => kv.Value is Dictionary<object, object> child
            ? FlatKeys(child.ToDictionary(c => c.Key.ToString()!, c => c.Value), prefix + kv.Key + ".")
            : [prefix + kv.Key]);

    private static string Text(object? value) =>
        value is System.Collections.IEnumerable list and not string ? "[" + string.Join(", ", list.Cast<object?>().Select(Text)) + "]" : value?.ToString() ?? "null";
}
