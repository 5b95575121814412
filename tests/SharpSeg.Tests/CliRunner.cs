using System.Diagnostics;

namespace SharpSeg.Tests;

/// <summary>Runs the real `sharpseg` CLI as a separate process, as a user would, and captures its output.</summary>
public static class CliRunner
{
    public sealed record Result(int ExitCode, string StdOut, string StdErr)
    {
        public string All => StdOut + StdErr;
        public override string ToString() => $"exit {ExitCode}\n--- stdout ---\n{StdOut}\n--- stderr ---\n{StdErr}";

        /// <summary>The contract for a user error: exit code 1, one line on stderr that contains <paramref name="expected"/>,
        /// no stack trace.</summary>
        public void AssertOneLineError(string expected)
        {
            Xunit.Assert.True(ExitCode == 1, ToString());
            Xunit.Assert.Contains(expected, StdErr);
            Xunit.Assert.Single(StdErr.Trim().Split('\n'));
            Xunit.Assert.DoesNotContain("   at ", All);
        }
    }

    public static Result Run(params string[] args) => RunIn(null, args);

    /// <summary>
    /// stderr without the engine's set-up notices (<see cref="Engine.TorchRuntime.Notice"/>, lines starting
    /// "notice: "): on a CPU whose oneDNN kernels fail SharpSeg's check (AMD Zen 5 with AVX-512, for one) every command
    /// says so once on stderr before its own output. They are not part of any command's result, and the tests that a
    /// user error is one line are about the error, so they are left out here; EngineTests test the notice itself.
    /// </summary>
    public static string WithoutEngineNotices(string stderr) =>
        string.Join('\n', stderr.Split('\n').Where(line => !line.StartsWith("notice: ", StringComparison.Ordinal)));

    public static Result RunIn(string? workingDirectory, params string[] args)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "SharpSeg.Cli.dll");
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? AppContext.BaseDirectory,
        };
        psi.ArgumentList.Add("exec");
        psi.ArgumentList.Add(dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["NO_COLOR"] = "1";
        psi.Environment["COLUMNS"] = "200";
        psi.Environment.Remove("SHARPSEG_DEBUG");
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(10))) { p.Kill(true); throw new TimeoutException("sharpseg " + string.Join(' ', args)); }
        return new Result(p.ExitCode, stdout.Result, WithoutEngineNotices(stderr.Result));
    }
}
