using System.Text.Json;
using SharpSeg.Data;
using SharpSeg.Losses;
using SharpSeg.Tests.Data;
using SharpSeg.Training;
using Xunit;
using SharpSeg.Data.Dataset;
using SharpSeg.Data.Checks;

namespace SharpSeg.Tests.Losses;

/// <summary>The recipe's loss.* keys, and class weights computed from the data.</summary>
public sealed class LossRecipeTests
{
    [Fact]
    public void DefaultRecipeGivesCrossEntropy()
    {
        var r = TrainingRecipe.Load(null);
        Assert.IsType<CrossEntropyLoss>(RecipeBinding.Loss(r, null));
    }

    [Fact]
    public void PlusJoinedNameWithWeightsGivesACombinedLoss()
    {
        var r = TrainingRecipe.Load(null, ["loss.name=ce+dice", "loss.weights=[1.0, 0.5]", "loss.dice_smooth=0.5", "loss.label_smoothing=0.1"]);
        var combined = Assert.IsType<CombinedLoss>(RecipeBinding.Loss(r, [1f, 2f]));
        Assert.Equal(new[] { 1.0, 0.5 }, combined.Terms.Select(t => t.Weight));
        var ce = Assert.IsType<CrossEntropyLoss>(combined.Terms[0].Loss);
        Assert.Equal(0.1, ce.LabelSmoothing);
        Assert.Equal(new[] { 1f, 2f }, ce.ClassWeights);
        var dice = Assert.IsType<DiceLoss>(combined.Terms[1].Loss);
        Assert.Equal(0.5, dice.Smooth);
    }

    [Fact]
    public void TermsListIsTheSameAsNameAndWeights()
    {
        string dir = TestPaths.NewTempDir("loss-terms");
        string path = Path.Combine(dir, "recipe.yaml");
        File.WriteAllText(path, "loss:\n  terms: [{ce: 1.0}, {dice: 0.5}]\n");
        var r = TrainingRecipe.Load(path);
        var combined = Assert.IsType<CombinedLoss>(RecipeBinding.Loss(r, null));
        Assert.Equal(new[] { 1.0, 0.5 }, combined.Terms.Select(t => t.Weight));
        Assert.IsType<DiceLoss>(combined.Terms[1].Loss);
        // The resolved recipe (printed and saved in the run folder) reads back the same.
        var again = TrainingRecipe.Parse(r.ToYaml(), "saved", dir);
        Assert.Equal(2, Assert.IsType<CombinedLoss>(RecipeBinding.Loss(again, null)).Terms.Count);
        var viaSet = TrainingRecipe.Load(null, ["loss.terms=[{focal: 2}]"]);
        var single = Assert.IsType<CombinedLoss>(RecipeBinding.Loss(viaSet, null));
        Assert.Equal(2.0, single.Terms[0].Weight);
        Assert.Throws<SharpSegException>(() => TrainingRecipe.Load(null, ["loss.terms=[{ce: 1.0}]", "loss.weights=[1.0]"]));
        var e = Assert.Throws<SharpSegException>(() => TrainingRecipe.Load(null, ["loss.terms=[ce, dice]"]));
        Assert.Contains("{ce: 1.0}", e.Message);
    }

    [Fact]
    public void PerLossOptionsReachTheirLosses()
    {
        var r = TrainingRecipe.Load(null, ["loss.name=focal+focal_tversky+ohem+boundary+lovasz", "loss.mode=multiclass",
            "loss.focal_gamma=1.5", "loss.tversky_alpha=0.4", "loss.tversky_beta=0.6", "loss.tversky_gamma=0.5",
            "loss.ohem_thresh=0.8", "loss.ohem_min_kept=1000", "loss.boundary_weight=5", "loss.boundary_width=2", "loss.lovasz_per_image=true"]);
        var terms = Assert.IsType<CombinedLoss>(RecipeBinding.Loss(r, null)).Terms.Select(t => t.Loss).ToArray();
        Assert.Equal(1.5, Assert.IsType<FocalLoss>(terms[0]).Gamma);
        var ft = Assert.IsType<TverskyLoss>(terms[1]);
        Assert.Equal((0.4, 0.6, 0.5), (ft.Alpha, ft.Beta, ft.Gamma));
        var ohem = Assert.IsType<OhemCrossEntropyLoss>(terms[2]);
        Assert.Equal((0.8, 1000.0), (ohem.Threshold, ohem.MinKept));
        var b = Assert.IsType<BoundaryCrossEntropyLoss>(terms[3]);
        Assert.Equal((5.0, 2), (b.BoundaryWeight, b.Width));
        Assert.True(Assert.IsType<LovaszSoftmaxLoss>(terms[4]).PerImage);
        var binary = TrainingRecipe.Load(null, ["loss.name=focal", "loss.mode=binary", "loss.focal_alpha=0.25"]);
        var focal = Assert.IsType<FocalLoss>(RecipeBinding.Loss(binary, null));
        Assert.Equal((LossMode.Binary, (double?)0.25), (focal.Mode, focal.Alpha));
    }

    [Fact]
    public void BadLossNamesAndOptionsFailWhenTheRecipeIsLoaded()
    {
        var e = Assert.Throws<SharpSegException>(() => TrainingRecipe.Load(null, ["loss.name=ce+lovaz"]));
        Assert.Contains("did you mean 'lovasz'", e.Message);
        Assert.StartsWith("recipe defaults: ", e.Message);
        e = Assert.Throws<SharpSegException>(() => TrainingRecipe.Load(null, ["loss.name=ce+dice", "loss.weights=[1, 2, 3]"]));
        Assert.Contains("one weight per term", e.Message);
        e = Assert.Throws<SharpSegException>(() => TrainingRecipe.Load(null, ["loss.name=focal", "loss.focal_gamma=-1"]));
        Assert.Contains("focal_gamma", e.Message);
        e = Assert.Throws<SharpSegException>(() => TrainingRecipe.Load(null, ["loss.mode=sigmod"]));
        Assert.Contains("did you mean 'sigmoid'", e.Message);
    }

    [Fact]
    public void EffectiveNumberWeightsFollowCuiEtAl()
    {
        // β = 0.5: n = 1 → (1 − β)/(1 − β) = 1; n = 2 → 0.5 / 0.75 = 2/3; an absent class gets 0.
        // Mean over present classes 5/6 → weights 1.2 and 0.8.
        var w = ClassWeights.EffectiveNumber([1, 2, 0], 0.5);
        Assert.Equal(1.2, w[0], 12);
        Assert.Equal(0.8, w[1], 12);
        Assert.Equal(0.0, w[2]);
        // β = 0: every present class weighs 1. β → 1: inverse frequency (n = 10, 1000 → 1/10 : 1/1000 → 1.98, 0.0198).
        Assert.Equal(new[] { 1.0, 1.0 }, ClassWeights.EffectiveNumber([10, 1000], 0));
        var nearInverse = ClassWeights.EffectiveNumber([10, 1000], 1 - 1e-9);
        Assert.Equal(100, nearInverse[0] / nearInverse[1], 3);
        Assert.Throws<SharpSegException>(() => ClassWeights.EffectiveNumber([1], 1.0));
    }

    [Fact]
    public void EffectiveClassWeightsAreComputedFromTheTrainingSplitAndStoredInTheRunFolder()
    {
        // Two 6×4 masks repeating 0 0 0 0 1 1 2 255: per split 24 pixels of class 0, 12 of class 1, 6 of class 2.
        var d = new TinyDataset("loss-effective");
        foreach (var id in new[] { "a", "b" })
        {
            d.Image($"train/images/{id}.png");
            d.GrayMask($"train/masks/{id}.png", 6, 4, 0, 0, 0, 0, 1, 1, 2, 255);
        }
        string yaml = d.Yaml(TinyDataset.CleanYaml);
        var spec = DatasetSpec.Load(yaml, null);
        var r = TrainingRecipe.Load(null, ["loss.class_weights=effective", "loss.effective_beta=0.9"]);
        string run = TestPaths.NewTempDir("loss-effective-run");
        float[] w = RecipeBinding.ClassWeights(r, spec, "train", run)!;
        double[] raw = new[] { 24, 12, 6 }.Select(n => 0.1 / (1 - Math.Pow(0.9, n))).ToArray();
        for (int c = 0; c < 3; c++) Assert.Equal(raw[c] / raw.Average(), w[c], 5);
        Assert.True(w[2] > w[1] && w[1] > w[0]);
        Assert.Equal(w, JsonSerializer.Deserialize<float[]>(File.ReadAllText(Path.Combine(run, "class_weights.json"))));
        var e = Assert.Throws<SharpSegException>(() => RecipeBinding.ClassWeights(TrainingRecipe.Load(null, ["loss.class_weights=efective"]), spec, "train", run));
        Assert.Contains("did you mean 'effective'", e.Message);

        // loss.class_weight_max lowers the weights above it and leaves the others: inverse frequency 24:12:6 is 1:2:4,
        // scaled to average 1 (3/7, 6/7, 12/7); a cap of 1.5 lowers class 2's only.
        string capped = TestPaths.NewTempDir("loss-capped-run");
        float[] inv = RecipeBinding.ClassWeights(TrainingRecipe.Load(null, ["loss.class_weights=inverse", "loss.class_weight_max=1.5"]), spec, "train", capped)!;
        Assert.Equal(new[] { 3 / 7.0, 6 / 7.0, 1.5 }, inv.Select(v => (double)v).ToArray(), (a, b) => Math.Abs(a - b) < 1e-6);
        // A bad cap fails when the recipe loads, before any data statistics.
        foreach (var value in new[] { "0", "-3", "1e999" })
        {
            var bad = Assert.Throws<SharpSegException>(() => TrainingRecipe.Load(null, ["loss.class_weights=inverse", $"loss.class_weight_max={value}"]));
            Assert.Contains("loss.class_weight_max must be a positive number", bad.Message);
        }
    }
}
