using SharpSeg.Imaging;
using SharpSeg.Inference;
using SharpSeg.Tests.Training;
using SharpSeg.Training;
using Xunit;

namespace SharpSeg.Tests.Inference;

/// <summary><c>sharpseg predict</c>'s loop as a library call: a broken file is skipped with its reason, the rest is written.</summary>
public sealed class FolderPredictionTests
{
    [Fact]
    public void Copies_default_to_two_on_a_cpu_and_one_for_a_single_image()
    {
        int cpu = Math.Clamp(TorchSharp.torch.get_num_threads(), 1, 2);
        Assert.Equal(cpu, Predictor.CopiesFor(null, "cpu"));
        Assert.Equal(cpu, Predictor.CopiesFor(null, "cpu", images: 101));
        Assert.Equal(1, Predictor.CopiesFor(null, "cpu", images: 1));
        Assert.Equal(3, Predictor.CopiesFor(3, "cpu", images: 1)); // asked for: kept
        foreach (int bad in new[] { 0, 65 })
            Assert.Contains("between 1 and 64", Assert.Throws<SharpSegException>(() => Predictor.CopiesFor(bad, "cpu")).Message);
    }

    [Fact]
    public void A_broken_file_is_skipped_with_its_message_and_the_good_image_is_written()
    {
        string run = TestPaths.NewTempDir("folder-predict-run");
        var trained = Trainer.Create(TrainingRecipe.Load(null, TrainingFixture.TinyRecipe(TrainingFixture.DatasetYaml, iterations: 2, valEvery: 2)), run).Run();
        string inputs = TestPaths.NewTempDir("folder-predict-in");
        var good = new RgbImage(40, 30, 3); new Random(1).NextBytes(good.Pixels);
        ImageFile.SavePng(good, Path.Combine(inputs, "good.png"));
        File.WriteAllBytes(Path.Combine(inputs, "broken.png"), [0x89, 0x50, 0x4E, 0x47, 1, 2, 3]);
        string outDir = TestPaths.NewTempDir("folder-predict-out");

        var files = ImageInputs.Resolve(inputs);
        Assert.Equal(2, files.Count);
        using var predictor = Predictor.FromCheckpoint(trained.BestCheckpoint);
        var writer = new PredictionWriter(outDir, predictor.Colours, 0.5, predictor.ClassNames);
        var reported = new List<(int Done, int Total)>();
        var seen = new List<PredictionFailure>();
        var result = FolderPrediction.Run(predictor, files, writer, new InferenceOptions(), new Recorder(reported), seen.Add);

        Assert.Equal(2, result.Total);
        Assert.Equal("good.png", Path.GetFileName(Assert.Single(result.Written)));
        var skipped = Assert.Single(result.Skipped);
        Assert.Equal("broken.png", Path.GetFileName(skipped.File));
        Assert.Contains("broken.png", skipped.Message);
        Assert.DoesNotContain('\n', skipped.Message);
        Assert.Equal(skipped, Assert.Single(seen));
        Assert.Equal(new[] { (1, 2), (2, 2) }, reported);
        Assert.True(File.Exists(Path.Combine(outDir, "good_mask.png")));
        Assert.True(File.Exists(Path.Combine(outDir, "good_summary.json")));
        Assert.False(File.Exists(Path.Combine(outDir, "broken_mask.png")));

        // A single input: its error is the run's error, nothing is skipped silently.
        Assert.Throws<SharpSegException>(() => FolderPrediction.Run(predictor, [Path.Combine(inputs, "broken.png")], writer, new InferenceOptions()));
    }

    [Fact]
    public void Several_model_copies_write_what_one_copy_writes_in_input_order()
    {
        // Images in flight on three copies, a broken file among them: the same files, bytes, skipped list, progress and
        // folder-wide instance files as one copy.
        string run = TestPaths.NewTempDir("folder-copies-run");
        var trained = Trainer.Create(TrainingRecipe.Load(null, TrainingFixture.TinyRecipe(TrainingFixture.DatasetYaml, iterations: 2, valEvery: 2)), run).Run();
        string inputs = TestPaths.NewTempDir("folder-copies-in");
        var rng = new Random(5);
        for (int i = 0; i < 7; i++)
        {
            var image = new RgbImage(30 + 4 * i, 24 + 2 * i, 3); rng.NextBytes(image.Pixels);
            ImageFile.SavePng(image, Path.Combine(inputs, $"img{i}.png"));
        }
        File.WriteAllBytes(Path.Combine(inputs, "img3b.png"), [0x89, 0x50, 0x4E, 0x47, 1, 2, 3]);
        var files = ImageInputs.Resolve(inputs);
        Assert.Equal(8, files.Count);
        (FolderPredictionResult Result, List<(int, int)> Progress, Dictionary<string, string> Files) Predict(int copies)
        {
            string outDir = TestPaths.NewTempDir($"folder-copies-out{copies}");
            var predictors = Predictor.LoadCopies(trained.BestCheckpoint!, copies);
            try
            {
                var instanceOptions = new SharpSeg.Instances.InstanceOptions().Resolve(predictors[0].Info.Classes, "tiny model");
                var writer = new PredictionWriter(outDir, predictors[0].Colours, 0.5, predictors[0].ClassNames) { Instances = new SharpSeg.Instances.InstanceWriter(outDir, instanceOptions) };
                var progress = new List<(int, int)>();
                var result = FolderPrediction.Run(predictors, files, writer, new InferenceOptions { KeepProbabilities = true }, new Recorder(progress));
                var written = Directory.GetFiles(outDir, "*", SearchOption.AllDirectories).ToDictionary(f => Path.GetRelativePath(outDir, f), f => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(f))));
                return (result, progress, written);
            }
            finally
            {
                foreach (var p in predictors) p.Dispose();
            }
        }
        var one = Predict(1);
        var three = Predict(3);
        Assert.Equal(one.Result.Written, three.Result.Written);
        Assert.Equal(7, three.Result.Written.Count);
        Assert.Equal(one.Result.Skipped, three.Result.Skipped);
        Assert.Equal("img3b.png", Path.GetFileName(Assert.Single(three.Result.Skipped).File));
        Assert.Equal(one.Progress, three.Progress);
        Assert.Equal(one.Files.OrderBy(kv => kv.Key), three.Files.OrderBy(kv => kv.Key));
        Assert.Contains("instances_coco.json", three.Files.Keys);
    }

    sealed class Recorder(List<(int Done, int Total)> into) : IProgress<(int Done, int Total)>
    {
        public void Report((int Done, int Total) value) => into.Add(value);
    }
}

/// <summary>What <c>--input</c> accepts, and the one-line errors for what it does not.</summary>
public sealed class ImageInputsTests
{
    [Fact]
    public void A_folder_whose_images_are_in_subfolders_says_where_they_are()
    {
        string root = TestPaths.NewTempDir("inputs-subfolders");
        foreach (var city in new[] { "bonn", "aachen" })
        {
            Directory.CreateDirectory(Path.Combine(root, city));
            ImageFile.SavePng(new RgbImage(4, 4, 3), Path.Combine(root, city, city + "_000.png"));
        }
        var e = Assert.Throws<SharpSegException>(() => ImageInputs.Resolve(root));
        Assert.Contains("folder has no image files", e.Message);
        Assert.Contains($"its images are in 2 subfolders (e.g. {Path.Combine(root, "aachen")}): add --recursive", e.Message);
        Assert.Equal(2, ImageInputs.Resolve(root, recursive: true).Count);
        Assert.Contains("--recursive reads a folder", Assert.Throws<SharpSegException>(() => ImageInputs.Resolve(Path.Combine(root, "aachen", "aachen_000.png"), recursive: true)).Message);
        Assert.Single(ImageInputs.Resolve(Path.Combine(root, "aachen")));
        string empty = TestPaths.NewTempDir("inputs-empty");
        Assert.DoesNotContain("subfolder", Assert.Throws<SharpSegException>(() => ImageInputs.Resolve(empty)).Message);
        Assert.Contains("wildcards are supported in the file name only", Assert.Throws<SharpSegException>(() => ImageInputs.Resolve(Path.Combine(root, "*", "*.png"))).Message);
    }

    [Fact]
    public void Predict_keeps_subfolders_with_recursive_and_refuses_two_inputs_that_would_write_the_same_files()
    {
        string root = TestPaths.NewTempDir("predict-tree");
        var scene = ImageFile.Load(Path.Combine(SharpSeg.Tests.Segmenting.SegmenterFixture.Images, "scene.png"));
        foreach (var city in new[] { "aachen", "bonn" })
        {
            Directory.CreateDirectory(Path.Combine(root, city));
            ImageFile.SavePng(scene, Path.Combine(root, city, "frame.png"));   // the same name in both
        }
        string outDir = TestPaths.NewTempDir("predict-tree-out");
        var r = CliRunner.Run("predict", "--checkpoint", SharpSeg.Tests.Segmenting.SegmenterFixture.Checkpoint, "--input", root, "--recursive", "--out", outDir);
        Assert.True(r.ExitCode == 0, r.ToString());
        foreach (var city in new[] { "aachen", "bonn" })
            foreach (var suffix in new[] { "_mask.png", "_color.png", "_overlay.png", "_summary.json" })
                Assert.True(File.Exists(Path.Combine(outDir, city, "frame" + suffix)), $"{city}/frame{suffix} missing:\n{r}");

        // Without subfolders to keep them apart, a.png and a.jpg would overwrite each other's masks: refused before any is written.
        string flat = TestPaths.NewTempDir("predict-same-stem");
        ImageFile.SavePng(scene, Path.Combine(flat, "a.png"));
        using (var bitmap = SkiaSharp.SKBitmap.Decode(Path.Combine(flat, "a.png")))
        using (var data = bitmap.Encode(SkiaSharp.SKEncodedImageFormat.Jpeg, 90))
            File.WriteAllBytes(Path.Combine(flat, "a.jpg"), data.ToArray());
        string none = TestPaths.NewTempDir("predict-same-stem-out");
        var e = CliRunner.Run("predict", "--checkpoint", SharpSeg.Tests.Segmenting.SegmenterFixture.Checkpoint, "--input", flat, "--out", none);
        Assert.True(e.ExitCode == 1, e.ToString());
        Assert.Single(e.StdErr.Trim().Split('\n'));
        Assert.Contains("would both write a_mask.png", e.StdErr);
        Assert.Empty(Directory.GetFiles(none));
        Assert.Contains("--recursive with --instances is not supported",
            CliRunner.Run("predict", "--checkpoint", SharpSeg.Tests.Segmenting.SegmenterFixture.Checkpoint, "--input", root, "--recursive", "--instances", "--out", none).StdErr);
    }
}
