using System.Text.Json;
using SharpSeg.Imaging;
using SharpSeg.Tests.Training;
using SharpSeg.Training;
using Xunit;

namespace SharpSeg.Tests.Instances;

/// <summary><c>sharpseg instances</c>, <c>predict --instances</c> and <c>eval --instances</c> through the real CLI.</summary>
public sealed class InstanceCliTests
{
    static void AssertOneLineError(CliRunner.Result r, string expected) => r.AssertOneLineError(expected);

    [Fact]
    public void Instances_from_a_mask_folder_write_every_output_and_skip_a_broken_mask_with_its_reason()
    {
        string masks = TestPaths.NewTempDir("instances-cli-masks");
        // Index masks without --data: value = class index. Two cars (class 1) and a single pixel; class 0 is stuff.
        byte[] a = [1, 1, 0, 0, 1,
                    1, 1, 0, 0, 1,
                    0, 0, 0, 0, 0,
                    0, 0, 1, 0, 0];
        PngCodec.SaveGray8(Path.Combine(masks, "a.png"), 5, 4, a);
        PngCodec.SaveGray8(Path.Combine(masks, "b.png"), 5, 4, [.. a.Select(v => (byte)(1 - v))]);
        string outDir = Path.Combine(TestPaths.NewTempDir("instances-cli-out"), "out");
        var ok = CliRunner.Run("instances", "--input", masks, "--out", outDir, "--classes", "class1", "--stuff", "class0", "--min-area", "2");
        Assert.True(ok.ExitCode == 0, ok.ToString());
        Assert.Contains("2 of 2 images: 3 instances written", ok.StdOut);
        foreach (var f in new[] { "a_instances.json", "a_instances.png", "a_panoptic.png", "b_instances.json", "panoptic.json", "instances_coco.json", "instances_summary.csv" })
            Assert.True(File.Exists(Path.Combine(outDir, f)), f + " missing");
        // a: cars of 4 and 2 pixels (the single pixel is dropped); b, the inverse mask: one car of 13 pixels.
        Assert.Equal(["class,class_index,instances,images_with_instances,total_area,median_area,mean_area", "class1,1,3,2,19,4,6.333"], File.ReadAllLines(Path.Combine(outDir, "instances_summary.csv")));

        File.WriteAllBytes(Path.Combine(masks, "c.png"), [0x89, 0x50, 0x4E, 0x47, 1, 2]);
        var broken = CliRunner.Run("instances", "--input", masks, "--out", outDir);
        Assert.True(broken.ExitCode == 1, broken.ToString());
        Assert.Contains("skipped:", broken.StdOut);
        Assert.Contains("c.png", broken.StdOut);
        Assert.Contains("1 of 3 inputs failed (c.png", broken.StdErr);

        AssertOneLineError(CliRunner.Run("instances", "--input", masks, "--out", outDir, "--classes", "car"), "--classes: no class 'car'");
        AssertOneLineError(CliRunner.Run("instances", "--input", masks, "--out", outDir, "--connectivity", "6"), "--connectivity 6: must be 4");
        AssertOneLineError(CliRunner.Run("instances", "--input", masks, "--checkpoint", "x.ckpt", "--out", outDir), "give either --input MASKS, or --checkpoint");
        AssertOneLineError(CliRunner.Run("instances", "--input", masks), "--out is required");
    }

    [Fact]
    public void Predict_and_eval_with_instances_add_the_instance_outputs_and_scores()
    {
        string run = TestPaths.NewTempDir("instances-cli-run");
        var trained = Trainer.Create(TrainingRecipe.Load(null, TrainingFixture.TinyRecipe(TrainingFixture.DatasetYaml, iterations: 2, valEvery: 2)), run).Run();
        string images = Path.Combine(Path.GetDirectoryName(TrainingFixture.DatasetYaml)!, "val", "images");
        string outDir = TestPaths.NewTempDir("instances-cli-predict");
        var predict = CliRunner.Run("predict", "--checkpoint", trained.BestCheckpoint, "--input", images, "--out", outDir, "--instances", "--stuff", "background,sky", "--min-area", "4");
        Assert.True(predict.ExitCode == 0, predict.ToString());
        var jsons = Directory.GetFiles(outDir, "*_instances.json");
        Assert.Equal(Directory.GetFiles(outDir, "*_mask.png").Length, jsons.Length);
        Assert.Empty(Directory.GetDirectories(outDir)); // probabilities kept for confidences, not written as maps
        int instances = 0;
        foreach (var j in jsons)
            foreach (var inst in JsonDocument.Parse(File.ReadAllText(j)).RootElement.GetProperty("instances").EnumerateArray())
            {
                double conf = inst.GetProperty("mean_confidence").GetDouble();
                Assert.InRange(conf, 0.0, 1.0);
                Assert.True(inst.GetProperty("area").GetInt64() >= 4);
                Assert.DoesNotContain(inst.GetProperty("class").GetString(), new[] { "background", "sky" });
                instances++;
            }
        Assert.True(File.Exists(Path.Combine(outDir, "panoptic.json")));
        Assert.Contains($"{instances} instances:", predict.StdOut);

        // The instances command predicting from the checkpoint: the same files, with the classes the checkpoint has.
        string fromModel = TestPaths.NewTempDir("instances-cli-model");
        var cut = CliRunner.Run("instances", "--checkpoint", trained.BestCheckpoint, "--images", images, "--out", fromModel, "--classes", "disc,box");
        Assert.True(cut.ExitCode == 0, cut.ToString());
        Assert.Equal(jsons.Length, Directory.GetFiles(fromModel, "*_instances.json").Length);
        Assert.Equal(["disc", "box"], File.ReadAllLines(Path.Combine(fromModel, "instances_summary.csv")).Skip(1).Select(l => l.Split(',')[0]));
        AssertOneLineError(CliRunner.Run("instances", "--checkpoint", trained.BestCheckpoint, "--out", fromModel), "--images is required");

        string metrics = Path.Combine(run, "metrics-instances.json");
        var eval = CliRunner.Run("eval", "--checkpoint", trained.BestCheckpoint, "--data", TrainingFixture.DatasetYaml, "--split", "val", "--out", metrics,
            "--instances", "--classes", "disc,box,triangle");
        Assert.True(eval.ExitCode == 0, eval.ToString());
        Assert.Contains("instance F1", eval.StdOut);
        var scores = JsonDocument.Parse(File.ReadAllText(metrics)).RootElement.GetProperty("instances");
        Assert.Equal(0.5, scores.GetProperty("iou_threshold").GetDouble());
        var perClass = scores.GetProperty("per_class").EnumerateArray().ToList();
        Assert.Equal(["disc", "box", "triangle"], perClass.Select(c => c.GetProperty("name").GetString()));
        Assert.True(perClass.Sum(c => c.GetProperty("true_instances").GetInt64()) > 0);
        foreach (var c in perClass)
            Assert.True(c.GetProperty("matched").GetInt64() <= Math.Min(c.GetProperty("true_instances").GetInt64(), c.GetProperty("predicted_instances").GetInt64()));

        // Without --instances the metrics JSON has no "instances" key, and instance flags are refused.
        var plain = CliRunner.Run("eval", "--checkpoint", trained.BestCheckpoint, "--data", TrainingFixture.DatasetYaml, "--split", "val", "--out", metrics);
        Assert.True(plain.ExitCode == 0, plain.ToString());
        Assert.False(JsonDocument.Parse(File.ReadAllText(metrics)).RootElement.TryGetProperty("instances", out _));
        AssertOneLineError(CliRunner.Run("predict", "--checkpoint", trained.BestCheckpoint, "--input", images, "--out", outDir, "--min-area", "4"), "add --instances");
        AssertOneLineError(CliRunner.Run("predict", "--checkpoint", trained.BestCheckpoint, "--input", images, "--out", outDir, "--instances", "--instances-from", "queries"), "needs a mask-classification checkpoint");
        AssertOneLineError(CliRunner.Run("eval", "--checkpoint", trained.BestCheckpoint, "--data", TrainingFixture.DatasetYaml, "--instances", "--classes", "disk"), "did you mean 'disc'?");
    }
}
