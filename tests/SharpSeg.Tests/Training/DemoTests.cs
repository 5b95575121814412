using Xunit;

namespace SharpSeg.Tests.Training;

[Collection(SequentialCollection.Name)]
public sealed class DemoTests
{
    [Fact]
    public void DemoRunsEndToEndAndSaysWhereEverythingIs()
    {
        // The full demo (40 epochs) is measured in docs/BENCHMARKS.md; here 2 epochs prove every stage runs and writes.
        string dir = TestPaths.NewTempDir("demo");
        var r = CliRunner.RunIn(dir, "demo", "--epochs", "2");
        Assert.True(r.ExitCode == 0, r.ToString());
        string outDir = Path.Combine(dir, "sharpseg-demo");
        foreach (var f in new[] { "data/dataset.yaml", "recipe.yaml", "run/best.ckpt", "run/last.ckpt", "run/metrics.jsonl", "metrics-val.json",
                     "predictions/scene_0000_mask.png", "predictions/scene_0000_color.png", "predictions/scene_0000_overlay.png" })
            Assert.True(File.Exists(Path.Combine(outDir, f)), f + " missing");
        Assert.Contains("mIoU", r.StdOut);
        Assert.Contains("predictions", r.StdOut);
        var again = CliRunner.RunIn(dir, "demo", "--epochs", "1");
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("already holds a demo run", again.StdErr);
    }
}
