using System.Text.Json.Nodes;
using SharpSeg.Imaging;
using SharpSeg.Tests.Training;
using SharpSeg.Training;
using Xunit;
using SharpSeg.Curation.Scoring;
using SharpSeg.Curation.Selection;

namespace SharpSeg.Tests.Curation;

public sealed class CurationCliTests
{
    [Fact]
    public void EmbedThenCurateWritesASelectionWithReasonsAReportAndAContactSheet()
    {
        string dir = TestPaths.NewTempDir("curate-cli");
        string images = CurationTestData.WriteScenesWithCopy(dir, 10, 4);
        string npy = Path.Combine(dir, "emb.npy");
        var e = CliRunner.Run("embed", "--images", images, "--encoder", "thumbnail", "--out", npy);
        Assert.True(e.ExitCode == 0, e.ToString());
        Assert.Contains("11 images embedded", e.StdOut);
        var again = CliRunner.Run("embed", "--images", images, "--encoder", "thumbnail", "--out", npy);
        Assert.Contains("0 images embedded", again.StdOut);
        Assert.Contains("11 were already there", again.StdOut);

        File.WriteAllText(Path.Combine(dir, "labelled.txt"), "# already labelled\nscene00.png\nnot-embedded.png\n");
        string csv = Path.Combine(dir, "sel.csv");
        var c = CliRunner.Run("curate", "--embeddings", npy, "--budget", "4", "--strategy", "diversity:0.7,typicality:0.3",
            "--labelled", Path.Combine(dir, "labelled.txt"), "--out", csv, "--seed", "2");
        Assert.True(c.ExitCode == 0, c.ToString());
        Assert.Contains("1 removed in 1 groups", c.StdOut);
        Assert.Contains("1 not embedded", c.StdOut);
        var lines = File.ReadAllLines(csv);
        Assert.Equal(SelectionCsv.Header, lines[0]);
        Assert.Equal(5, lines.Length);
        Assert.All(lines.Skip(1), l => Assert.Contains("diverse: distance", l));
        Assert.DoesNotContain(lines, l => l.Contains("scene00.png"));
        var report = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "sel.report.json")))!;
        Assert.Equal(1, (int)report["dedupe"]!["removed"]!);
        Assert.Equal(1, (int)report["labelled"]!);
        Assert.NotNull(report["coverage"]!["before"]);
        Assert.True((double)report["coverage"]!["after"]!["max_distance"]! < (double)report["coverage"]!["before"]!["max_distance"]!);
        var sheet = ImageFile.Load(Path.Combine(dir, "sel.contact.png"));
        Assert.True(sheet.Width > 500 && sheet.Height > 200);
    }

    [Theory]
    [InlineData(new[] { "embed", "--images", "x", "--out", "e.npy" }, "--checkpoint C")]
    [InlineData(new[] { "embed", "--images", "x", "--encoder", "thumbnail" }, "--out is required")]
    [InlineData(new[] { "embed", "--images", "/nonexistent-dir", "--encoder", "thumbnail", "--out", "e.npy" }, "no such file or folder")]
    [InlineData(new[] { "embed", "--images", ".", "--encoder", "resnet81", "--out", "e.npy" }, "did you mean 'resnet")]
    [InlineData(new[] { "embed", "--images", ".", "--encoder", "thumbnail", "--out", "e.bin" }, "must end in .npy")]
    [InlineData(new[] { "curate", "--embeddings", "missing.npy", "--budget", "3", "--out", "s.csv" }, "embeddings file not found")]
    [InlineData(new[] { "score", "--images", ".", "--out", "s.csv" }, "--checkpoint is required")]
    public void MistakesAreOneLineErrors(string[] args, string expected)
    {
        string dir = TestPaths.NewTempDir("curate-errors");
        CurationTestData.WriteScenes(dir, 1);
        var r = CliRunner.RunIn(dir, args);
        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.Contains(expected, r.StdErr);
        Assert.Single(r.StdErr.Trim().Split('\n'));
    }

    [Fact]
    public void CurateWithACheckpointScoresTheImagesAndBalancesClasses()
    {
        string run = TestPaths.NewTempDir("curate-ckpt-run");
        var trained = Trainer.Create(TrainingRecipe.Load(null, TrainingFixture.TinyRecipe(TrainingFixture.DatasetYaml, iterations: 4, valEvery: 4)), run).Run();
        string images = Path.Combine(Path.GetDirectoryName(TrainingFixture.DatasetYaml)!, "val", "images");
        string dir = TestPaths.NewTempDir("curate-ckpt");
        string npy = Path.Combine(dir, "emb.npy");
        var e = CliRunner.Run("embed", "--images", images, "--checkpoint", trained.BestCheckpoint, "--size", "32", "--grid", "2", "--batch-size", "5", "--out", npy);
        Assert.True(e.ExitCode == 0, e.ToString());
        string csv = Path.Combine(dir, "sel.csv");
        var c = CliRunner.Run("curate", "--embeddings", npy, "--budget", "3", "--checkpoint", trained.BestCheckpoint,
            "--strategy", "uncertainty:0.4,diversity:0.3,class-balance:0.3", "--uncertainty", "margin", "--out", csv, "--no-contact-sheet",
            // The 4-step model's embeddings can make near-duplicates of most of the 12 images (its weights depend on the
            // global RNG other tests share): without dedupe there are always 12 candidates for the 3 picks.
            "--no-dedupe");
        Assert.True(c.ExitCode == 0, c.ToString());
        Assert.Contains("predicted class share pool → selected", c.StdOut);
        var scores = ImageScoreFile.Read(Path.Combine(dir, "sel.scores.csv"));
        Assert.Equal(12, scores.Rows.Count);
        Assert.Equal(SharpSeg.Data.Synthetic.SyntheticSceneGenerator.ClassNames, scores.ClassNames);
        Assert.All(scores.Rows, r => Assert.Equal(1, r.ClassShares.Sum(), 3));
        Assert.All(scores.Rows, r => Assert.InRange(r.Uncertainty.MarginTop, r.Uncertainty.MarginMean, 1));
        var rows = File.ReadAllLines(csv).Skip(1).ToList();
        Assert.Equal(3, rows.Count);
        Assert.All(rows, l => Assert.Contains("uncertain: margin (top pixels)", l));
        Assert.False(File.Exists(Path.Combine(dir, "sel.contact.png")));
        var report = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "sel.report.json")))!;
        Assert.Equal(6, report["class_distribution"]!["selected"]!.AsArray().Count);
        // score alone writes the same columns, and resumes.
        string alone = Path.Combine(dir, "alone.csv");
        var s1 = CliRunner.Run("score", "--checkpoint", trained.BestCheckpoint, "--images", images, "--out", alone);
        Assert.True(s1.ExitCode == 0, s1.ToString());
        var s2 = CliRunner.Run("score", "--checkpoint", trained.BestCheckpoint, "--images", images, "--out", alone);
        Assert.Contains("12 were already there", s2.StdOut);
        Assert.Equal(12, ImageScoreFile.Read(alone).Rows.Count);
        // The same model moved elsewhere resumes; another model, precision or top share is one line, and nothing is appended.
        string moved = Path.Combine(dir, "moved.ckpt");
        File.Copy(trained.BestCheckpoint!, moved);
        Assert.Contains("12 were already there", CliRunner.Run("score", "--checkpoint", moved, "--images", images, "--out", alone).StdOut);
        string before = File.ReadAllText(alone);
        Assert.Contains("# precision: fp32", before);
        Assert.Contains("# model: sha256:", before);
        foreach (var (args, what) in new[]
        {
            (new[] { "--checkpoint", Path.Combine(run, "last.ckpt") }, "made with model sha256:"),
            (["--checkpoint", trained.BestCheckpoint!, "--bf16"], "made with precision fp32, not bf16"),
            (["--checkpoint", trained.BestCheckpoint!, "--top-share", "0.5"], "made with top share 0.1, not 0.5"),
        })
        {
            var r = CliRunner.Run(["score", .. args, "--images", images, "--out", alone]);
            Assert.True(r.ExitCode == 1, r.ToString());
            Assert.Contains(what, r.StdErr);
            Assert.Contains("--overwrite", r.StdErr);
            Assert.Single(r.StdErr.Trim().Split('\n'));
            Assert.Equal(before, File.ReadAllText(alone));
        }
    }
}
