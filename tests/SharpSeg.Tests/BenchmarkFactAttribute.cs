using Xunit;

namespace SharpSeg.Tests;

/// <summary>A benchmark: skipped unless the environment sets SHARPSEG_BENCH=1 (measurements are not tests; see DESIGN.md).</summary>
public sealed class BenchmarkFactAttribute : FactAttribute
{
    public BenchmarkFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("SHARPSEG_BENCH") != "1") Skip = "benchmark: set SHARPSEG_BENCH=1 to run";
    }
}
