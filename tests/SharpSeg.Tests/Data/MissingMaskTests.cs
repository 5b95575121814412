using SharpSeg.Data.Checks;
using SharpSeg.Data.Dataset;
using SharpSeg.Data.Masks;
using SharpSeg.Evaluation;
using SharpSeg.Imaging;
using SharpSeg.Tests.Training;
using SharpSeg.Training;
using Xunit;

namespace SharpSeg.Tests.Data;

/// <summary>
/// Inspection sets (MVTec AD, DAGM) ship masks for the defective images only: with <c>mask.missing: &lt;class&gt;</c> an
/// image without a mask file is entirely that class, in data check, stats, training and evaluation.
/// </summary>
public sealed class MissingMaskTests
{
    /// <summary>good_0..2 without masks, defect_0..2 with a 0/255 square.</summary>
    static TinyDataset Inspection(string name)
    {
        var d = new TinyDataset(name);
        for (int n = 0; n < 3; n++)
        {
            d.Image($"images/good_{n}.png", 48, 32);
            d.Image($"images/defect_{n}.png", 48, 32);
            var px = new byte[48 * 32];
            for (int y = 8; y < 20; y++) for (int x = 10 + 4 * n; x < 22 + 4 * n; x++) px[y * 48 + x] = 255;
            PngCodec.SaveGray8(d.PathOf($"masks/defect_{n}.png"), 48, 32, px);
        }
        return d;
    }

    [Fact]
    public void ImagesWithoutAMaskFileAreTheMissingClassEverywhere()
    {
        var d = Inspection("missing-masks");
        string yaml = d.PathOf("draft.yaml");
        var init = CliRunner.Run(["data", "init", "--images", d.PathOf("images"), "--masks", d.PathOf("masks"), "--out", yaml]);
        Assert.True(init.ExitCode == 0, init.ToString());
        string draft = File.ReadAllText(yaml);
        Assert.Contains("# missing: class_0   # 3 images have no mask file", draft);

        // As drafted (commented out), the images without masks are problems, and the message says what to set.
        var strict = CliRunner.Run(["data", "check", yaml]);
        Assert.Equal(1, strict.ExitCode);
        Assert.Contains("or set mask.missing: <class> if an image without a mask is all that class", strict.StdOut);

        File.WriteAllText(yaml, draft.Replace("  # missing: class_0", "  missing: class_0"));
        var spec = DatasetSpec.Load(yaml);
        Assert.Equal(0, spec.MissingMaskClass);
        var check = CliRunner.Run(["data", "check", yaml]);
        Assert.True(check.ExitCode == 0, check.ToString());
        Assert.Contains("note: 3 images have no mask file and are read as all 'class_0' (mask.missing).", check.StdOut);
        Assert.Contains("checked 6 pairs", check.StdOut);

        var pairs = spec.ResolvePairs("train");
        var good = pairs.Single(p => p.Id == "good_1");
        Assert.Equal((null, 0), (good.MaskPath, good.FillClass));
        var sample = new SampleDecoder(spec).Decode(good);
        Assert.Equal((48, 32), (sample.Mask.Width, sample.Mask.Height));
        Assert.All(sample.Mask.Labels, v => Assert.Equal(0, v));

        // Stats count the good images' pixels as class_0.
        var stats = DataStats.Compute(spec, "train").Splits.Single();
        Assert.Equal(6L * 48 * 32, stats.TotalPixels);
        Assert.Equal(3L * 12 * 12, stats.Classes[1].Pixels);

        // Training and evaluation take them.
        string run = TestPaths.NewTempDir("missing-run");
        var result = Trainer.Create(TrainingRecipe.Load(null, [.. TrainingFixture.TinyRecipe(yaml, iterations: 2, valEvery: 2), "data.val_split=train", "augment.crop=[32, 32]"]), run).Run();
        var eval = EvaluationRunner.Run(new EvaluationRequest(result.BestCheckpoint, yaml, "train"));
        Assert.Equal(6, eval.Images);
    }

    [Fact]
    public void AnUnknownMissingClassIsOneLineWithTheNearestName()
    {
        var d = Inspection("missing-masks-yaml");
        var e = Assert.Throws<SharpSegException>(() => DatasetSpec.Parse(
            "splits:\n  train: { images: images, masks: masks }\nmask:\n  missing: backgrund\n  ignore_values: []\nclasses:\n  - { name: background, value: 0 }\n  - { name: defect, value: 255 }\n",
            d.PathOf("m.yaml")));
        Assert.Contains("m.yaml:4:", e.Message);
        Assert.Contains("did you mean 'background'", e.Message);
    }
}
