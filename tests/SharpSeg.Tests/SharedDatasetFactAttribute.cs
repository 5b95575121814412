using Xunit;

namespace SharpSeg.Tests;

/// <summary>
/// A test on the real shared datasets (../shared/datasets, or SHARPSEG_DATASETS): reported as skipped, with the reason,
/// when the folders it reads are absent, instead of passing without having checked anything.
/// </summary>
public sealed class SharedDatasetFactAttribute : FactAttribute
{
    /// <param name="folders">Folders under the datasets root that the test reads, e.g. "camvid/val".</param>
    public SharedDatasetFactAttribute(params string[] folders)
    {
        if (TestPaths.SharedDatasets is not { } root)
            Skip = "needs the shared datasets: ../shared/datasets beside the repository, or SHARPSEG_DATASETS";
        else if (folders.FirstOrDefault(f => !Directory.Exists(Path.Combine(root, f))) is { } missing)
            Skip = $"needs {Path.Combine(root, missing)}";
    }

    /// <summary>Skip also when SHARPSEG_DATASETS moves the data (for tests of the configs' relative roots).</summary>
    public bool NeedsTheDefaultLocation
    {
        get => false;
        init
        {
            if (value && Skip == null && Environment.GetEnvironmentVariable("SHARPSEG_DATASETS") != null)
                Skip = "SHARPSEG_DATASETS moves the data; the configs' relative roots point at ../shared/datasets";
        }
    }
}
