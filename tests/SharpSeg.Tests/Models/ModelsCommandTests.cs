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
    public void ListsSegFormerAndHRNetWithTheirOfficialCounts()
    {
        var r = CliRunner.Run("models", "--architecture", "segformer", "--classes", "150");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("segformer/mit_b0", r.StdOut);
        Assert.Contains("3,752,694", r.StdOut);
        Assert.Contains("13,715,798", r.StdOut);
        r = CliRunner.Run("models", "--encoder", "hrnet_w18_small", "--classes", "19");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("3,939,579", r.StdOut);
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
