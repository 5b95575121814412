using SharpSeg.Tests.Data;
using Xunit;

namespace SharpSeg.Tests;

/// <summary>A file name is the user's data: printed, it must not drive the terminal.</summary>
public sealed class TerminalTextTests
{
    [Fact]
    public void ControlCharactersBecomeVisibleEscapes()
    {
        Assert.Equal("a\\x1B[2Jb\\x07c d\\u202Ee\\x9B", TerminalText.Clean("a\u001b[2Jb\u0007c\nd\u202ee\u009b"));
        const string plain = "masks/ümlaut 1.png";
        Assert.Same(plain, TerminalText.Clean(plain));
        Assert.Equal("x: \\x1B]0;pwned\\x07", new SharpSegException("x: \u001b]0;pwned\u0007").Message);
    }

    [Fact]
    public void AnEscapeInAFileNameNeverReachesTheTerminal()
    {
        var d = new TinyDataset("escape-name");
        string name = "evil\u001b]0;owned\u0007\u001b[31m";
        d.Image($"img/{name}.png");
        Directory.CreateDirectory(d.PathOf("lbl"));
        File.WriteAllBytes(d.PathOf($"lbl/{name}.png"), [1, 2, 3]); // not an image: 'data check' names it
        string yaml = d.Yaml("splits:\n  train: { images: img, masks: lbl }\nclasses: [{ name: a }, { name: b }]\n");
        var check = CliRunner.Run("data", "check", yaml);
        Assert.Equal(1, check.ExitCode);
        Assert.Contains("evil\\x1B]0;owned\\x07\\x1B[31m.png", check.StdOut);
        Assert.DoesNotContain('\u001b', check.All);
        var predict = CliRunner.Run("predict", "--checkpoint", Path.Combine(d.Root, "missing\u001b[2J.ckpt"), "--input", d.PathOf("img"), "--out", d.PathOf("out"));
        Assert.Equal(1, predict.ExitCode);
        Assert.Contains("missing\\x1B[2J.ckpt", predict.StdErr);
        Assert.DoesNotContain('\u001b', predict.All);
    }
}
