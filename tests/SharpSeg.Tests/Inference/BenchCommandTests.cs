using SharpSeg.Tests.Training;
using SharpSeg.Training;
using Xunit;

namespace SharpSeg.Tests.Inference;

/// <summary><c>sharpseg bench</c> with several models: each row's GMACs are its own model's.</summary>
public sealed class BenchCommandTests
{
    [Fact]
    public void EachModelRowCountsItsOwnMacs()
    {
        string Train(int width)
        {
            string run = TestPaths.NewTempDir($"bench-{width}");
            return Trainer.Create(TrainingRecipe.Load(null, [.. TrainingFixture.TinyRecipe(TrainingFixture.DatasetYaml, iterations: 1, valEvery: 1), $"model.base_width={width}"]), run).Run().BestCheckpoint;
        }
        string small = Train(4), large = Train(16);
        string onnx = Path.Combine(Path.GetDirectoryName(large)!, "large.onnx");
        Assert.Equal(0, CliRunner.Run("export", "--checkpoint", large, "--out", onnx).ExitCode);
        var r = CliRunner.Run("bench", "--checkpoint", small, "--backends", "fused", "--onnx", onnx, "--size", "640x480", "--runs", "1", "--warmup", "0");
        Assert.True(r.ExitCode == 0, r.ToString());
        // The table's rows: backend │ size │ median │ min │ images/s │ GMACs │ …
        var gmacs = r.StdOut.Split('\n').Where(l => l.Contains("│ 640x480", StringComparison.Ordinal))
            .Select(l => double.Parse(l.Split('│')[6].Trim(), System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(2, gmacs.Count);
        Assert.True(gmacs[0] >= 0.01, $"the small model's count ({gmacs[0]}) must be large enough to compare");
        Assert.True(gmacs[1] > 4 * gmacs[0], $"base width 16 against 4 should cost about 16 times the MACs, got {gmacs[1]} and {gmacs[0]}");
    }
}
