using SharpSeg.Checkpoints;
using SharpSeg.Training;
using Xunit;

namespace SharpSeg.Tests.Training;

/// <summary>The shipped ISBI 2012 membrane recipes train on the real slices (two tiny iterations each), choose on the
/// val slices and never read the held-out test slices, and record what the test evaluation needs.</summary>
public sealed class IsbiRecipeTests
{
    [SharedDatasetFact("isbi2012-membrane/train")]
    public void TheShippedIsbiRecipesTrainOnTheRealSlicesAndKeepTheTestSlicesOut()
    {
        string configs = Path.Combine(TestPaths.RepoRoot, "configs");
        string root = Path.Combine(TestPaths.SharedDatasets!, "isbi2012-membrane");
        foreach (var (file, encoder, mean) in new[] { ("isbi-unet.yaml", "unet", "dataset"), ("isbi-best.yaml", "resnet18_imagenet", "imagenet"), ("isbi-maskformer-resnet18.yaml", "resnet18_imagenet", "imagenet") })
        {
            var recipe = TrainingRecipe.Load(Path.Combine(configs, file),
                [$"data.data_root={root}", "train.iterations=2", "train.val_every=2", "train.batch_size=2", "train.workers=0", "augment.crop=[64, 64]"]);
            Assert.Equal(("train", "val"), (recipe.Tree.GetString("data.train_split"), recipe.Tree.GetString("data.val_split")));
            Assert.Equal(encoder, RecipeBinding.Model(recipe).Encoder);
            Assert.Equal(mean, recipe.Tree.GetString("normalize"));

            string run = TestPaths.NewTempDir("isbi-" + Path.GetFileNameWithoutExtension(file));
            var result = Trainer.Create(recipe, run).Run();
            Assert.Equal(2, result.Iterations);
            Assert.NotNull(result.LastValidation);
            Assert.Equal(5L * 512 * 512, result.LastValidation!.Pixels); // the 5 val slices 20-24, whole, every pixel labelled
            var info = Checkpoint.ReadInfo(result.BestCheckpoint);
            Assert.Equal(["membrane", "cell"], info.Classes.Names);
            Assert.Equal([0, 255], info.Classes.Classes.Select(c => c.Value ?? -1)); // the 0/255 encoding survives into predictions
        }
    }

    [Fact]
    public void TheMask2FormerIsbiRecipeDiffersFromIsbiBestOnlyInModelOptimiserAndLoss()
    {
        // The comparison in docs/BENCHMARKS.md is at isbi-best's data, augmentation, schedule and budget.
        string configs = Path.Combine(TestPaths.RepoRoot, "configs");
        var best = TrainingRecipe.Load(Path.Combine(configs, "isbi-best.yaml"));
        var m2f = TrainingRecipe.Load(Path.Combine(configs, "isbi-maskformer-resnet18.yaml"));
        var differ = RecipeKeys.Differences(best, m2f).Where(d => !d.StartsWith("model.") && !d.StartsWith("optimizer.") && !d.StartsWith("loss.")).ToList();
        Assert.True(differ.Count == 0, string.Join("; ", differ));
        Assert.Contains(RecipeKeys.All(), k => k == "train.iterations");
        Assert.Equal("mask2former", RecipeBinding.Model(m2f).Architecture);
    }
}
