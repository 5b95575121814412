using SharpSeg.Imaging;
using Xunit;

namespace SharpSeg.Tests.Imaging;

/// <summary>The one command-line size parser: WIDTHxHEIGHT, and HEIGHTxWIDTH where a command always took it so.</summary>
public sealed class SizeSpecTests
{
    [Theory]
    [InlineData("480x360", 480, 360)]
    [InlineData("480X360", 480, 360)]
    [InlineData(" 320,240 ", 320, 240)]
    [InlineData("224", 224, 224)]
    public void ParseReadsWidthFirst(string text, int width, int height)
    {
        Assert.Equal(new SizeSpec(width, height), SizeSpec.Parse(text, "--size"));
        Assert.Equal(new SizeSpec(height, width), SizeSpec.ParseHeightByWidth(text, "--crop"));
    }

    [Theory]
    [InlineData("0x5")]
    [InlineData("64x0")]
    [InlineData("axb")]
    [InlineData("-3x4")]
    [InlineData("1x2x3")]
    [InlineData("")]
    [InlineData("12.5x3")]
    public void BadSizesAreOneLineErrorsNamingTheOption(string text)
    {
        var e = Assert.Throws<SharpSegException>(() => SizeSpec.Parse(text, "--size"));
        Assert.StartsWith("--size '", e.Message);
        Assert.Contains("WIDTHxHEIGHT", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void ASquareIsRefusedWhereTheCommandNeedsBothSides()
    {
        var e = Assert.Throws<SharpSegException>(() => SizeSpec.Parse("128", "--size", allowSquare: false));
        Assert.Contains("e.g. --size 480x360", e.Message);
        Assert.Equal("480x360", new SizeSpec(480, 360).ToString());
    }
}
