using System.Reflection;
using Xunit.Sdk;

[assembly: SharpSeg.Tests.DeleteTestFolders]

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

    /// <summary>
    /// A fresh empty temp folder inside this test run's folder. Made while a test runs, it is deleted when that test
    /// ends (<see cref="DeleteTestFoldersAttribute"/>); made outside a test (a class fixture) or inside
    /// <see cref="SharedLazy"/>, it lives until the test process exits.
    /// </summary>
    public static string NewTempDir(string name)
    {
        string dir = Path.Combine(RunFolder.Value, name + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        if (ThisTest.Value is { } folders) lock (folders) folders.Add(dir);
        return dir;
    }

    /// <summary>A lazily made fixture that several tests share: the temp folders its factory makes outlive the test that
    /// happened to make it first, and are deleted when the process exits.</summary>
    public static Lazy<T> SharedLazy<T>(Func<T> make) => new(() =>
    {
        var test = ThisTest.Value;
        ThisTest.Value = null;
        try { return make(); }
        finally { ThisTest.Value = test; }
    });

    /// <summary>The temp folders of the test running in this async flow; null outside a test and inside shared fixtures.</summary>
    static readonly AsyncLocal<List<string>?> ThisTest = new();

    /// <summary>True while a test runs and its temp folders are deleted when it ends.</summary>
    public static bool TracksThisTest => ThisTest.Value != null;

    /// <summary>
    /// Starts a scope whose temp folders are deleted when it is disposed: xunit opens one around every test. The suite
    /// writes several GB in all (checkpoints, ONNX files, generated datasets); kept to the end of the run, that filled
    /// CI's disk. Nested scopes restore the outer one. SHARPSEG_KEEP_TEST_FILES=1 keeps everything.
    /// </summary>
    public static IDisposable TestScope()
    {
        var outer = ThisTest.Value;
        var folders = new List<string>();
        ThisTest.Value = folders;
        return new Scope(() =>
        {
            ThisTest.Value = outer;
            if (KeepFiles) return;
            string[] made;
            lock (folders) made = [.. folders];
            foreach (var dir in made)
                try { Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        });
    }

    sealed class Scope(Action end) : IDisposable
    {
        Action? _end = end;
        public void Dispose() => Interlocked.Exchange(ref _end, null)?.Invoke();
    }

    static bool KeepFiles => Environment.GetEnvironmentVariable("SHARPSEG_KEEP_TEST_FILES") == "1";

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
        if (!KeepFiles)
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

/// <summary>Applied to the whole assembly: every test runs inside a <see cref="TestPaths.TestScope"/>, so the temp
/// folders it makes are deleted when it ends. xunit calls Before and After in the test's own async flow (synchronously,
/// just around the test method), which is what carries the scope's AsyncLocal into the test.</summary>
[AttributeUsage(AttributeTargets.Assembly | AttributeTargets.Class | AttributeTargets.Method)]
public sealed class DeleteTestFoldersAttribute : BeforeAfterTestAttribute
{
    static readonly AsyncLocal<IDisposable?> Current = new();

    public override void Before(MethodInfo methodUnderTest) => Current.Value = TestPaths.TestScope();

    public override void After(MethodInfo methodUnderTest)
    {
        Current.Value?.Dispose();
        Current.Value = null;
    }
}
