using SharpSeg.Data.Synthetic;
using SharpSeg.Tests.Data;
using SharpSeg.Training;
using Xunit;

namespace SharpSeg.Tests.Training;

/// <summary><c>sharpseg train --data DATASET</c>: a recipe planned from what the dataset is (<see cref="RecipePlanner"/>).</summary>
public sealed class RecipePlannerTests
{
    static DatasetFingerprint Print(int width, int height, int images, string? val = "val", int channels = 3, double[]? shares = null) =>
        new("train", images, width, height, channels, ["background", "road", "pole", "sign"], shares ?? [0.6, 0.385, 0.005, 0.01], val);

    /// <summary>The planned recipe, resolved against the defaults as training reads it.</summary>
    static TrainingRecipe Resolved(PlannedRecipe plan, params string[] overrides) => TrainingRecipe.FromText(plan.Yaml, "planned", overrides);

    [Fact]
    public void ImagesOfCamVidsSizeTrainAtFullResolutionInWideCropsForAboutFortyEpochs()
    {
        var plan = RecipePlanner.Plan("/data/d.yaml", Print(480, 360, 367), bf16SpeedUp: null);
        var t = Resolved(plan).Tree;
        Assert.Equal([256, 320], t.GetDoubleList("augment.crop")!);
        Assert.Equal([0.75, 1.25], t.GetDoubleList("augment.scale")!);
        Assert.Equal(1.0, t.GetDouble("eval.scale"));
        Assert.Equal((1850L, 8), (t.GetLong("train.iterations"), t.GetInt("train.batch_size")));
        Assert.Equal(300, t.GetInt("train.val_every"));
        Assert.Equal(("unet", "resnet18_imagenet", "imagenet"), (t.GetString("model.architecture"), t.GetString("model.encoder"), t.GetString("model.encoder_weights")));
        // Four classes, as CamVid's recipe on this encoder: CE with median-frequency weights, the encoder at a tenth of the rate.
        Assert.Equal(("ce", "median", 10.0, "fp32"), (t.GetString("loss.name"), t.GetString("loss.class_weights"), t.GetDouble("loss.class_weight_max"), t.GetString("train.precision")));
        Assert.Equal((0.002, 0.1), (t.GetDouble("optimizer.lr"), t.GetDouble("optimizer.encoder_lr_mult")));
        Assert.Equal(("train", "val"), (t.GetString("data.train_split"), t.GetString("data.val_split")));
        Assert.Contains(plan.Reasons, r => r.Contains("loss CE with median-frequency class weights, at most 10 (a class weighted far above the others is painted where it is not): 4 classes, 1 of them under 1 % of the pixels (pole)", StringComparison.Ordinal));
        Assert.Contains(plan.Reasons, r => r.Contains("1850 iterations: 40.3 epochs of 367 training images", StringComparison.Ordinal));
        // Each reason is in the YAML as a comment, so a saved plan says why.
        Assert.All(plan.Reasons, r => Assert.Contains("#   " + r, plan.Yaml));
    }

    [Fact]
    public void LargeImagesAreScaledToALongSideOf1024AndSmallOnesAreCroppedWhole()
    {
        var large = Resolved(RecipePlanner.Plan("/d.yaml", Print(4000, 3000, 50), bf16SpeedUp: null)).Tree;
        Assert.Equal(0.256, large.GetDouble("eval.scale"));
        Assert.Equal([0.192, 0.32], large.GetDoubleList("augment.scale")!);
        Assert.Equal([256, 320], large.GetDoubleList("augment.crop")!);   // 1024 × 768 at that scale: wide
        Assert.Equal(300L, large.GetLong("train.iterations"));             // 40 epochs of 50 would be 250: the floor

        var small = RecipePlanner.Plan("/d.yaml", Print(100, 60, 5000), bf16SpeedUp: null);
        var t = Resolved(small).Tree;
        Assert.Equal([64, 128], t.GetDoubleList("augment.crop")!);          // the whole image, rounded up to 32 (padded with ignore)
        Assert.Equal(2000L, t.GetLong("train.iterations"));                 // 40 epochs would be 25,000: the ceiling
        Assert.Contains(small.Reasons, r => r.Contains("crops of 64 × 128: the whole image", StringComparison.Ordinal));

        var big = Resolved(RecipePlanner.Plan("/d.yaml", Print(1024, 1024, 100), bf16SpeedUp: null)).Tree;   // 1024: still full resolution
        Assert.Equal((1.0, 8), (big.GetDouble("eval.scale"), big.GetInt("train.batch_size")));
        var whole = Resolved(RecipePlanner.Plan("/d.yaml", Print(300, 300, 100), bf16SpeedUp: null)).Tree;    // a whole 320 × 320: batches of 4
        Assert.Equal([320, 320], whole.GetDoubleList("augment.crop")!);
        Assert.Equal(4, whole.GetInt("train.batch_size"));
    }

    [Fact]
    public void GrayImagesNoValidationSplitAbsentClassesAndBf16AreSaid()
    {
        var plan = RecipePlanner.Plan("/d.yaml", Print(512, 512, 20, val: null, channels: 1, shares: [0.7, 0.3, 0, 0]), bf16SpeedUp: 1.7);
        var t = Resolved(plan).Tree;
        Assert.Null(t.GetString("data.val_split"));
        Assert.Equal(0.0, t.GetDouble("augment.saturation"));
        Assert.Equal("bf16", t.GetString("train.precision"));
        // Two classes present, as ISBI's recipe: CE + Dice, no weights, one learning rate.
        Assert.Equal(("ce+dice", "none", 0.001, 1.0), (t.GetString("loss.name"), t.GetString("loss.class_weights"), t.GetDouble("optimizer.lr"), t.GetDouble("optimizer.encoder_lr_mult")));
        Assert.Contains(plan.Reasons, r => r.StartsWith("no validation split: best.ckpt is the last", StringComparison.Ordinal));
        Assert.Contains(plan.Reasons, r => r.StartsWith("pole, sign: never in 'train'", StringComparison.Ordinal));
        Assert.Contains(plan.Reasons, r => r.StartsWith("precision bf16", StringComparison.Ordinal));
        // What is given with --set wins over the plan, another loss too (the plan leaves loss.weights unset).
        Assert.Equal(77L, Resolved(plan, "train.iterations=77").Tree.GetLong("train.iterations"));
        Assert.Equal("ce", Resolved(plan, "loss.name=ce").Tree.GetString("loss.name"));

        // bf16 instructions that do not pay (an Intel Xeon without AMX: 0.8× fp32's speed): fp32, and why.
        var slow = RecipePlanner.Plan("/d.yaml", Print(512, 512, 20), bf16SpeedUp: 0.8);
        Assert.Equal("fp32", Resolved(slow).Tree.GetString("train.precision"));
        Assert.Contains(slow.Reasons, r => r.StartsWith("precision fp32: this CPU has bfloat16 instructions, but bf16 convolutions ran at 0.80× fp32's speed", StringComparison.Ordinal));
        Assert.DoesNotContain(RecipePlanner.Plan("/d.yaml", Print(512, 512, 20), bf16SpeedUp: null).Reasons, r => r.StartsWith("precision", StringComparison.Ordinal));

        // Fewer images than a batch: the batch the trainer will take, and the epochs it will run.
        var three = RecipePlanner.Plan("/d.yaml", Print(512, 512, 3), bf16SpeedUp: null);
        Assert.Equal(3, Resolved(three).Tree.GetInt("train.batch_size"));
        Assert.Contains(three.Reasons, r => r.StartsWith("300 iterations: 300 epochs of 3 training images", StringComparison.Ordinal));
    }

    [Fact]
    public void ADatasetsSizesSharesAndSplitsAreRead()
    {
        var d = new TinyDataset("plan-read");
        foreach (var (id, w) in new[] { ("a", 40), ("b", 60), ("c", 60) })
        {
            d.Image($"train/images/{id}.png", w, 30);
            d.GrayMask($"train/masks/{id}.png", w, 30, 0, 0, 0, 1);
        }
        d.Image("valid/images/v.png", 40, 30);
        d.GrayMask("valid/masks/v.png", 40, 30, 0, 1);
        string yaml = d.Yaml("""
            name: plan
            splits:
              train: { images: train/images, masks: train/masks }
              valid: { images: valid/images, masks: valid/masks }
            classes:
              - { name: background }
              - { name: crack }
              - { name: stain }
            """);
        var plan = RecipePlanner.Plan(yaml, probeBf16: false);
        var f = plan.Fingerprint;
        Assert.Equal(("train", 3, 60, 30, 3, "valid"), (f.TrainSplit, f.TrainImages, f.Width, f.Height, f.Channels, f.ValSplit));   // median sizes
        Assert.Equal(["background", "crack", "stain"], f.ClassNames);
        Assert.Equal([0.75, 0.25, 0.0], plan.Fingerprint.ClassShares);
        Assert.Equal([32, 64], Resolved(plan).Tree.GetDoubleList("augment.crop")!);
        Assert.Null(RecipePlanner.Plan(yaml, valSplit: "", probeBf16: false).Fingerprint.ValSplit);
        Assert.Contains("no split 'training' (splits: train, valid)", Assert.Throws<SharpSegException>(() => RecipePlanner.Plan(yaml, trainSplit: "training", probeBf16: false)).Message);
        Assert.Contains("no split 'dev' to validate on", Assert.Throws<SharpSegException>(() => RecipePlanner.Plan(yaml, valSplit: "dev", probeBf16: false)).Message);

        // A 'train' without masks is not trained on: the first labelled split is (here 'valid', with no val left).
        string unlabelledTrain = d.Yaml(File.ReadAllText(yaml).Replace("train: { images: train/images, masks: train/masks }", "train: { images: train/images }"), "unlabelled-train.yaml");
        var other = RecipePlanner.Plan(unlabelledTrain, probeBf16: false).Fingerprint;
        Assert.Equal(("valid", null), (other.TrainSplit, other.ValSplit));
        Assert.Contains("split 'train' has no masks", Assert.Throws<SharpSegException>(() => RecipePlanner.Plan(unlabelledTrain, trainSplit: "train", probeBf16: false)).Message);
    }

    [Fact]
    public void TheCommandPrintsThePlanAndTrainsFromIt()
    {
        string yaml = TrainingFixture.DatasetYaml;   // 48 train / 12 val images of 64 × 64
        var r = CliRunner.Run("train", "--data", yaml, "--print-plan");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.StartsWith("# Planned by 'sharpseg train --data'", r.StdOut);
        Assert.Contains("crops of 64 × 64: the whole image", r.StdOut);
        // The printed plan is a recipe file: saved, it trains as it is; what --set changed is in it.
        string saved = Path.Combine(TestPaths.NewTempDir("plan-saved"), "recipe.yaml");
        File.WriteAllText(saved, r.StdOut);
        Assert.Equal(300L, TrainingRecipe.Load(saved).Iterations);
        r = CliRunner.Run("train", "--data", yaml, "--print-plan", "--set", "train.iterations=77");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("# changed with --set: train.iterations=77", r.StdOut);
        File.WriteAllText(saved, r.StdOut);
        Assert.Equal(77L, TrainingRecipe.Load(saved).Iterations);

        string run = Path.Combine(TestPaths.NewTempDir("plan-train"), "run");
        r = CliRunner.Run("train", "--data", yaml, "--out", run, "--set", "train.iterations=2", "--set", "train.val_every=2", "--set", "train.precision=fp32");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("Planned for this dataset", r.StdOut);
        Assert.Contains("a U-Net on the ImageNet ResNet-18", r.StdOut);
        Assert.True(File.Exists(Path.Combine(run, "best.ckpt")));
        string resolved = File.ReadAllText(Path.Combine(run, "recipe.yaml"));
        Assert.Contains("class_weights: median", resolved);   // six classes
        Assert.Contains("iterations: 2", resolved);

        CliRunner.Run("train", "--print-plan").AssertOneLineError("--print-plan prints the recipe --data plans");
        CliRunner.Run("train", "--data", Path.Combine(run, "nothing.yaml")).AssertOneLineError("no such file; give the dataset.yaml");
        CliRunner.Run("train").AssertOneLineError("sharpseg train --data my/dataset.yaml plans a recipe");
        CliRunner.Run("train", "--resume", run, "--print-plan").AssertOneLineError("do not also give --print-plan");
    }

    [Fact]
    public void PlanningChoicesReadSetValuesAsTheRecipeReadsThem()
    {
        var none = TrainingRecipe.PlanningChoices(["train.iterations=5"]);
        Assert.True(none is (null, null, null), none.ToString());
        foreach (var empty in new[] { "data.val_split=null", "data.val_split=~", "data.val_split=" })
            Assert.Equal("", TrainingRecipe.PlanningChoices([empty]).ValSplit);   // train without validation
        Assert.Equal("null", TrainingRecipe.PlanningChoices(["data.val_split='null'"]).ValSplit);   // a split named null
        Assert.Equal("dev", TrainingRecipe.PlanningChoices(["data.val_split=val", "data.val_split=\"dev\""]).ValSplit);   // the last wins
        Assert.Equal("train2", TrainingRecipe.PlanningChoices([" data.train_split = train2 "]).TrainSplit);
        Assert.Equal(Path.GetFullPath("/some path/x"), TrainingRecipe.PlanningChoices(["data.data_root='/some path/x'"]).DataRoot);
        Assert.Equal(Path.GetFullPath("relative root"), TrainingRecipe.PlanningChoices(["data.data_root=relative root"]).DataRoot);
        Assert.Null(TrainingRecipe.PlanningChoices(["data.data_root=/a", "data.data_root=null"]).DataRoot);
        var list = Assert.Throws<SharpSegException>(() => TrainingRecipe.PlanningChoices(["data.val_split=[a, b]"]));
        Assert.Equal("--set data.val_split=[a, b]: 'data.val_split' must be a single value.", list.Message);
    }

    [Fact]
    public void PrintPlanHonoursAValSplitOfNullAndAQuotedDataRoot()
    {
        // The dataset in a folder with a space in its name; its yaml copied elsewhere, where its root (the yaml's folder)
        // holds no images, so only the data_root given with --set can plan it.
        string dir = TestPaths.NewTempDir("plan-data-root");
        string data = Path.Combine(dir, "some path");
        string yaml = SyntheticSceneGenerator.WriteDataset(new SyntheticSceneOptions { Train = 4, Val = 2, Width = 32, Height = 32, Seed = 1 }, data);
        string moved = Path.Combine(dir, "elsewhere", "dataset.yaml");
        Directory.CreateDirectory(Path.GetDirectoryName(moved)!);
        File.Copy(yaml, moved);
        Assert.NotEqual(0, CliRunner.Run("train", "--data", moved, "--print-plan").ExitCode);

        var r = CliRunner.Run("train", "--data", moved, "--print-plan", "--set", $"data.data_root='{data}'", "--set", "data.val_split=null");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("#   no validation split: best.ckpt is the last", r.StdOut);   // planned without one, not only printed so
        var t = SharpSeg.Configuration.ConfigTree.Parse(r.StdOut, "plan");
        Assert.Equal(data, t.GetString("data.data_root"));
        Assert.Null(t.GetString("data.val_split"));
        Assert.Equal("train", t.GetString("data.train_split"));
    }
}
