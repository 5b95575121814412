using SharpSeg.Cli;
using Xunit;

namespace SharpSeg.Tests;

/// <summary>How the CLI turns exceptions into one line and an exit code.</summary>
[Collection(SequentialCollection.Name)]
public sealed class ErrorReporterTests
{
    static (int Code, string StdErr) Report(Exception e)
    {
        var stderr = Console.Error;
        var captured = new StringWriter();
        try
        {
            Console.SetError(captured);
            return (ErrorReporter.Report(e), captured.ToString());
        }
        finally { Console.SetError(stderr); }
    }

    [Fact]
    public void A_full_disk_is_a_user_error_in_one_line_not_a_bug()
    {
        // What a checkpoint write on a full disk threw during a stress run (errno 28 on Linux).
        var (code, text) = Report(new IOException("No space left on device : '/runs/x/last.ckpt.tmp-19483-21A43538F66F91EE'", 28));
        Assert.Equal(ErrorReporter.UserError, code);
        Assert.Single(text.Trim().Split('\n'));
        Assert.Contains("the disk is full", text);
        Assert.DoesNotContain("internal error", text);
        Assert.True(ErrorReporter.IsDiskFull(new IOException("write failed", OperatingSystem.IsWindows() ? unchecked((int)0x80070070) : 122)));
        // Other I/O errors stay what they were: a bug report, exit 70.
        Assert.False(ErrorReporter.IsDiskFull(new IOException("Directory not empty", 39)));
        Assert.Equal(ErrorReporter.InternalError, Report(new IOException("Directory not empty", 39)).Code);
    }
}
