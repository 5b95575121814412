using Xunit;

namespace SharpSeg.Tests.Models;

public sealed class ModelsCommandTests
{
    [Fact]
    public void ListsTheZooWithParameterCountsAndMacs()
    {
        var r = CliRunner.Run("models", "--architecture", "lraspp", "--flops", "--size", "64");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("lraspp/mobilenet_v3_large", r.StdOut);
        Assert.Contains("3,221,538", r.StdOut);
        Assert.Contains("GMACs", r.StdOut);
    }

    [Fact]
    public void UnknownNamesAreOneLineErrors()
    {
        var r = CliRunner.Run("models", "--encoder", "resnet999");
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("resnet50", r.All);
        Assert.DoesNotContain("   at ", r.All);
    }
}
