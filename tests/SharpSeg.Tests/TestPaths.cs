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

    /// <summary>A fresh empty temp folder for one test.</summary>
    public static string NewTempDir(string name)
    {
        string dir = Path.Combine(Path.GetTempPath(), "sharpseg-tests", name + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        return dir;
    }
}
