using SharpSeg.Engine;
using TorchSharp;
using Xunit;

namespace SharpSeg.Tests;

public sealed class EngineTests
{
    [Fact]
    public void TorchLoadsAndComputes()
    {
        // Fails with "doesn't contain a reference to libtorch-cpu-linux-x64" if the libstdc++ fix did not run.
        using var a = torch.arange(6, dtype: torch.float32).reshape(2, 3);
        using var b = torch.ones(3, 2);
        using var c = a.matmul(b);
        Assert.Equal(new float[] { 3, 3, 12, 12 }, c.data<float>().ToArray());
    }

    [Fact]
    public void CudaRequestWithoutCudaIsAClearUserError()
    {
        if (torch.cuda.is_available()) return;
        var ex = Assert.Throws<SharpSegException>(() => TorchRuntime.ResolveDevice("cuda"));
        Assert.Contains("CUDA is not available", ex.Message);
    }

    [Fact]
    public void CliInfoRunsAndUnknownCommandFailsCleanly()
    {
        var ok = CliRunner.Run("info");
        Assert.True(ok.ExitCode == 0, ok.ToString());
        Assert.Contains("libtorch 2.10", ok.StdOut);
        var bad = CliRunner.Run("no-such-command");
        Assert.NotEqual(0, bad.ExitCode);
        Assert.DoesNotContain("   at ", bad.All);
    }
}
