using Xunit;

namespace SharpSeg.Tests;

/// <summary>
/// Tests that must not run beside others: libtorch's global RNG (dropout) is shared by every thread, so a test beside
/// the exact-resume test would change the random stream it compares; and peak-memory measurements are process-wide.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SequentialCollection
{
    public const string Name = "Sequential";
}
