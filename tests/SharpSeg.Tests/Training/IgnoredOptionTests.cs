using SharpSeg.Configuration;
using SharpSeg.Losses;
using SharpSeg.Models;
using SharpSeg.Training;
using Xunit;
using static TorchSharp.torch;

namespace SharpSeg.Tests.Training;

/// <summary>Issue 17: every recipe option either changes the run or is refused with one line naming the key.</summary>
public sealed class IgnoredOptionTests
{
    static SharpSegException Refused(params string[] overrides) => Assert.Throws<SharpSegException>(() => TrainingRecipe.Load(null, overrides));

    static void OneLine(SharpSegException e, params string[] mentions)
    {
        Assert.DoesNotContain('\n', e.Message);
        foreach (var m in mentions) Assert.Contains(m, e.Message);
    }

    [Fact]
    public void EffectiveBetaWithoutEffectiveClassWeightsIsRefused()
    {
        OneLine(Refused("loss.effective_beta=0.999"), "loss.effective_beta", "loss.class_weights");
        OneLine(Refused("loss.class_weights=median", "loss.effective_beta=0.999"), "loss.effective_beta");
        TrainingRecipe.Load(null, ["loss.class_weights=effective", "loss.effective_beta=0.999"]);
        TrainingRecipe.Load(null, ["loss.class_weights=median"]);
    }

    [Fact]
    public void ClassWeightMaxBesideAListOfClassWeightsIsRefused()
    {
        OneLine(Refused("loss.class_weights=[1,2,3]", "loss.class_weight_max=10"), "loss.class_weight_max is set beside a list", "--set loss.class_weight_max=null");
        TrainingRecipe.Load(null, ["loss.class_weights=none", "loss.class_weight_max=10"]);   // nothing to cap: a plan's cap with --set loss.class_weights=none
        TrainingRecipe.Load(null, ["loss.class_weights=median", "loss.class_weight_max=10"]);
        TrainingRecipe.Load(null, ["loss.class_weights=inverse", "loss.class_weight_max=10"]);
    }

    [Fact]
    public void DropoutOutsideUNetIsRefused()
    {
        OneLine(Refused("model.architecture=fpn", "model.encoder=resnet18", "model.dropout=0.2"), "model.dropout", "fpn");
        OneLine(Refused("model.architecture=unetplusplus", "model.encoder=resnet18", "model.dropout=0.2"), "model.dropout", "unetplusplus");
        OneLine(Refused("model.architecture=unet", "model.encoder=resnet18", "model.decoder_stride=2"), "model.decoder_stride", "only the fpn decoder");
        Assert.Equal(2, RecipeBinding.Model(TrainingRecipe.Load(null, ["model.architecture=fpn", "model.encoder=resnet18", "model.decoder_stride=2"])).DecoderStride);
        Assert.Equal(0.2, RecipeBinding.Model(TrainingRecipe.Load(null, ["model.dropout=0.2"])).Dropout);
    }

    [Fact]
    public void UpsamplingOutsideUNetIsRefused()
    {
        OneLine(Refused("model.architecture=deeplabv3plus", "model.encoder=resnet18", "model.upsampling=transposed"), "model.upsampling", "deeplabv3plus");
        Assert.Equal("nearest", RecipeBinding.Model(TrainingRecipe.Load(null, ["model.architecture=unet", "model.encoder=resnet18", "model.upsampling=nearest"])).Upsampling);
    }

    [Fact]
    public void BatchNormOutsideUNetIsRefused()
    {
        OneLine(Refused("model.architecture=pspnet", "model.encoder=resnet18", "model.batch_norm=false"), "model.batch_norm", "pspnet", "resnet18");
        // Where BatchNorm is optional, turning it off is honoured: the plain encoder, and the U-Net/UNet++ decoders.
        Assert.False(RecipeBinding.Model(TrainingRecipe.Load(null, ["model.architecture=unetplusplus", "model.encoder=resnet18", "model.batch_norm=false"])).BatchNorm);
        Assert.False(RecipeBinding.Model(TrainingRecipe.Load(null, ["model.batch_norm=false"])).BatchNorm);
    }

    [Fact]
    public void AsppRatesOutsideDeepLabAndDropPathOutsideMiTAreRefused()
    {
        OneLine(Refused("model.architecture=pspnet", "model.encoder=resnet18", "model.aspp_rates=[6, 12, 18]"), "model.aspp_rates", "pspnet");
        OneLine(Refused("model.architecture=unet", "model.encoder=resnet18", "model.drop_path=0.2"), "model.drop_path", "resnet18");
        OneLine(Refused("model.architecture=unet", "model.encoder=resnet18", "model.depth=3"), "model.depth 3", "resnet18", "remove model.depth");
        OneLine(Refused("model.architecture=fpn", "model.encoder=mit_b0", "model.base_width=16"), "model.base_width 16", "mit_b0", "remove model.base_width");
        Assert.Equal(3, RecipeBinding.Model(TrainingRecipe.Load(null, ["model.architecture=fpn", "model.encoder=unet", "model.depth=3"])).Depth);
        OneLine(Refused("model.architecture=lraspp", "model.encoder=mobilenet_v3_large", "model.head_kernel=3"), "model.head_kernel", "lraspp");
        Assert.Equal(new[] { 6, 12, 18 }, RecipeBinding.Model(TrainingRecipe.Load(null, ["model.architecture=deeplabv3plus", "model.encoder=resnet18", "model.aspp_rates=[6, 12, 18]"])).AsppRates);
        Assert.Equal(0.2, RecipeBinding.Model(TrainingRecipe.Load(null, ["model.architecture=segformer", "model.encoder=mit_b0", "model.drop_path=0.2"])).DropPath);
    }

    [Fact]
    public void EveryArchitectureLoadsWithTheDefaults()
    {
        foreach (var architecture in ModelZoo.Architectures.Keys)
        {
            string encoder = ModelZoo.ValidEncoders(architecture).First();
            var config = RecipeBinding.Model(TrainingRecipe.Load(null, [$"model.architecture={architecture}", $"model.encoder={encoder}"]));
            Assert.Equal(architecture, config.Architecture);
        }
    }

    [Fact]
    public void AuxWeightDefaultAgreesAndNeedsAnAuxHead()
    {
        var defaults = TrainingRecipe.Load(null);
        Assert.Equal(ModelConfig.DefaultAuxWeight, defaults.Tree.GetDouble("loss.aux_weight"));
        Assert.Equal(new ModelConfig().AuxWeight, RecipeBinding.Model(defaults).AuxWeight);
        OneLine(Refused("loss.aux_weight=0.5"), "loss.aux_weight", "model.aux_head");
        var withHead = RecipeBinding.Model(TrainingRecipe.Load(null, ["model.architecture=pspnet", "model.encoder=resnet18", "model.aux_head=true", "loss.aux_weight=0.5"]));
        Assert.Equal(0.5, withHead.AuxWeight);
    }

    [Fact]
    public void FocalAlphaIsRefusedWhereItChangesNothing()
    {
        OneLine(Refused("loss.name=focal", "loss.focal_alpha=0.25"), "loss.focal_alpha", "multiclass", "loss.class_weights");
        OneLine(Refused("loss.name=dice", "loss.mode=binary", "loss.focal_alpha=0.25"), "loss.focal_alpha", "focal");
        Assert.Throws<SharpSegException>(() => new FocalLoss(2, 0.25, mode: LossMode.Multiclass));
        var binary = RecipeBinding.Loss(TrainingRecipe.Load(null, ["loss.name=focal", "loss.mode=binary", "loss.focal_alpha=0.25"]), null);
        Assert.Equal(0.25, Assert.IsType<FocalLoss>(binary).Alpha);
    }

    [Fact]
    public void LossOptionsNoTermUsesAreRefused()
    {
        OneLine(Refused("loss.name=ce", "loss.dice_smooth=0.5"), "loss.dice_smooth", "dice");
        OneLine(Refused("loss.name=ce+dice", "loss.ohem_thresh=0.9"), "loss.ohem_thresh", "ohem");
        OneLine(Refused("loss.name=focal", "loss.label_smoothing=0.1"), "loss.label_smoothing", "ce");
        TrainingRecipe.Load(null, ["loss.name=ce+dice", "loss.dice_smooth=0.5", "loss.label_smoothing=0.1"]);
        // Code may share one options record between losses: the factory itself does not refuse.
        LossFactory.Create("ce", new LossOptions { OhemMinKept = 3 });
    }

    [Fact]
    public void OhemCountLargerThanTheCropIsRefused()
    {
        OneLine(Refused("loss.name=ohem", "loss.ohem_min_kept=100000", "augment.crop=[176, 240]"), "loss.ohem_min_kept", "42240");
        OneLine(Refused("loss.name=ce+ohem", "loss.ohem_min_kept=1.5"), "ohem_min_kept");
        var ohem = Assert.IsType<OhemCrossEntropyLoss>(RecipeBinding.Loss(TrainingRecipe.Load(null, ["loss.name=ohem"]), null));
        Assert.Equal(0.1, ohem.MinKept);
    }

    [Fact]
    public void OhemWithTheDefaultDropsEasyPixelsOnARecipeSizedCrop()
    {
        // camvid-pspnet-resnet18.yaml's batch: 8 crops of 176x240, 12 classes. 80 % of the pixels are easy (target
        // probability ~0.99), 20 % are hard (~0.05); the old default, 100000 pixels per image, kept all of them.
        using var scope = NewDisposeScope();
        const int n = 8, c = 12, h = 176, w = 240;
        var gen = new TorchSharp.torch.Generator(7);
        var target = randint(0, c, [n, h, w], generator: gen);
        var hard = rand([n, h, w], generator: gen).lt(0.2);
        var logits = zeros(n, c, h, w);
        logits.scatter_(1, target.unsqueeze(1), where(hard, tensor(-3f), tensor(7f)).unsqueeze(1));
        logits.add_(rand([n, c, h, w], generator: gen) * 0.01f); // distinct probabilities
        long total = n * h * w, hardCount = hard.sum().item<long>();

        long kept = new OhemCrossEntropyLoss().KeptPixels(logits, target).sum().item<long>();
        Assert.Equal(hardCount, kept); // threshold 0.7 keeps exactly the hard pixels, which are more than 10 %
        long keptOld = new OhemCrossEntropyLoss(0.7, 100_000).KeptPixels(logits, target).sum().item<long>();
        Assert.True(keptOld > 0.99 * total, $"100000 per image kept {keptOld} of {total}");

        // All easy: the threshold keeps none, so the share keeps the least confident tenth.
        var easy = zeros(n, c, h, w);
        easy.scatter_(1, target.unsqueeze(1), full([n, 1, h, w], 7f));
        easy.add_(rand([n, c, h, w], generator: gen) * 0.01f); // distinct probabilities
        long keptEasy = new OhemCrossEntropyLoss().KeptPixels(easy, target).sum().item<long>();
        Assert.InRange(keptEasy, (long)(0.09 * total), (long)(0.11 * total));
        double ce = new CrossEntropyLoss().Compute(easy, target).item<float>();
        Assert.True(new OhemCrossEntropyLoss().Compute(easy, target).item<float>() > ce, "OHEM averages over the least confident tenth only");
    }

    [Fact]
    public void StoredRecipesFromEarlierVersionsStillParse()
    {
        // A run's stored recipe holds every key resolved against the defaults of its day (ohem_min_kept was 100000):
        // resuming it must not trip the checks for options the user set.
        const string stored = "loss:\n  name: ce\n  ohem_min_kept: 100000\nmodel:\n  architecture: fpn\n  encoder: resnet18\n  dropout: 0.1\n";
        var recipe = TrainingRecipe.Parse(stored, "last.ckpt (recipe)", null);
        Assert.IsType<CrossEntropyLoss>(RecipeBinding.Loss(recipe, null));
        Assert.Throws<SharpSegException>(() => RecipeBinding.RefuseIgnoredOptions(recipe));
    }

    [Fact]
    public void ResumeRefusesModelOverrides()
    {
        string run = TestPaths.NewTempDir("resume-model-override");
        Trainer.Create(TrainingRecipe.Load(null, TrainingFixture.TinyRecipe(TrainingFixture.DatasetYaml, iterations: 2, valEvery: 2)), run).Run();
        OneLine(Assert.Throws<SharpSegException>(() => Trainer.Resume(run, ["model.dropout=0.3"])), "--set model.dropout", "last.ckpt", "new run");
        OneLine(Assert.Throws<SharpSegException>(() => Trainer.Resume(run, ["loss.aux_weight=0.5"])), "loss.aux_weight");
        Assert.NotNull(Trainer.Resume(run, ["train.iterations=3"]));
        var cli = CliRunner.Run("train", "--resume", run, "--set", "model.base_width=16");
        Assert.Equal(1, cli.ExitCode);
        Assert.Single(cli.StdErr.Trim().Split('\n'));
        Assert.Contains("model.base_width", cli.StdErr);
    }

    /// <summary>A finished run is not "resumed" into a fake success that appends to its log; a missing run folder is
    /// named as missing; the budget can be raised to train on.</summary>
    [Fact]
    public void ResumingAFinishedOrMissingRunSaysSo()
    {
        string run = TestPaths.NewTempDir("resume-finished");
        Trainer.Create(TrainingRecipe.Load(null, TrainingFixture.TinyRecipe(TrainingFixture.DatasetYaml, iterations: 2, valEvery: 2)), run).Run();
        string log = File.ReadAllText(Path.Combine(run, "metrics.jsonl"));
        OneLine(Assert.Throws<SharpSegException>(() => Trainer.Resume(run).Run()), "the run already finished (2 of 2 iterations)", "--set train.iterations=4");
        Assert.Equal(log, File.ReadAllText(Path.Combine(run, "metrics.jsonl")));
        Assert.Equal(3, Trainer.Resume(run, ["train.iterations=3"]).Run().Iterations);
        string missing = Path.Combine(run, "nope");
        OneLine(Assert.Throws<SharpSegException>(() => Trainer.Resume(missing)), $"{missing}: no such run folder or checkpoint");
    }

    /// <summary>A value of the wrong type from --set is blamed on that --set, not the recipe file, and is told before the
    /// run folder is made.</summary>
    [Fact]
    public void AWrongValueFromSetIsNamedAndLeavesNoRunFolder()
    {
        string recipe = Path.Combine(TestPaths.RepoRoot, "configs", "camvid-unet.yaml");
        string run = Path.Combine(TestPaths.NewTempDir("bad-set"), "run");
        var e = Assert.Throws<SharpSegException>(() => Trainer.Create(TrainingRecipe.Load(recipe, ["train.iterations=abc"]), run));
        OneLine(e, "--set train.iterations=abc: 'train.iterations' must be a whole number, got 'abc'.");
        Assert.False(Directory.Exists(run));
        OneLine(Assert.Throws<SharpSegException>(() => Trainer.Create(TrainingRecipe.Load(recipe, ["optimizer.lr=fast"]), run)), "--set optimizer.lr=fast: 'optimizer.lr' must be a number");
        OneLine(Assert.Throws<SharpSegException>(() => Trainer.Create(TrainingRecipe.Load(recipe, ["train.batch_size=2.5"]), run)), "--set train.batch_size=2.5");
        // From the file, the file is named.
        string bad = Path.Combine(TestPaths.NewTempDir("bad-file"), "r.yaml");
        File.WriteAllText(bad, "train:\n  iterations: lots\n");
        OneLine(Assert.Throws<SharpSegException>(() => Trainer.Create(TrainingRecipe.Load(bad, ["data.dataset=d.yaml"]), run)), $"{bad}: 'train.iterations' must be a whole number");
        Assert.False(Directory.Exists(run));
    }
}
