using PublicApiGenerator;
using SharpSeg.Imaging;
using SharpSeg.Inference;
using Xunit;

namespace SharpSeg.Tests.Segmenting;

/// <summary>
/// The public API a NuGet user writes against (<see cref="Segmenter"/> and the types it takes and returns), as C#
/// declarations, compared with the checked-in snapshot <c>Segmenting/PublicApi.approved.txt</c>: a change to it shows in
/// review as a change to that file. To accept an intended change, run
/// <c>SHARPSEG_ACCEPT_API=1 dotnet test tests/SharpSeg.Tests --filter PublicApiTests</c> (it rewrites the snapshot) and
/// commit the file.
/// </summary>
public sealed class PublicApiTests
{
    /// <summary>The surface of the package's front door. Types other engineers change for other reasons (the checkpoint
    /// format's <c>CheckpointInfo</c>, model configs) are named by it but not expanded here.</summary>
    static readonly Type[] Surface =
    [
        typeof(Segmenter), typeof(SegmenterOptions), typeof(SegmenterClass), typeof(SegmentationResult),
        typeof(InferenceOptions), typeof(BlendWindow), typeof(TestTimeAugmentation),
        typeof(PredictionSummary), typeof(PredictedClassShare),
        typeof(RgbImage), typeof(LabelMask), typeof(Rgb), typeof(ImageFile), typeof(PixelLimit), typeof(SharpSegException),
    ];

    public static string Generate() => typeof(Segmenter).Assembly.GeneratePublicApi(new ApiGeneratorOptions
    {
        IncludeTypes = Surface,
        IncludeAssemblyAttributes = false,
    }).ReplaceLineEndings("\n");

    [Fact]
    public void The_segmenter_API_matches_the_checked_in_snapshot()
    {
        string approved = Path.Combine(TestPaths.RepoRoot, "tests", "SharpSeg.Tests", "Segmenting", "PublicApi.approved.txt");
        string actual = Generate();
        if (Environment.GetEnvironmentVariable("SHARPSEG_ACCEPT_API") == "1")
        {
            File.WriteAllText(approved, actual);
            return;
        }
        string expected = File.Exists(approved) ? File.ReadAllText(approved).ReplaceLineEndings("\n") : "";
        if (expected == actual) return;
        string received = Path.ChangeExtension(approved, ".received.txt");
        File.WriteAllText(received, actual);
        Assert.Fail($"the public API of the Segmenter surface changed: compare {received} with {approved}; if the change is " +
                    "intended, accept it with SHARPSEG_ACCEPT_API=1 dotnet test tests/SharpSeg.Tests --filter PublicApiTests and commit the snapshot.");
    }

    [Fact]
    public void The_snapshot_names_the_segmenter_entry_points()
    {
        string api = Generate();
        Assert.Contains("public static SharpSeg.Inference.Segmenter Load(string path", api);
        Assert.Contains("public SharpSeg.Inference.SegmentationResult Segment(System.IO.Stream stream", api);
        Assert.Contains("SegmentAsync(System.Collections.Generic.IEnumerable<string> paths", api);
    }
}
