using SharpSeg.Tests.Data;
using Xunit;
using Xunit.Abstractions;
using SharpSeg.Checkpoints;
using SharpSeg.Curation.Embedding;

namespace SharpSeg.Tests.Fuzz;

/// <summary>The seeds and the folders the fuzz suite works in, made once per run.</summary>
public sealed class HostileFileFixture
{
    public HostileFileFixture()
    {
        Root = TestPaths.NewTempDir("hostile");
        Dataset = TinyDataset.Clean("hostile-data");
        GoodImage = Dataset.PathOf("train/images/a.png");
        (Checkpoint, Onnx, Safetensors) = HostileFileGenerator.ModelSeeds(Root);
        DatasetYaml = $"root: \"{Dataset.Root}\"\n" + TinyDataset.CleanYaml;
        string datasetPath = Path.Combine(Root, "dataset.yaml");
        File.WriteAllText(datasetPath, DatasetYaml);
        // One iteration of the seed model on the tiny dataset: a recipe (or weights file) that survives damage trains in a
        // second. The budget and the model come first, so that every cut that still loads keeps them (a cut after "model:"
        // once left the default U-Net training for the default budget, a 3-minute "hang", whenever the temp path was long).
        Recipe = $$"""
            train: { iterations: 1, batch_size: 2, val_every: 1, workers: 0, threads: 1, log_every: 1 }
            model: { depth: 1, base_width: 4 }
            augment: { scale: [1, 1], crop: [8, 8], brightness: 0, contrast: 0, saturation: 0 }
            data: { dataset: "{{datasetPath}}", cache: true, val_split: train }
            """;
        RecipePath = Path.Combine(Root, "recipe.yaml");
        File.WriteAllText(RecipePath, Recipe);
    }

    public string Root { get; }
    internal TinyDataset Dataset { get; }
    public string GoodImage { get; }
    public string Checkpoint { get; }
    public string Onnx { get; }
    public string Safetensors { get; }
    public string DatasetYaml { get; }
    public string Recipe { get; }
    public string RecipePath { get; }

    /// <summary>Writes a case's bytes to a file of its own and returns the path.</summary>
    public string Write(HostileCase c, string folder = "cases")
    {
        string path = Path.GetFullPath(Path.Combine(Root, folder, c.Name + c.Extension));
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, c.Bytes);
        return path;
    }
}

/// <summary>
/// The fuzz suite: broken files of every format SharpSeg reads (<see cref="HostileFileGenerator"/>) go through the public
/// commands, in the process through the CLI's entry point. Each must end with exit 0 (the damage left a valid file;
/// never for cases that must fail) or exit 1 with exactly one error line that names the file; never exit 70, never a
/// stack trace, never a hang, never more than <see cref="MaxGrowth"/> of extra resident memory.
/// </summary>
[Collection(SequentialCollection.Name)]
public sealed class HostileFileTests(HostileFileFixture fixture, ITestOutputHelper output) : IClassFixture<HostileFileFixture>
{
    /// <summary>Resident memory a case may add at its peak: the seeds are tiny, so more means a reader believed a header.</summary>
    const long MaxGrowth = 768L << 20;

    static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    /// <summary>Runs one case; <paramref name="mustName"/> is what the error line must contain (the file), null for
    /// YAML whose damage can leave a valid file that points elsewhere.</summary>
    void Check(HostileCase c, string? mustName, List<string> failures, params string[] args)
    {
        var r = InProcessCli.Run(Timeout, args);
        string what = $"{c.Name} [{args[0]}]";
        var errors = r.ErrorLines.Where(l => l.StartsWith("error:", StringComparison.Ordinal)).ToList();
        // 'data check' reports the problems it finds as lines on stdout ("[split] file: ...") and exits 1 without an error line.
        if (r.ExitCode == 1 && errors.Count == 0 && args[0] == "data" && args[1] == "check")
            errors = r.StdOut.Split('\n').Where(l => l.StartsWith('[')).Take(1).ToList();
        if (r.ExitCode is not (0 or 1)) failures.Add($"{what}: exit {r.ExitCode}: {r.StdErr}");
        else if (r.ExitCode == 0 && c.MustFail) failures.Add($"{what}: accepted (exit 0), but the damage cannot leave a valid file");
        else if (r.ExitCode == 1 && errors.Count != 1) failures.Add($"{what}: {errors.Count} error lines: {r.StdErr}");
        else if (r.ExitCode == 1 && mustName != null && !errors[0].Contains(mustName, StringComparison.Ordinal)) failures.Add($"{what}: the error does not name {mustName}: {errors[0]}");
        if (r.StdErr.Contains("internal error", StringComparison.Ordinal) || r.StdErr.Contains("   at ", StringComparison.Ordinal)) failures.Add($"{what}: internal error or stack trace: {r.StdErr}");
        if (r.PeakGrowthBytes > MaxGrowth) failures.Add($"{what}: resident memory grew by {r.PeakGrowthBytes >> 20} MB");
        output.WriteLine($"{what}: exit {r.ExitCode}, {r.Elapsed.TotalMilliseconds:F0} ms, +{r.PeakGrowthBytes >> 20} MB: {(errors.Count > 0 ? errors[0] : "")}");
    }

    void AssertAllPassed(List<string> failures, int cases)
    {
        Assert.True(cases > 10, $"only {cases} cases were generated");
        Assert.True(failures.Count == 0, $"{failures.Count} of {cases} hostile files were mishandled:\n" + string.Join("\n", failures));
    }

    [Fact]
    public void BrokenImagesThroughPredictAndBrokenMasksThroughDataInitAndInstances()
    {
        var failures = new List<string>();
        var cases = HostileFileGenerator.PngCases().Concat(HostileFileGenerator.JpegCases()).Concat(HostileFileGenerator.TiffCases()).ToList();
        string outDir = Path.Combine(fixture.Root, "predict-out");
        foreach (var c in cases)
        {
            string image = fixture.Write(c);
            Check(c, image, failures, "predict", "--checkpoint", fixture.Checkpoint, "--input", image, "--out", outDir);
            if (c.Extension is not (".png" or ".tif")) continue;
            // The same bytes as a mask, paired with a good image.
            string folder = Path.Combine(fixture.Root, "init", c.Name);
            Directory.CreateDirectory(Path.Combine(folder, "images"));
            File.Copy(fixture.GoodImage, Path.Combine(folder, "images", "x.png"), overwrite: true);
            string mask = fixture.Write(c with { Name = Path.Combine("init", c.Name, "masks", "x") }, ".");
            Check(c, mask, failures, "data", "init", "--images", Path.Combine(folder, "images"), "--masks", Path.GetDirectoryName(mask)!,
                "--out", Path.Combine(folder, "draft.yaml"), "--force");
            Check(c, mask, failures, "instances", "--input", mask, "--out", Path.Combine(folder, "instances"));
        }
        AssertAllPassed(failures, cases.Count);
    }

    [Fact]
    public void BrokenCheckpointsAndOnnxModelsThroughPredict()
    {
        var failures = new List<string>();
        var cases = HostileFileGenerator.CheckpointCases(File.ReadAllBytes(fixture.Checkpoint))
            .Concat(HostileFileGenerator.OnnxCases(File.ReadAllBytes(fixture.Onnx))).ToList();
        string outDir = Path.Combine(fixture.Root, "predict-model-out");
        foreach (var c in cases)
        {
            string model = fixture.Write(c);
            Check(c, model, failures, "predict", c.Extension == ".onnx" ? "--model" : "--checkpoint", model, "--input", fixture.GoodImage, "--out", outDir);
        }
        AssertAllPassed(failures, cases.Count);
    }

    [Fact]
    public void BrokenSafetensorsThroughTrainInitWeights()
    {
        var failures = new List<string>();
        var cases = HostileFileGenerator.SafetensorsCases(File.ReadAllBytes(fixture.Safetensors)).ToList();
        foreach (var c in cases)
        {
            string weights = fixture.Write(c);
            Check(c, weights, failures, "train", fixture.RecipePath, "--set", "model.init_weights=" + weights, "--out", Path.Combine(fixture.Root, "runs", c.Name));
        }
        AssertAllPassed(failures, cases.Count);
    }

    [Fact]
    public void BrokenEmbeddingsThroughCurate()
    {
        var failures = new List<string>();
        var cases = HostileFileGenerator.NpyCases().ToList();
        foreach (var c in cases)
        {
            string npy = fixture.Write(c);
            File.WriteAllLines(EmbeddingFiles.For(npy).Paths, Enumerable.Range(0, 6).Select(i => $"img{i}.png"));
            Check(c, npy, failures, "curate", "--embeddings", npy, "--budget", "2", "--out", Path.Combine(fixture.Root, "curate", c.Name + ".csv"));
        }
        AssertAllPassed(failures, cases.Count);
    }

    [Fact]
    public void BrokenYamlThroughDataCheckAndTrain()
    {
        var failures = new List<string>();
        var dataset = HostileFileGenerator.YamlCases("dataset-yaml", fixture.DatasetYaml, "splits").ToList();
        var recipe = HostileFileGenerator.YamlCases("recipe-yaml", fixture.Recipe, "model").ToList();
        foreach (var c in dataset)
        {
            string yaml = fixture.Write(c);
            Check(c, c.MustFail ? yaml : null, failures, "data", "check", yaml);
        }
        foreach (var c in recipe)
        {
            string yaml = fixture.Write(c);
            Check(c, c.MustFail ? yaml : null, failures, "train", yaml, "--out", Path.Combine(fixture.Root, "runs", c.Name));
        }
        AssertAllPassed(failures, dataset.Count + recipe.Count);
    }

    [Fact]
    public void SizeBombsEndTheRealExecutableWithOneLine()
    {
        // The same path as a user's shell: a separate process, its exit code and its stderr as they are.
        var bomb = new HostileCase("bomb", "png", HandPng.SizeBomb(100_000, 100_000), ".png", true);
        string folder = Path.Combine(fixture.Root, "bomb-data");
        Directory.CreateDirectory(Path.Combine(folder, "images"));
        Directory.CreateDirectory(Path.Combine(folder, "masks"));
        File.Copy(fixture.GoodImage, Path.Combine(folder, "images", "a.png"), overwrite: true);
        File.WriteAllBytes(Path.Combine(folder, "masks", "a.png"), bomb.Bytes);
        string yaml = Path.Combine(folder, "dataset.yaml");
        File.WriteAllText(yaml, "splits:\n  train: { images: images, masks: masks }\nclasses: [{ name: a }, { name: b }, { name: c }]\n");
        var check = CliRunner.Run("data", "check", yaml);
        Assert.True(check.ExitCode == 1, check.ToString());
        Assert.Contains("masks/a.png: image header claims 100000x100000", check.StdOut);
        Assert.DoesNotContain("internal error", check.All);

        string jpeg = fixture.Write(HostileFileGenerator.JpegCases().Single(c => c.Name == "jpeg-sof-20000x20000"));
        var predict = CliRunner.Run("predict", "--checkpoint", fixture.Checkpoint, "--input", jpeg, "--out", Path.Combine(fixture.Root, "bomb-out"));
        Assert.True(predict.ExitCode == 1, predict.ToString());
        Assert.Equal($"error: {jpeg}: image header claims 20000x20000 = 400 M pixels, over the limit of 256 M; the file is damaged or hostile, or, if the image is real, raise the limit (--max-pixels N on the command line, data.max_pixels in a training recipe) or tile it into smaller files.",
            predict.StdErr.Trim());

        string laughs = Path.Combine(fixture.Root, "laughs.yaml");
        File.WriteAllText(laughs, HostileFileGenerator.BillionLaughs("splits"));
        var yamlRun = CliRunner.Run("data", "check", laughs);
        Assert.True(yamlRun.ExitCode == 1, yamlRun.ToString());
        Assert.StartsWith($"error: {laughs}:", yamlRun.StdErr.Trim());
        Assert.Contains("expands to more than 100000 nodes", yamlRun.StdErr);
        Assert.Single(yamlRun.StdErr.Trim().Split('\n'));
    }
}
