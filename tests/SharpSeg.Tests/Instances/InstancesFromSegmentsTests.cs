using System.Text.Json;
using SharpSeg.Data.Dataset;
using SharpSeg.Imaging;
using SharpSeg.Instances;
using Xunit;

namespace SharpSeg.Tests.Instances;

/// <summary><see cref="InstanceExtraction.FromSegments"/>: a segment-id map (a mask-classification model's panoptic output)
/// turned into the instance outputs: thing segments are instances whatever their shape (one polygon per part), stuff
/// segments of a class merge, other classes and too-small instances are void, scores are kept, and the files read back.</summary>
public sealed class InstancesFromSegmentsTests
{
    static readonly ClassTable Table = new([
        new ClassInfo("road", new Rgb(128, 64, 128), 0), new ClassInfo("car", new Rgb(0, 0, 142), 1), new ClassInfo("tree", new Rgb(107, 142, 35), 2)]);

    // 6×4. Segment 1 (car) has two parts, 2 and 3 are road, 4 is tree (neither thing nor stuff here), 6 a one-pixel car.
    static readonly int[] Map =
    [
        1, 1, 0, 2, 2, 0,
        1, 1, 0, 0, 0, 0,
        3, 3, 3, 4, 0, 1,
        0, 6, 0, 4, 0, 1,
    ];

    static readonly SegmentInfo[] Segments = [new(1, 1, 0.9), new(2, 0, 0.8), new(3, 0, 0.7), new(4, 2, 0.95), new(6, 1, 0.99)];

    static ResolvedInstanceOptions Options(bool fillHoles = false) =>
        new InstanceOptions { ThingClasses = ["car"], StuffClasses = ["road"], MinArea = 2, FillHoles = fillHoles }.Resolve(Table, "test");

    [Fact]
    public void Thing_segments_become_instances_and_stuff_segments_merge_per_class()
    {
        var r = InstanceExtraction.FromSegments(Map, 6, 4, Segments, Options());
        Assert.Equal(InstanceExtraction.FromQueries, r.Method);
        var car = Assert.Single(r.Instances);
        Assert.Equal((1, "car", 6L), (car.Id, car.ClassName, car.Area));
        Assert.Equal([0, 0, 6, 4], car.BoundingBox);
        Assert.Equal(0.9, car.Score);
        Assert.Null(car.MeanConfidence);
        // One polygon per part, in raster order: the 2×2 square, then the 1×2 bar at x = 5.
        Assert.Equal(2, car.Polygon.Length);
        Assert.Equal([0, 0, 2, 0, 2, 2, 0, 2], car.Polygon[0]);
        Assert.Equal([5, 2, 6, 2, 6, 4, 5, 4], car.Polygon[1]);
        Assert.Equal(6, car.Rle.ToRle().Area);
        var road = Assert.Single(r.Stuff);
        Assert.Equal((2, 0, 5L), (road.SegmentId, road.ClassIndex, road.Area));
        Assert.Equal([0, 0, 5, 3], road.BoundingBox);
        Assert.Equal(
        [
            1, 1, 0, 2, 2, 0,
            1, 1, 0, 0, 0, 0,
            2, 2, 2, 0, 0, 1,
            0, 0, 0, 0, 0, 1,   // the tree and the one-pixel car (min area 2) are void
        ], r.PanopticIds);
        Assert.Equal(r.PanopticIds.Select(id => id == 1 ? 1 : 0), r.Components.Ids);

        // With probabilities, each instance also gets its mean confidence (as for connected components).
        var probabilities = new float[3 * 24];
        for (int i = 0; i < 24; i++) probabilities[24 + i] = i / 24f;
        var withConfidence = InstanceExtraction.FromSegments(Map, 6, 4, Segments, Options(), probabilities);
        Assert.Equal(new[] { 0, 1, 6, 7, 17, 23 }.Average() / 24, withConfidence.Instances[0].MeanConfidence!.Value, 6);
    }

    [Fact]
    public void The_writer_writes_segments_in_the_instance_formats()
    {
        string dir = TestPaths.NewTempDir("instances-from-segments");
        var writer = new InstanceWriter(dir, Options());
        writer.Write(Path.Combine(dir, "photo.jpg"), InstanceExtraction.FromSegments(Map, 6, 4, Segments, writer.Options));
        var files = writer.Finish();
        Assert.Equal(1, files.Instances);
        var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "photo_instances.json"))).RootElement;
        Assert.Equal("queries", json.GetProperty("instances_from").GetString());
        var inst = json.GetProperty("instances")[0];
        Assert.Equal(0.9, inst.GetProperty("score").GetDouble());
        Assert.Equal(2, inst.GetProperty("polygon").GetArrayLength());
        Assert.Equal(2, PanopticPng.Read(Path.Combine(dir, "photo_panoptic.png"))[3]);
        var coco = JsonDocument.Parse(File.ReadAllText(files.CocoJson)).RootElement;
        Assert.Equal(0.9, coco.GetProperty("annotations")[0].GetProperty("score").GetDouble());
        var panoptic = JsonDocument.Parse(File.ReadAllText(files.PanopticJson)).RootElement;
        Assert.Equal(2, panoptic.GetProperty("annotations")[0].GetProperty("segments_info").GetArrayLength());
    }

    [Fact]
    public void Bad_segments_and_hole_filling_are_refused()
    {
        Assert.Contains("--fill-holes", Assert.Throws<SharpSegException>(() => InstanceExtraction.FromSegments(Map, 6, 4, Segments, Options(fillHoles: true))).Message);
        Assert.Throws<ArgumentException>(() => InstanceExtraction.FromSegments(Map, 6, 4, Segments[..2], Options()));      // id 3 not listed
        Assert.Throws<ArgumentException>(() => InstanceExtraction.FromSegments(Map, 5, 4, Segments, Options()));          // wrong size
        Assert.Throws<ArgumentException>(() => InstanceExtraction.FromSegments(Map, 6, 4, [.. Segments, new SegmentInfo(1, 0)], Options()));
    }
}
