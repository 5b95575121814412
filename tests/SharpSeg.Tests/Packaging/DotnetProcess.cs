using System.Diagnostics;

namespace SharpSeg.Tests.Packaging;

/// <summary>Runs <c>dotnet</c> (or a program) as a separate process for the packaging tests, with the MSBuild variables
/// of the test host removed (they would point a child build at the test host's SDK state) and no build server left
/// behind.</summary>
public static class DotnetProcess
{
    public sealed record Result(string Command, int ExitCode, string Output)
    {
        public override string ToString() => $"{Command}: exit {ExitCode}\n{Output}";
    }

    public static Result Run(string workingDirectory, string program, params string[] args)
    {
        var psi = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var key in psi.Environment.Keys.Where(k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase) || k == "DOTNET_HOST_PATH").ToList())
            psi.Environment.Remove(key);
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        psi.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        psi.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        psi.Environment["NO_COLOR"] = "1";
        psi.Environment["COLUMNS"] = "200";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        string command = program + " " + string.Join(' ', args);
        if (!p.WaitForExit(TimeSpan.FromMinutes(10))) { p.Kill(true); throw new TimeoutException(command); }
        return new Result(command, p.ExitCode, stdout.Result + stderr.Result);
    }

    public static Result Ok(string workingDirectory, string program, params string[] args)
    {
        var r = Run(workingDirectory, program, args);
        if (r.ExitCode != 0) throw new InvalidOperationException(r.ToString());
        return r;
    }
}
