using SharpSeg.Models;
using SharpSeg.Training;
using SharpSeg.Tests.Training;
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
        Assert.Contains("optimizer.lr", RecipeKeys.All());
        var differ = RecipeKeys.Differences(unet, recipe).Where(d => !d.StartsWith("model.", StringComparison.Ordinal)).ToList();
        Assert.True(differ.Count == 0, $"{file} differs from camvid-unet.yaml in {string.Join("; ", differ)}");

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
        // docs/BENCHMARKS.md measured camvid-unet-resnet18-imagenet.yaml with seven --set overrides; the shipped recipe must
        // be exactly that run, so that its numbers hold for it.
        string configs = Path.Combine(TestPaths.RepoRoot, "configs");
        var measured = TrainingRecipe.Load(Path.Combine(configs, "camvid-unet-resnet18-imagenet.yaml"),
            ["model.architecture=fpn", "model.dropout=0", "train.iterations=1200", "schedule.warmup_iters=50",
             "model.decoder_channels=[128, 64]", "loss.class_weights=none", "model.encoder_depth=4"]);
        var recipe = TrainingRecipe.Load(Path.Combine(configs, "camvid-fpn-realtime.yaml"));
        var differ = RecipeKeys.Differences(measured, recipe).ToList();
        Assert.True(differ.Count == 0, $"the measured run / camvid-fpn-realtime.yaml differ in {string.Join("; ", differ)}");
        var config = RecipeBinding.Model(recipe) with { NumClasses = 11 };
        Assert.Equal("fpn/resnet18_imagenet", $"{config.Architecture}/{config.Encoder}");
        Assert.Equal(4, config.EncoderDepth);
        using var built = ModelZoo.Create(config);
    }
}
