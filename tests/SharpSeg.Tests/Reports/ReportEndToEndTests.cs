using SharpSeg.Tests.Training;
using SharpSeg.Training;
using Xunit;
using Xunit.Abstractions;

namespace SharpSeg.Tests.Reports;

/// <summary>
/// The reports as a user makes them: a tiny training run (curves, TensorBoard), then `sharpseg eval --report` and
/// `sharpseg data stats --report` through the real CLI, then both pages opened in headless Chromium.
/// </summary>
public sealed class ReportEndToEndTests(ITestOutputHelper output)
{
    sealed record Made(string Run, string EvalReport, string DataReport, CliRunner.Result Eval, CliRunner.Result Stats);

    static readonly Lazy<Made> Reports = TestPaths.SharedLazy(() =>
    {
        string run = TestPaths.NewTempDir("report-run");
        var recipe = TrainingRecipe.Load(null, TrainingFixture.TinyRecipe(TrainingFixture.DatasetYaml, iterations: 4, valEvery: 2).Append("train.tensorboard=true"));
        var result = Trainer.Create(recipe, run).Run();
        string evalDir = Path.Combine(run, "eval-report"), dataDir = Path.Combine(run, "data-report");
        var eval = CliRunner.Run("eval", "--checkpoint", result.BestCheckpoint, "--data", TrainingFixture.DatasetYaml, "--split", "val",
            "--out", Path.Combine(run, "metrics-val.json"), "--report", evalDir, "--worst", "3");
        var stats = CliRunner.Run("data", "stats", TrainingFixture.DatasetYaml, "--out", Path.Combine(run, "stats.json"), "--report", dataDir, "--samples", "4");
        return new Made(run, Path.Combine(evalDir, "report.html"), Path.Combine(dataDir, "report.html"), eval, stats);
    });

    [Fact]
    public void TrainingDrawsCurvesAndTensorBoardFilesAndTheCliWritesBothReports()
    {
        var made = Reports.Value;
        foreach (var f in new[] { "loss.png", "val_miou.png", "lr.png" })
            Assert.True(new FileInfo(Path.Combine(made.Run, "curves", f)).Length > 1000, $"curves/{f} missing or empty");
        var events = Directory.GetFiles(Path.Combine(made.Run, "tensorboard"), "events.out.tfevents*");
        Assert.True(events.Length > 0 && events.All(e => new FileInfo(e).Length > 100), "no TensorBoard event file with scalars");

        Assert.True(made.Eval.ExitCode == 0, made.Eval.ToString());
        Assert.Contains("Report written to", made.Eval.StdOut);
        Assert.True(File.Exists(made.EvalReport));
        Assert.Contains("The 3 worst images by mIoU", File.ReadAllText(made.EvalReport));
        Assert.True(made.Stats.ExitCode == 0, made.Stats.ToString());
        Assert.True(File.Exists(made.DataReport));

        var misuse = CliRunner.Run("eval", "--checkpoint", "x.ckpt", "--data", "d.yaml", "--worst", "3");
        Assert.Equal(1, misuse.ExitCode);
        Assert.Equal("error: --worst needs --report DIR (the worst images are shown in the HTML report).", misuse.StdErr.Trim());
        var misuse2 = CliRunner.Run("data", "stats", TrainingFixture.DatasetYaml, "--samples", "3");
        Assert.Equal(1, misuse2.ExitCode);
        Assert.Single(misuse2.StdErr.Trim().Split('\n'));
    }

    [ChromiumFact]
    public void BothReportsOpenInChromiumWithEveryImageLoadedAndNoErrors()
    {
        var made = Reports.Value;
        Assert.True(made.Eval.ExitCode == 0 && made.Stats.ExitCode == 0, made.Eval + "\n" + made.Stats);
        foreach (var (page, images) in new[] { (made.EvalReport, 2 + 4 * 3), (made.DataReport, 2 * (2 + 4)) })
        {
            var check = HeadlessChromium.Open(page);
            output.WriteLine($"{page}: {check.Images} images, {check.BrokenImages.Count} broken, {check.Errors.Count} errors");
            Assert.Equal(images, check.Images);
            Assert.Empty(check.BrokenImages);
            Assert.Empty(check.Errors);
        }
    }

    [ChromiumFact]
    public void TheProbeSeesABrokenImageAndAConsoleError()
    {
        // The browser check must be able to fail: a page with a broken picture and a script error.
        string dir = TestPaths.NewTempDir("broken-page");
        string page = Path.Combine(dir, "broken.html");
        File.WriteAllText(page, """
            <!DOCTYPE html><html><head><meta charset="utf-8"><title>broken</title></head>
            <body><img src="data:image/png;base64,AAAA" alt="bad"><img src="missing.png" alt="missing"><script>console.error("boom"); undefinedFunction();</script></body></html>
            """);
        var check = HeadlessChromium.Open(page);
        Assert.Equal(2, check.Images);
        Assert.Equal(["bad", "missing"], check.BrokenImages.Order());
        Assert.Contains(check.Errors, e => e.Contains("boom"));
        Assert.Contains(check.Errors, e => e.Contains("undefinedFunction"));
    }
}
