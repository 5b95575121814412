namespace SharpSeg.Tests.Packaging;

/// <summary>
/// One <c>dotnet pack</c> of the library (SharpSeg) and the tool (SharpSeg.Cli) into a temporary folder feed, shared
/// by the packaging tests. Each run packs a version of its own (0.1.0-test.…), so that the NuGet cache never serves a
/// package from an earlier run; those versions are removed from the cache afterwards.
/// </summary>
public sealed class PackageFeedFixture : IDisposable
{
    public PackageFeedFixture()
    {
        Version = $"0.1.0-test.{DateTime.UtcNow:yyyyMMddHHmmss}.{Environment.ProcessId}";
        Feed = TestPaths.NewTempDir("pack-feed");
        string root = TestPaths.RepoRoot;
        var started = DateTime.UtcNow;
        // The tool first: its pack builds the library in Release, which the library's pack then reuses. PackageVersion (not
        // Version) leaves the assemblies as they are, so an unchanged Release build is not compiled again.
        DotnetProcess.Ok(root, "dotnet", "pack", "src/SharpSeg.Cli", "-c", "Release", "-o", Feed, $"-p:PackageVersion={Version}", "-nodeReuse:false");
        DotnetProcess.Ok(root, "dotnet", "pack", "src/SharpSeg", "-c", "Release", "--no-build", "-o", Feed, $"-p:PackageVersion={Version}", "-nodeReuse:false");
        PackSeconds = (DateTime.UtcNow - started).TotalSeconds;
    }

    /// <summary>The version both packages were packed with.</summary>
    public string Version { get; }

    /// <summary>The folder feed holding SharpSeg.{Version}.nupkg/.snupkg and SharpSeg.Cli.{Version}.nupkg.</summary>
    public string Feed { get; }

    public double PackSeconds { get; }

    public string LibraryPackage => Path.Combine(Feed, $"SharpSeg.{Version}.nupkg");
    public string ToolPackage => Path.Combine(Feed, $"SharpSeg.Cli.{Version}.nupkg");

    /// <summary>A nuget.config for a throwaway project: this feed first, plus the user's usual sources (merged from the
    /// user-level config, which is how the repository restores everything else).</summary>
    public string WriteNuGetConfig(string folder)
    {
        string path = Path.Combine(folder, "nuget.config");
        File.WriteAllText(path, $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="sharpseg-test-feed" value="{Feed}" />
              </packageSources>
            </configuration>
            """);
        return path;
    }

    public void Dispose()
    {
        string cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
                       ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        foreach (var id in new[] { "sharpseg", "sharpseg.cli" })
        {
            string dir = Path.Combine(cache, id, Version.ToLowerInvariant());
            try { if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
        try { Directory.Delete(Feed, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
