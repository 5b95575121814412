using SharpSeg.Imaging;
using SharpSeg.Inference;
using SharpSeg.Tests.Training;
using SharpSeg.Training;
using Xunit;

namespace SharpSeg.Tests.Inference;

public sealed class TiledInferenceCliTests
{
    [Fact]
    public void FlagsParseIntoInferenceOptions()
    {
        var o = InferenceOptions.FromFlags(512, 0.25, "linear", true, "0.75, 1,1.25");
        Assert.Equal(512, o.TileSize);
        Assert.Equal(128, o.OverlapPixels(512));
        Assert.Equal(BlendWindow.Linear, o.Blend);
        Assert.True(o.Tta!.HorizontalFlip);
        Assert.Equal(new[] { 0.75, 1, 1.25 }, o.Tta.Scales);
        Assert.Equal(6, o.Tta.Runs);
        Assert.Equal(64, InferenceOptions.FromFlags(256, 64, null, false, null).OverlapPixels(256));
        Assert.Null(InferenceOptions.FromFlags(null, 0.25, null, false, "1").Tta);
    }

    [Theory]
    [InlineData("--tile", "5", "--tile 5")]
    [InlineData("--overlap", "1.5", "--overlap 1.5")]
    [InlineData("--overlap", "-0.1", "--overlap -0.1")]
    [InlineData("--blend", "cosine", "--blend 'cosine'")]
    [InlineData("--tta-scales", "1,abc", "'abc' is not a number")]
    [InlineData("--tta-scales", "0,1", "scale 0 must be")]
    public void BadValuesAreOneLineErrors(string flag, string value, string expected)
    {
        // eval shares the flags' class; one value through it is enough to show it parses them before anything else.
        foreach (var command in flag == "--tile" ? new[] { "predict", "eval" } : new[] { "predict" })
        {
            var args = command == "predict"
                ? new[] { "predict", "--checkpoint", "x.ckpt", "--input", "in", "--out", "out", flag, value }
                : new[] { "eval", "--checkpoint", "x.ckpt", "--data", "d.yaml", flag, value };
            var r = CliRunner.Run(args);
            Assert.True(r.ExitCode == 1, r.ToString());
            Assert.Contains(expected, r.StdErr);
            Assert.Single(r.StdErr.Trim().Split('\n'));
        }
        var tooBig = CliRunner.Run("predict", "--checkpoint", "x.ckpt", "--input", "in", "--out", "out", "--tile", "64", "--overlap", "64");
        Assert.Contains("not smaller than the tile side 64", tooBig.StdErr);
    }

    [Fact]
    public void PredictAndEvalRunTiledWithTta()
    {
        string run = TestPaths.NewTempDir("tiles-run");
        var result = Trainer.Create(TrainingRecipe.Load(null, TrainingFixture.TinyRecipe(TrainingFixture.DatasetYaml, iterations: 4, valEvery: 4)), run).Run();
        string inputs = TestPaths.NewTempDir("tiles-in");
        var odd = new RgbImage(97, 131, 3); new Random(1).NextBytes(odd.Pixels);
        ImageFile.SavePng(odd, Path.Combine(inputs, "odd.png"));
        string outDir = TestPaths.NewTempDir("tiles-out");
        var r = CliRunner.Run("predict", "--checkpoint", result.BestCheckpoint, "--input", inputs, "--out", outDir,
            "--tile", "48", "--overlap", "0.5", "--blend", "linear", "--tta-flip", "--tta-scales", "0.75,1", "--probabilities");
        Assert.True(r.ExitCode == 0, r.ToString());
        var mask = ImageFile.Load(Path.Combine(outDir, "odd_mask.png"), 1);
        Assert.Equal((97, 131), (mask.Width, mask.Height));
        // Into the images' own folder, the outputs would replace a ground-truth odd_mask.png: refused before anything is written.
        File.WriteAllBytes(Path.Combine(inputs, "odd_mask.png"), [1, 2, 3]);
        CliRunner.Run("predict", "--checkpoint", result.BestCheckpoint, "--input", Path.Combine(inputs, "odd.png"), "--out", inputs)
            .AssertOneLineError("is the folder of the images (odd.png)");
        Assert.Equal([1, 2, 3], File.ReadAllBytes(Path.Combine(inputs, "odd_mask.png")));
        File.Delete(Path.Combine(inputs, "odd_mask.png"));
        Assert.All(mask.Pixels, v => Assert.InRange(v, 0, 5));

        // The JSON summary counts the mask's pixels per class; the probability maps (one per class) sum to ~255 per pixel
        // and the arg-max of the maps is the mask wherever the top two probabilities differ by more than the 8-bit rounding.
        using var summary = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "odd_summary.json")));
        var classes = summary.RootElement.GetProperty("classes").EnumerateArray().ToList();
        Assert.Equal(97, summary.RootElement.GetProperty("width").GetInt32());
        Assert.True(summary.RootElement.GetProperty("tiles").GetInt32() > 1);
        for (int c = 0; c < classes.Count; c++)
            Assert.Equal(mask.Pixels.LongCount(v => v == c), classes[c].GetProperty("pixels").GetInt64());
        Assert.InRange(classes.Sum(c => c.GetProperty("share").GetDouble()), 0.9999, 1.0001);
        var maps = Directory.GetFiles(Path.Combine(outDir, "odd_prob"), "*.png").OrderBy(f => int.Parse(Path.GetFileName(f).Split('_')[0])).Select(f => ImageFile.Load(f, 1).Pixels).ToList();
        Assert.Equal(classes.Count, maps.Count);
        int agree = 0;
        for (int i = 0; i < mask.Pixels.Length; i++)
        {
            int sum = maps.Sum(m => m[i]);
            Assert.InRange(sum, 255 - maps.Count, 255 + maps.Count);
            int best = Enumerable.Range(0, maps.Count).MaxBy(c => maps[c][i]);
            if (best == mask.Pixels[i] || maps[best][i] - maps[mask.Pixels[i]][i] <= 1) agree++;
        }
        Assert.Equal(mask.Pixels.Length, agree);

        var e = CliRunner.Run("eval", "--checkpoint", result.BestCheckpoint, "--data", TrainingFixture.DatasetYaml, "--split", "val",
            "--out", Path.Combine(run, "m.json"), "--tile", "32", "--tta-flip");
        Assert.True(e.ExitCode == 0, e.ToString());
        Assert.Contains("mIoU", e.StdOut);
    }
}
