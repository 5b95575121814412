using System.Diagnostics;
using Xunit;

namespace SharpSeg.Tests;

/// <summary>A test that runs PyTorch itself (Debian's python3-torch at /usr/bin/python3): skipped where it is not installed.</summary>
public sealed class PythonTorchFactAttribute : FactAttribute
{
    public const string Python = "/usr/bin/python3";

    private static readonly Lazy<bool> Available = new(() =>
    {
        if (!File.Exists(Python)) return false;
        try
        {
            using var p = Process.Start(new ProcessStartInfo(Python, ["-c", "import torch, numpy"]) { RedirectStandardError = true, RedirectStandardOutput = true })!;
            return p.WaitForExit(60_000) && p.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception) { return false; }
    });

    public PythonTorchFactAttribute()
    {
        if (!Available.Value) Skip = $"needs PyTorch: {Python} with torch and numpy (apt-get install python3-torch)";
    }
}
