using System.Reflection;
using Xunit;

namespace SharpSeg.Tests;

/// <summary>
/// Tests that must not run beside others. libtorch has one global random generator, shared by every thread: a test
/// beside the exact-resume test would change the random stream it compares, and a test whose check depends on the
/// initial weights it drew (a tiny model learning in a few steps, int8 agreeing with float32) would get other weights.
/// Peak-memory measurements and swaps of <see cref="Console.Error"/> are process-wide too.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SequentialCollection
{
    public const string Name = "Sequential";
}

public sealed class CollectionNameTests
{
    /// <summary>A <c>[Collection]</c> whose name matches no definition silently makes a collection of its own, which runs
    /// in parallel (<c>nameof(SequentialCollection)</c> once did that for a class that swaps the process's stderr).</summary>
    [Fact]
    public void Every_named_test_collection_is_defined()
    {
        var types = typeof(SequentialCollection).Assembly.GetTypes();
        var defined = types.SelectMany(t => t.GetCustomAttributesData())
            .Where(a => a.AttributeType == typeof(CollectionDefinitionAttribute) && a.ConstructorArguments.Count > 0)
            .Select(a => (string)a.ConstructorArguments[0].Value!).ToHashSet();
        var undefined = types.SelectMany(t => t.GetCustomAttributesData()
                .Where(a => a.AttributeType == typeof(CollectionAttribute))
                .Select(a => (Type: t, Name: (string)a.ConstructorArguments[0].Value!)))
            .Where(x => !defined.Contains(x.Name)).Select(x => $"{x.Type.Name}: [Collection(\"{x.Name}\")]").ToList();
        Assert.Contains(SequentialCollection.Name, defined);
        Assert.True(undefined.Count == 0, "collections without a definition: " + string.Join("; ", undefined));
    }
}
