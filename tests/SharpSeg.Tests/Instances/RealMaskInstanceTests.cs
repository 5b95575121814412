using System.Text.Json;
using SharpSeg.Data.Dataset;
using SharpSeg.Data.Masks;
using SharpSeg.Instances;
using Xunit;

namespace SharpSeg.Tests.Instances;

/// <summary>Instances of real CamVid val masks against scipy.ndimage (fixture and script in the repository); skipped,
/// with the reason, where the shared datasets are absent.</summary>
public sealed class RealMaskInstanceTests
{
    [SharedDatasetFact("camvid/val/masks")]
    public void CamVid_val_cars_pedestrians_and_bicyclists_match_scipy_counts_areas_and_centroids()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "tests", "SharpSeg.Tests", "Fixtures", "instances", "camvid-val-counts.json")));
        var spec = DatasetSpec.Load(Path.Combine(TestPaths.RepoRoot, "configs", "datasets", "camvid.yaml"), Path.Combine(TestPaths.SharedDatasets!, "camvid"));
        var decoder = new MaskDecoder(spec);
        var options = new InstanceOptions { ThingClasses = ["Car", "Pedestrian", "Bicyclist"], MinArea = 20 }.Resolve(spec.Classes, "camvid.yaml");
        int images = 0;
        foreach (var image in doc.RootElement.GetProperty("images").EnumerateArray())
        {
            string name = image.GetProperty("mask").GetString()!;
            var mask = decoder.Decode(Path.Combine(TestPaths.SharedDatasets!, "camvid", "val", "masks", name));
            var result = InstanceExtraction.Extract(mask, options);
            foreach (var cls in image.GetProperty("classes").EnumerateObject())
            {
                var mine = result.Instances.Where(i => i.ClassName == cls.Name).ToList();
                var expectedAreas = cls.Value.GetProperty("areas").EnumerateArray().Select(a => a.GetInt64()).ToList();
                Assert.True(expectedAreas.SequenceEqual(mine.Select(i => i.Area).Order()), $"{name} {cls.Name}: areas [{string.Join(", ", mine.Select(i => i.Area).Order())}], scipy [{string.Join(", ", expectedAreas)}]");
                if (cls.Value.TryGetProperty("largest_centroid", out var c))
                {
                    var largest = mine.OrderByDescending(i => i.Area).ThenBy(i => i.Id).First();
                    Assert.Equal(c[0].GetDouble(), largest.Centroid[0], tolerance: 1e-5); // the fixture rounds to 6 decimals
                    Assert.Equal(c[1].GetDouble(), largest.Centroid[1], tolerance: 1e-5);
                }
            }
            images++;
        }
        Assert.Equal(8, images);
    }
}
