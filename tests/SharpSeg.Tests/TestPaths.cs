namespace SharpSeg.Tests;

/// <summary>Where the shared real datasets are (../shared/datasets relative to the repository root), and temp folders.</summary>
public static class TestPaths
{
    public static string RepoRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir != null && !File.Exists(Path.Combine(dir.FullName, "SharpSeg.sln"))) dir = dir.Parent;
            return dir?.FullName ?? throw new InvalidOperationException("cannot find SharpSeg.sln above " + AppContext.BaseDirectory);
        }
    }

    /// <summary>../shared/datasets next to the repository, or SHARPSEG_DATASETS; null when absent.</summary>
    public static string? SharedDatasets
    {
        get
        {
            string? env = Environment.GetEnvironmentVariable("SHARPSEG_DATASETS");
            string path = env ?? Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "datasets"));
            return Directory.Exists(path) ? path : null;
        }
    }

    /// <summary>A fresh empty temp folder for one test, inside this test run's folder.</summary>
    public static string NewTempDir(string name)
    {
        string dir = Path.Combine(RunFolder.Value, name + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>
    /// <c>TMP/sharpseg-tests/run-PID-TIME</c>: every temp folder of this test process. It is deleted when the process
    /// exits (set SHARPSEG_KEEP_TEST_FILES=1 to keep it for a look), and folders of runs whose process is gone (killed
    /// runs) are deleted when the next run starts: a suite run writes a few GB, which used to pile up until the disk
    /// was full.
    /// </summary>
    static readonly Lazy<string> RunFolder = new(() =>
    {
        string root = Path.Combine(Path.GetTempPath(), "sharpseg-tests");
        Directory.CreateDirectory(root);
        foreach (var old in Directory.GetDirectories(root, "run-*"))
        {
            var parts = Path.GetFileName(old).Split('-');
            if (parts.Length < 3 || !int.TryParse(parts[1], out int pid) || ProcessIsAlive(pid)) continue;
            try { Directory.Delete(old, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
        string dir = Path.Combine(root, $"run-{Environment.ProcessId}-{DateTime.UtcNow:yyyyMMddHHmmss}");
        Directory.CreateDirectory(dir);
        if (Environment.GetEnvironmentVariable("SHARPSEG_KEEP_TEST_FILES") != "1")
            AppDomain.CurrentDomain.ProcessExit += (_, _) =>
            {
                try { Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            };
        return dir;
    });

    static bool ProcessIsAlive(int pid)
    {
        try { using var p = System.Diagnostics.Process.GetProcessById(pid); return !p.HasExited; }
        catch (ArgumentException) { return false; }
        catch (InvalidOperationException) { return false; }
    }
}
