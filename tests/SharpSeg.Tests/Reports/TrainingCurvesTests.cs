using System.Text.Json.Nodes;
using SharpSeg.Reports;
using SkiaSharp;
using Xunit;

namespace SharpSeg.Tests.Reports;

public sealed class TrainingCurvesTests
{
    [Fact]
    public void CurvesComeFromTheLogAndAResumedRunKeepsTheLastValuePerIteration()
    {
        string run = TestPaths.NewTempDir("curves");
        var lines = new List<string> { """{"kind":"start","iteration":0}""" };
        for (int i = 1; i <= 20; i++) lines.Add($$"""{"kind":"train","iteration":{{i}},"loss":{{2.0 / i}},"loss_avg":{{2.5 / i}},"lr":0.001}""");
        lines.Add("""{"kind":"val","iteration":10,"miou":0.3,"pixel_accuracy":0.6,"mean_class_accuracy":0.4}""");
        // Killed after 15, resumed from the checkpoint at 10: iterations 11..15 are logged twice.
        lines.Add("""{"kind":"resume","iteration":10}""");
        for (int i = 11; i <= 15; i++) lines.Add($$"""{"kind":"train","iteration":{{i}},"loss":9,"loss_avg":9,"lr":0.001}""");
        lines.Add("""{"kind":"val","iteration":20,"miou":0.45,"pixel_accuracy":0.7,"mean_class_accuracy":0.5}""");
        lines.Add("""{"kind":"train","iteration":21,"loss":0.1""");   // torn last line of a killed run
        File.WriteAllLines(Path.Combine(run, "metrics.jsonl"), lines);

        var curves = TrainingCurves.FromLog(Path.Combine(run, "metrics.jsonl"));
        Assert.Equal(20, curves.TrainPoints);
        Assert.Equal(2, curves.ValidationPoints);
        var files = TrainingCurves.RenderRun(run);
        Assert.Equal(["loss.png", "val_miou.png", "lr.png"], files.Select(Path.GetFileName));
        foreach (var f in files)
        {
            Assert.Equal(Path.Combine(run, "curves"), Path.GetDirectoryName(f));
            using var bitmap = SKBitmap.Decode(f);
            Assert.Equal((900, 420), (bitmap.Width, bitmap.Height));
        }
        Assert.Throws<SharpSegException>(() => TrainingCurves.RenderRun(TestPaths.NewTempDir("no-run")));
    }

    [Fact]
    public void RecordsWithoutAnIterationOrOfOtherKindsAreIgnored()
    {
        var curves = new TrainingCurves();
        curves.Add(new JsonObject { ["kind"] = "train", ["loss"] = 1.0 });
        curves.Add(new JsonObject { ["kind"] = "end", ["iteration"] = 5 });
        curves.Add(new JsonObject { ["kind"] = "val", ["iteration"] = 5, ["miou"] = null });
        Assert.Equal(0, curves.TrainPoints);
        // In-memory records hold floats and ints (the trainer's loss is a float): they count like numbers read from the file.
        curves.Add(new JsonObject { ["kind"] = "train", ["iteration"] = 3, ["loss"] = 0.5f, ["loss_avg"] = 0.6f, ["lr"] = 1e-3 });
        Assert.Equal(1, curves.TrainPoints);
        Assert.Equal(1, curves.ValidationPoints);
        Assert.Equal(3, curves.Render(TestPaths.NewTempDir("curves-empty")).Count);
    }
}
