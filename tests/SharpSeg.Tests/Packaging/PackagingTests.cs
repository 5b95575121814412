using System.IO.Compression;
using System.Xml.Linq;
using SharpSeg.Inference;
using SharpSeg.Tests.Segmenting;
using Xunit;
using Xunit.Abstractions;

namespace SharpSeg.Tests.Packaging;

/// <summary>
/// THE PACKAGING TESTS (about 1–2 minutes together: one Release pack of both packages, one consumer build, one tool
/// install). What a .NET team does with SharpSeg: reference the NuGet package from a fresh console project that restores
/// it from a folder feed (and gets working TorchSharp on Debian 12 through the package's buildTransitive/ fixes), and
/// install the CLI as a dotnet tool.
/// </summary>
[Trait("Category", "Packaging")]
public sealed class PackagingTests(PackageFeedFixture feed, ITestOutputHelper output) : IClassFixture<PackageFeedFixture>
{
    [Fact]
    public void The_library_package_carries_the_readme_licence_docs_symbols_and_the_TorchSharp_fixes()
    {
        output.WriteLine($"pack of both packages: {feed.PackSeconds:F0} s");
        using var zip = ZipFile.OpenRead(feed.LibraryPackage);
        var entries = zip.Entries.Select(e => e.FullName).ToHashSet();
        foreach (var expected in new[]
                 {
                     "README.md", "lib/net10.0/SharpSeg.dll", "lib/net10.0/SharpSeg.xml",
                     "buildTransitive/SharpSeg.targets", "buildTransitive/TorchSharpFixes.targets",
                     "buildTransitive/KeepTorchSharpHandlesAlive.cs", "buildTransitive/MarkElfVersionNeedWeak.cs", "buildTransitive/Mono.Cecil.dll",
                 })
            Assert.True(entries.Contains(expected), $"{expected} missing from {feed.LibraryPackage}: {string.Join(", ", entries.Order())}");
        using (var nuspec = zip.GetEntry("SharpSeg.nuspec")!.Open())
        {
            var metadata = XDocument.Load(nuspec).Root!.Elements().First(e => e.Name.LocalName == "metadata");
            string Value(string name) => metadata.Elements().First(e => e.Name.LocalName == name).Value;
            Assert.Equal("MIT", Value("license"));
            Assert.Equal("README.md", Value("readme"));
            Assert.Equal(feed.Version, Value("version"));
            var dependencies = metadata.Descendants().Where(e => e.Name.LocalName == "dependency").Select(e => e.Attribute("id")!.Value).ToList();
            Assert.Contains("TorchSharp", dependencies);
            Assert.Contains("libtorch-cpu-linux-x64", dependencies);
        }
        string symbols = Path.ChangeExtension(feed.LibraryPackage, ".snupkg");
        Assert.True(File.Exists(symbols), $"no symbol package {symbols}");
        using var snupkg = ZipFile.OpenRead(symbols);
        Assert.Contains(snupkg.Entries, e => e.FullName == "lib/net10.0/SharpSeg.pdb");
    }

    [Fact]
    public void A_fresh_console_project_restores_the_package_and_segments_with_a_checkpoint_and_an_onnx_model()
    {
        string work = TestPaths.NewTempDir("nuget-consumer");
        try { ConsumerSegments(work); }
        finally { Remove(work); }
    }

    void ConsumerSegments(string work)
    {
        feed.WriteNuGetConfig(work);
        File.WriteAllText(Path.Combine(work, "Consumer.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="SharpSeg" Version="{feed.Version}" />
              </ItemGroup>
            </Project>
            """);
        // The README's usage, checked against masks the test computed in process.
        File.WriteAllText(Path.Combine(work, "Program.cs"), """
            using SharpSeg.Inference;

            // args: image, expected class-index PNG, then model files (.ckpt, .onnx)
            if (!SharpSeg.Engine.TorchRuntime.HandlesKeptAlive) { Console.Error.WriteLine("TorchSharp.dll lacks the keep-alive fix"); return 2; }
            byte[] expected = File.ReadAllBytes(args[1]);
            foreach (var model in args.Skip(2))
            {
                using var segmenter = Segmenter.Load(model);
                var result = segmenter.Segment(args[0]);
                bool same = result.MaskPng().AsSpan().SequenceEqual(expected);
                Console.WriteLine($"{Path.GetExtension(model)} {segmenter.Backend}: {result.Width}x{result.Height}, mask {(same ? "equal" : "DIFFERENT")}, " +
                                  string.Join(", ", result.Classes.Select(c => $"{c.Name} {c.Share:P1}")));
                if (!same) return 1;
                File.WriteAllBytes(Path.ChangeExtension(model, ".overlay.png"), result.OverlayPng(0.5));
            }
            return 0;
            """);
        string image = Path.Combine(SegmenterFixture.Images, "odd.png");
        string expectedMask = Path.Combine(work, "expected_mask.png");
        using (var segmenter = Segmenter.Load(SegmenterFixture.Checkpoint))
        {
            var expected = segmenter.Segment(image);
            Assert.True(expected.ClassMap.Labels.Distinct().Count() >= 2, "the fixture mask has a single class");
            File.WriteAllBytes(expectedMask, expected.MaskPng());
        }
        string ckpt = Path.Combine(work, "model.ckpt"), onnx = Path.Combine(work, "model.onnx");
        File.Copy(SegmenterFixture.Checkpoint, ckpt);
        File.Copy(SegmenterFixture.Onnx, onnx);

        var started = DateTime.UtcNow;
        DotnetProcess.Ok(work, "dotnet", "build", "-c", "Release", "-nodeReuse:false");
        output.WriteLine($"consumer restore + build: {(DateTime.UtcNow - started).TotalSeconds:F0} s");
        var run = DotnetProcess.Run(work, "dotnet", Path.Combine(work, "bin", "Release", "net10.0", "Consumer.dll"), image, expectedMask, ckpt, onnx);
        output.WriteLine(run.Output);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains(".ckpt TorchSharp", run.Output);
        Assert.Contains(".onnx ONNX Runtime", run.Output);
        Assert.Equal(2, run.Output.Split('\n').Count(l => l.Contains("mask equal")));
        Assert.True(File.Exists(Path.ChangeExtension(onnx, ".overlay.png")));
        // The keep-alive fix came from the package's buildTransitive/ targets: the consumer's TorchSharp.dll is a patched
        // copy. (The shim fix shows in the run itself: on Debian 12 an unpatched libLibTorchSharp.so does not load.)
        string consumerDll = Path.Combine(work, "bin", "Release", "net10.0", "TorchSharp.dll");
        Assert.NotEqual(File.ReadAllBytes(CachedTorchSharp()), File.ReadAllBytes(consumerDll));
    }

    /// <summary>Removes a throwaway folder (a consumer's bin/ or a tool path holds about 1 GB of libtorch).</summary>
    static void Remove(string folder)
    {
        try { Directory.Delete(folder, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    static string CachedTorchSharp()
    {
        string cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
                       ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        return Path.Combine(cache, "torchsharp", "0.107.0", "lib", "net8.0", "TorchSharp.dll");
    }

    [Fact]
    public void The_tool_installs_from_the_feed_and_runs_info_and_models()
    {
        string toolPath = TestPaths.NewTempDir("tool-path");
        string work = TestPaths.NewTempDir("tool-install");
        try { ToolRuns(toolPath, work); }
        finally { Remove(toolPath); Remove(work); }
    }

    void ToolRuns(string toolPath, string work)
    {
        feed.WriteNuGetConfig(work);
        var started = DateTime.UtcNow;
        DotnetProcess.Ok(work, "dotnet", "tool", "install", "--tool-path", toolPath, "--add-source", feed.Feed, "SharpSeg.Cli", "--version", feed.Version);
        output.WriteLine($"tool install: {(DateTime.UtcNow - started).TotalSeconds:F0} s");
        string sharpseg = Path.Combine(toolPath, "sharpseg");
        Assert.True(File.Exists(sharpseg), $"no {sharpseg} after install");

        var info = DotnetProcess.Run(work, sharpseg, "info");
        output.WriteLine(info.Output);
        Assert.True(info.ExitCode == 0, info.ToString());
        Assert.Contains("TorchSharp handles kept alive during libtorch calls: yes", info.Output);
        Assert.Contains("kernel check", info.Output);
        Assert.Contains("passed", info.Output);

        var models = DotnetProcess.Run(work, sharpseg, "models", "-a", "unet");
        Assert.True(models.ExitCode == 0, models.ToString());
        Assert.Contains("unet/resnet18", models.Output);

        // serve comes with the tool (ASP.NET Core is a shared framework of the .NET runtime): a missing model is its one-line error.
        var serve = DotnetProcess.Run(work, sharpseg, "serve", "--model", "missing.onnx");
        Assert.Equal(1, serve.ExitCode);
        Assert.Contains("missing.onnx: model file not found", serve.Output);

        var error = DotnetProcess.Run(work, sharpseg, "predict", "--checkpoint", "missing.ckpt", "--input", "x.png", "--out", "o");
        Assert.Equal(1, error.ExitCode);
        Assert.DoesNotContain("   at ", error.Output);
    }
}
