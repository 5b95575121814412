using SharpSeg.Curation;
using SharpSeg.Inference;
using Xunit;
using SharpSeg.Curation.Selection;

namespace SharpSeg.Tests.Inference;

/// <summary>Issue 17: options that only a checkpoint (or class scores) can use are refused, not ignored.</summary>
public sealed class CheckpointOnlyOptionTests
{
    static void RefusedInOneLine(string mention, params string[] args)
    {
        var r = CliRunner.Run(args);
        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.Single(r.StdErr.Trim().Split('\n'));
        Assert.Contains(mention, r.StdErr);
        Assert.DoesNotContain("   at ", r.All);
    }

    [Fact]
    public void DeviceAndEagerAreRefusedForOnnxModels()
    {
        Assert.Throws<SharpSegException>(() => ModelFile.RefuseCheckpointOnlyOptions("m.onnx", "cuda", false));
        Assert.Throws<SharpSegException>(() => ModelFile.RefuseCheckpointOnlyOptions("m.ONNX", "cpu", true));
        ModelFile.RefuseCheckpointOnlyOptions("m.onnx", "cpu", false);
        ModelFile.RefuseCheckpointOnlyOptions("m.ckpt", "cuda", true);
        RefusedInOneLine("--device", "predict", "--model", "m.onnx", "--input", "x.png", "--out", "o", "--device", "cuda");
        RefusedInOneLine("--eager", "predict", "--model", "m.onnx", "--input", "x.png", "--out", "o", "--eager");
        RefusedInOneLine("--eager", "eval", "--model", "m.onnx", "--data", "d.yaml", "--eager");
        RefusedInOneLine("--device", "eval", "--model", "m.onnx", "--data", "d.yaml", "--device", "auto");
        RefusedInOneLine("--device", "bench", "--onnx", "m.onnx", "--device", "cuda");
    }

    [Fact]
    public void ClassTargetWithoutScoresOrClassBalanceIsRefused()
    {
        Assert.Throws<SharpSegException>(() => ClassTargets.RefuseUnused("Pole=3", hasScores: false, StrategyMix.Parse("class-balance")));
        Assert.Throws<SharpSegException>(() => ClassTargets.RefuseUnused("Pole=3", hasScores: true, StrategyMix.Parse("uncertainty")));
        ClassTargets.RefuseUnused("Pole=3", hasScores: true, StrategyMix.Parse("uncertainty:0.5,class-balance:0.5"));
        ClassTargets.RefuseUnused(null, hasScores: false, StrategyMix.Parse("diversity"));
        RefusedInOneLine("--scores", "curate", "--embeddings", "e.npy", "--out", "s.csv", "--strategy", "class-balance", "--class-target", "Pole=3");
        RefusedInOneLine("class-balance", "curate", "--embeddings", "e.npy", "--out", "s.csv", "--scores", "s.scores.csv", "--class-target", "Pole=3");
    }
}
