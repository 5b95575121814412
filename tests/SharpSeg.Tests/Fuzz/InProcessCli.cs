using System.Globalization;

namespace SharpSeg.Tests.Fuzz;

/// <summary>
/// Runs the `sharpseg` command line inside the test process (<see cref="Cli.CliApp.Run"/>, the same entry point as the
/// executable), capturing stderr, with a time limit, and measuring how much the process's resident memory grew at its
/// peak (Linux: the high-water mark is reset through /proc/self/clear_refs, so native allocations count too). Tests
/// that use it must run alone (<see cref="SequentialCollection"/>): stderr and the high-water mark are process-wide.
/// </summary>
public static class InProcessCli
{
    /// <param name="StdOut">What the command wrote to <see cref="Console.Out"/> (Spectre's own console keeps the stdout it first saw).</param>
    public sealed record Result(int ExitCode, string StdOut, string StdErr, long PeakGrowthBytes, TimeSpan Elapsed)
    {
        public IReadOnlyList<string> ErrorLines => CliRunner.WithoutEngineNotices(StdErr).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    static readonly Lock Gate = new();

    public static Result Run(TimeSpan timeout, params string[] args)
    {
        lock (Gate)
        {
            var err = new StringWriter();
            var outWriter = new StringWriter();
            var oldErr = Console.Error;
            var oldOut = Console.Out;
            bool measured = ResetPeak();
            long before = measured ? ReadStatusKb("VmRSS") : 0;
            long gcBefore = GC.GetTotalAllocatedBytes();
            var clock = System.Diagnostics.Stopwatch.StartNew();
            Console.SetError(err);
            Console.SetOut(outWriter);
            try
            {
                var run = Task.Run(() => Cli.CliApp.Run(args));
                if (!run.Wait(timeout)) throw new TimeoutException($"sharpseg {string.Join(' ', args)} did not finish in {timeout.TotalSeconds} s (a hang)");
                long growth = measured ? (ReadStatusKb("VmHWM") - before) * 1024 : GC.GetTotalAllocatedBytes() - gcBefore;
                return new Result(run.Result, outWriter.ToString(), err.ToString(), growth, clock.Elapsed);
            }
            finally { Console.SetError(oldErr); Console.SetOut(oldOut); }
        }
    }

    static bool ResetPeak()
    {
        try { File.WriteAllText("/proc/self/clear_refs", "5"); return true; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }

    static long ReadStatusKb(string field)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
                return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        throw new InvalidOperationException($"/proc/self/status has no {field}");
    }
}
