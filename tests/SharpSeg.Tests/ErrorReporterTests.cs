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

    [Fact]
    public void Parallel_work_that_fails_reports_its_cause_not_the_wrapper()
    {
        // What the demo's data generator threw on a full disk in CI: two writers failed inside Parallel.For.
        var full = new AggregateException(
            new IOException("No space left on device : '/tmp/demo/data/train/masks/scene_0120.png.tmp-737-ECE7'", 28),
            new IOException("No space left on device : '/tmp/demo/data/train/images/scene_0041.png.tmp-737-0D20'", 28));
        var (code, text) = Report(full);
        Assert.Equal(ErrorReporter.UserError, code);
        Assert.Single(text.Trim().Split('\n'));
        Assert.Contains("scene_0120.png", text);
        Assert.Contains("the disk is full", text);
        Assert.DoesNotContain("AggregateException", text);
        // A user error anywhere inside wins over a bug-looking sibling, and nested wrappers are flattened.
        var mixed = new AggregateException(new InvalidOperationException("a task was cancelled oddly"),
            new AggregateException(new SharpSegException("data/x.png: not a PNG; re-export it")));
        Assert.Contains("data/x.png: not a PNG", Report(mixed).StdErr);
        Assert.Equal(ErrorReporter.UserError, Report(mixed).Code);
        // A wrapped bug stays a bug, named by its own type.
        var bug = Report(new AggregateException(new NullReferenceException("boom")));
        Assert.Equal(ErrorReporter.InternalError, bug.Code);
        Assert.Contains("NullReferenceException: boom", bug.StdErr);
    }

    [Fact]
    public void Running_out_of_memory_is_a_user_error_in_one_line_without_the_native_stack()
    {
        // What libtorch threw through TorchSharp for a 24-megapixel image inferred whole under a 5 GB limit (audit).
        var torch = new System.Runtime.InteropServices.ExternalException("[enforce fail at alloc_cpu.cpp:127] data. DefaultCPUAllocator: can't allocate memory: you tried to allocate 288000000 bytes. Error code 12 (Cannot allocate memory)\nException raised from allocate at ...\nframe #0: c10::Error::Error(...)\nframe #1: ...");
        var (code, text) = Report(torch);
        Assert.Equal(ErrorReporter.UserError, code);
        Assert.Single(text.Trim().Split('\n'));
        Assert.Contains("error: out of memory (275 MB asked for): use less at once: a smaller --tile", text);
        Assert.DoesNotContain("frame #", text);
        Assert.Equal(ErrorReporter.UserError, Report(new OutOfMemoryException()).Code);
        Assert.Equal(ErrorReporter.InternalError, Report(new System.Runtime.InteropServices.ExternalException("some other native failure")).Code);
    }
}
