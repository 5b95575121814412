using SharpSeg.IO;
using Xunit;

namespace SharpSeg.Tests.IO;

public sealed class AtomicFileTests
{
    [Fact]
    public void WritesLeaveNoTempAndLeftoversOfAKilledWriterAreRemovedPerFileOrPerFolder()
    {
        string dir = TestPaths.NewTempDir("atomic");
        string a = Path.Combine(dir, "a.ckpt"), b = Path.Combine(dir, "b.ckpt");
        AtomicFile.WriteAllText(a, "new");
        Assert.Equal("new", File.ReadAllText(a));
        Assert.Empty(Directory.GetFiles(dir, "*" + AtomicFile.TempMarker + "*"));

        // What a SIGKILL during Write leaves: temp files beside their targets.
        File.WriteAllText(a + AtomicFile.TempMarker + "1-2", "half");
        File.WriteAllText(b + AtomicFile.TempMarker + "3-4", "half");
        File.WriteAllText(Path.Combine(dir, "notes.txt"), "keep");
        Assert.Equal(1, AtomicFile.RemoveLeftoversOf(a));
        Assert.True(File.Exists(b + AtomicFile.TempMarker + "3-4"));
        Assert.Equal(1, AtomicFile.RemoveLeftovers(dir));
        Assert.Equal(new[] { "a.ckpt", "notes.txt" }, Directory.GetFiles(dir).Select(Path.GetFileName).Order().ToArray());
    }
}
