using SharpSeg;
using Spectre.Console;
using Spectre.Console.Cli;

namespace SharpSeg.Cli;

/// <summary>Turns any exception into one line on stderr and an exit code; stack traces only with SHARPSEG_DEBUG=1.</summary>
public static class ErrorReporter
{
    /// <summary>Exit code for a user error (bad input, bad arguments, problems found in data).</summary>
    public const int UserError = 1;
    /// <summary>Exit code for a bug in SharpSeg itself.</summary>
    public const int InternalError = 70;

    public static int Report(Exception ex)
    {
        bool debug = Environment.GetEnvironmentVariable("SHARPSEG_DEBUG") == "1";
        var err = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        // One line means one line: never wrap the message at the terminal width (80 columns when redirected).
        err.Profile.Width = int.MaxValue / 4;
        // Parallel work (the data generator, the loaders) wraps what went wrong: report the cause, not the wrapper.
        if (ex is AggregateException aggregate) ex = Cause(aggregate);
        switch (ex)
        {
            case SharpSegException user:
                err.MarkupLine($"[red]error:[/] {ConsoleOutput.Escape(OneLine(user.Message))}");
                if (user.Details != null) err.WriteLine(user.Details);
                if (debug) err.WriteException(ex);
                return UserError;
            case CommandAppException cli:
                err.MarkupLine($"[red]error:[/] {ConsoleOutput.Escape(OneLine(cli.Message))} (see 'sharpseg --help')");
                return UserError;
            case IOException io when IsDiskFull(io):
                // Not a bug: the disk (or the user's quota) is full. The atomic writers have removed their temp files.
                err.MarkupLine($"[red]error:[/] {ConsoleOutput.Escape(OneLine(io.Message))}: the disk is full; free some space, or write to a folder on another disk (--out), and run the command again.");
                if (debug) err.WriteException(ex);
                return UserError;
            case Exception oom when IsOutOfMemory(oom):
                // Not a bug: the machine ran out of memory (libtorch's allocator, or .NET's). Its native stack helps nobody.
                err.MarkupLine($"[red]error:[/] out of memory{OomSize(oom)}: use less at once: a smaller --tile for large images (e.g. --tile 512), a smaller train.batch_size or crop, fewer --copies or workers, or a machine with more memory.");
                if (debug) err.WriteException(ex);
                return UserError;
            case OperationCanceledException:
                err.MarkupLine("[yellow]cancelled[/]");
                return 130;
            default:
                err.MarkupLine($"[red]internal error:[/] {ConsoleOutput.Escape(OneLine(ex.GetType().Name + ": " + ex.Message))} (a bug in SharpSeg: rerun with SHARPSEG_DEBUG=1 for the stack trace and report it)");
                if (debug) err.WriteException(ex);
                return InternalError;
        }
    }

    /// <summary>The one exception an <see cref="AggregateException"/> stands for: the first user error among its inner
    /// ones (a <see cref="SharpSegException"/> or a full disk), or else its first inner exception.</summary>
    public static Exception Cause(AggregateException aggregate)
    {
        var inner = aggregate.Flatten().InnerExceptions;
        if (inner.Count == 0) return aggregate;
        return inner.FirstOrDefault(e => e is SharpSegException || e is OperationCanceledException || (e is IOException io && IsDiskFull(io))) ?? inner[0];
    }

    /// <summary>True for the errors of a full disk or quota (ENOSPC 28 and EDQUOT 122 on Linux; ERROR_DISK_FULL and
    /// ERROR_HANDLE_DISK_FULL on Windows), by code or, where the runtime keeps only the text, by message.</summary>
    public static bool IsDiskFull(IOException e) =>
        (OperatingSystem.IsWindows() ? e.HResult is unchecked((int)0x80070070) or unchecked((int)0x80070027) : e.HResult is 28 or 122)
        || e.Message.Contains("No space left on device", StringComparison.OrdinalIgnoreCase)
        || e.Message.Contains("Disk quota exceeded", StringComparison.OrdinalIgnoreCase)
        || e.Message.Contains("not enough space on the disk", StringComparison.OrdinalIgnoreCase);

    /// <summary>True for running out of memory: .NET's <see cref="OutOfMemoryException"/>, or libtorch's CPU allocator
    /// ("DefaultCPUAllocator: can't allocate memory") and CUDA's ("CUDA out of memory") through TorchSharp.</summary>
    public static bool IsOutOfMemory(Exception e) =>
        e is OutOfMemoryException
        || e.Message.Contains("can't allocate memory", StringComparison.Ordinal)
        || e.Message.Contains("CUDA out of memory", StringComparison.Ordinal);

    /// <summary>" (N MB asked for)" when libtorch's message says how much, else "".</summary>
    static string OomSize(Exception e)
    {
        var m = System.Text.RegularExpressions.Regex.Match(e.Message, @"allocate (\d+) bytes");
        return m.Success && long.TryParse(m.Groups[1].Value, out long bytes) ? $" ({bytes / 1048576.0:F0} MB asked for)" : "";
    }

    // One line, and no terminal escapes from file names in it.
    static string OneLine(string s) => TerminalText.Clean(s).Trim();
}
