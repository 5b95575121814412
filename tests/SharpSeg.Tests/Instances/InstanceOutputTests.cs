using System.Text.Json;
using SharpSeg.Data.Dataset;
using SharpSeg.Imaging;
using SharpSeg.Instances;
using Xunit;
using static SharpSeg.Tests.Instances.ConnectedComponentsTests;

namespace SharpSeg.Tests.Instances;

/// <summary>Instance properties, COCO RLE, contours, the instance-id and panoptic PNGs, and the folder summary.</summary>
public sealed class InstanceOutputTests
{
    static readonly ClassTable Table = new([
        new ClassInfo("road", new Rgb(128, 64, 128), 0), new ClassInfo("car", new Rgb(0, 0, 142), 1), new ClassInfo("tree", new Rgb(107, 142, 35), 2)]);

    [Fact]
    public void Compressed_counts_match_values_derived_by_hand_from_pycocotools_rleToString()
    {
        // [0, 4]: 0 -> '0' (48), 4 -> '4'.
        Assert.Equal("04", new CocoRle(2, 2, [0, 4]).ToCompressedString());
        // 100 = 3·32 + 4: low group 4 with the continuation bit, 4 | 0x20 = 36 -> 'T' (84); then 3 -> '3'.
        Assert.Equal("T3", new CocoRle(10, 10, [100]).ToCompressedString());
        // From the fourth count on, the difference to the count two before is written: 2 − 3 = −1, whose one group is
        // 0x1f (sign bit 0x10 set, nothing more to write) -> 31 + 48 = 'O'.
        Assert.Equal("537O", new CocoRle(17, 1, [5, 3, 7, 2]).ToCompressedString());
        Assert.Equal([5L, 3, 7, 2], CocoRle.FromCompressedString("537O", 17, 1).Counts);
        Assert.Equal([100L], CocoRle.FromCompressedString("T3", 10, 10).Counts);
        var bad = Assert.Throws<SharpSegException>(() => CocoRle.FromCompressedString("T", 10, 10));
        Assert.Contains("damaged", bad.Message);
    }

    [Fact]
    public void Rle_is_column_major_starting_with_zeros_and_round_trips_on_random_masks()
    {
        // 2 rows × 3 columns; column-major order reads (0,0),(0,1),(1,0),(1,1),(2,0),(2,1).
        bool[] mask = [true, false, false,
                       true, true, false];
        var rle = CocoRle.Encode(mask, 3, 2);
        Assert.Equal([0L, 2, 1, 1, 2], rle.Counts);
        Assert.Equal(3, rle.Area);
        Assert.Equal(mask, rle.Decode());

        var random = new Random(19);
        for (int trial = 0; trial < 50; trial++)
        {
            int w = random.Next(1, 30), h = random.Next(1, 30);
            var m = new bool[w * h];
            double p = random.NextDouble();
            for (int i = 0; i < m.Length; i++) m[i] = random.NextDouble() < p;
            var r = CocoRle.Encode(m, w, h);
            Assert.Equal(m, r.Decode());
            Assert.Equal(m.LongLength, r.Counts.Sum());
            var back = CocoRle.FromCompressedString(r.ToCompressedString(), h, w);
            Assert.Equal(r.Counts, back.Counts);
            Assert.Equal(m, back.Decode());
            // The instance encoder that reads only the bounding box gives the same counts.
            var ids = m.Select(b => b ? 7 : 3).ToArray();
            if (m.Any(b => b))
            {
                int x0 = Enumerable.Range(0, m.Length).Where(i => m[i]).Min(i => i % w), x1 = Enumerable.Range(0, m.Length).Where(i => m[i]).Max(i => i % w);
                int y0 = Enumerable.Range(0, m.Length).Where(i => m[i]).Min(i => i / w), y1 = Enumerable.Range(0, m.Length).Where(i => m[i]).Max(i => i / w);
                Assert.Equal(r.Counts, CocoRle.Encode(ids, w, h, 7, x0, y0, x1, y1).Counts);
            }
        }
    }

    [Fact]
    public void Properties_of_known_shapes_area_bbox_centroid_perimeter_diameter_polygon_and_confidence()
    {
        var mask = Mask("......",
                        ".111..",
                        ".111.1",
                        "......");
        var options = new InstanceOptions { StuffClasses = ["road"] }.Resolve(Table, "test");
        // Probabilities [3, H, W]: car probability 0.8 on the rectangle's left column, 0.5 elsewhere.
        int w = 6, h = 4;
        var prob = new float[3 * w * h];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) prob[(1 * h + y) * w + x] = x == 1 ? 0.8f : 0.5f;
        var result = InstanceExtraction.Extract(mask, options, prob);
        Assert.Equal(2, result.Instances.Count);
        var rect = result.Instances[0];
        Assert.Equal(("car", 1, 6L), (rect.ClassName, rect.ClassIndex, rect.Area));
        Assert.Equal([1, 1, 3, 2], rect.BoundingBox);
        Assert.Equal([2.0, 1.5], rect.Centroid);
        Assert.Equal(10, rect.Perimeter);
        Assert.Equal(Math.Sqrt(24 / Math.PI), rect.EquivalentDiameter, 12);
        Assert.Equal((2 * 0.8 + 4 * 0.5) / 6, rect.MeanConfidence!.Value, 6);
        Assert.Equal([1, 1, 4, 1, 4, 3, 1, 3], Assert.Single(rect.Polygon));
        var dot = result.Instances[1];
        Assert.Equal((1L, 4L), (dot.Area, dot.Perimeter));
        Assert.Equal([5, 2, 1, 1], dot.BoundingBox);
        Assert.Equal([5.0, 2.0], dot.Centroid);
        Assert.Equal([5, 2, 6, 2, 6, 3, 5, 3], Assert.Single(dot.Polygon));
        // The RLE holds exactly the instance's pixels.
        var decoded = rect.Rle.ToRle().Decode();
        Assert.Equal(Enumerable.Range(0, w * h).Select(i => result.Components.Ids[i] == 1), decoded);
        // Road (class 0) is stuff: one segment of all its pixels, id after the instances.
        var road = Assert.Single(result.Stuff);
        Assert.Equal((3, "road", 24L - 7), (road.SegmentId, road.ClassName, road.Area));
    }

    [Fact]
    public void Contours_enclose_the_area_of_hole_free_instances_and_pinch_at_diagonal_joins()
    {
        var random = new Random(4);
        for (int trial = 0; trial < 20; trial++)
        {
            int w = 12, h = 9;
            var labels = new byte[w * h];
            for (int i = 0; i < labels.Length; i++) labels[i] = (byte)(random.NextDouble() < 0.55 ? 1 : 0);
            foreach (var conn in new[] { Connectivity.Four, Connectivity.Eight })
            {
                var o = new InstanceOptions { Connectivity = conn, ThingClasses = ["car"], FillHoles = true }.Resolve(Table, "test");
                var r = InstanceExtraction.Extract(new LabelMask(w, h, labels), o);
                foreach (var inst in r.Instances)
                {
                    // Holes are filled, so the outer contour encloses exactly the instance (pinches add no area).
                    Assert.Equal(inst.Area, Contours.Area(inst.Polygon[0]));
                    var xs = inst.Polygon[0].Where((_, i) => i % 2 == 0).ToArray();
                    var ys = inst.Polygon[0].Where((_, i) => i % 2 == 1).ToArray();
                    Assert.Equal(inst.BoundingBox, new[] { xs.Min(), ys.Min(), xs.Max() - xs.Min(), ys.Max() - ys.Min() });
                }
            }
        }
        // Two pixels touching at a corner, one instance under 8: the polygon passes through the shared corner twice.
        var pinch = InstanceExtraction.Extract(Mask("1.", ".1"), new InstanceOptions { ThingClasses = ["car"] }.Resolve(Table, "test"));
        var poly = Assert.Single(Assert.Single(pinch.Instances).Polygon);
        Assert.Equal([0, 0, 1, 0, 1, 1, 2, 1, 2, 2, 1, 2, 1, 1, 0, 1], poly);
        Assert.Equal(2, Contours.Area(poly));
    }

    [Fact]
    public void Panoptic_and_instance_id_pngs_round_trip_through_files()
    {
        // Ids that need all three bytes.
        int[] ids = [0, 1, 255, 256, 65535, 65536, 70000, PanopticPng.MaxId];
        string dir = TestPaths.NewTempDir("panoptic");
        string path = Path.Combine(dir, "p.png");
        PngCodec.Save(PanopticPng.Encode(ids, 4, 2), path);
        var raster = PngCodec.Decode(path);
        Assert.Equal((PngColorType.Rgb, 8), (raster.ColorType, raster.BitDepth));
        Assert.Equal(ids, PanopticPng.Read(path));
        // 256 = R 0, G 1, B 0; 70000 = 112 + 256·17 + 65536·1.
        Assert.Equal(new ushort[] { 0, 1, 0 }, raster.Samples[9..12]);
        Assert.Equal(new ushort[] { 112, 17, 1 }, raster.Samples[18..21]);

        var mask = Mask("0011",
                        "0202",
                        "2200");
        var options = new InstanceOptions { StuffClasses = ["road"], Connectivity = Connectivity.Four }.Resolve(Table, "test");
        var writer = new InstanceWriter(dir, options);
        var result = writer.Write(Path.Combine(dir, "scene.jpg"), mask);
        var (_, instancePng, panopticPng) = writer.PathsFor("scene.jpg");
        var idRaster = PngCodec.Decode(instancePng);
        Assert.Equal((PngColorType.Gray, 16), (idRaster.ColorType, idRaster.BitDepth));
        Assert.Equal(result.Components.Ids, idRaster.Samples.Select(v => (int)v).ToArray());
        Assert.Equal([0, 0, 1, 1, 0, 2, 0, 3, 2, 2, 0, 0], result.Components.Ids);
        var panoptic = PanopticPng.Read(panopticPng);
        Assert.Equal(result.PanopticIds, panoptic);
        Assert.Equal([4, 4, 1, 1, 4, 2, 4, 3, 2, 2, 4, 4], panoptic); // road: one segment, id 4, no instance ids
    }

    [Fact]
    public void The_folder_files_summarise_counts_and_areas_per_class_and_follow_the_coco_formats()
    {
        string dir = TestPaths.NewTempDir("instances-folder");
        var options = new InstanceOptions { StuffClasses = ["road"], MinArea = 2 }.Resolve(Table, "test");
        var writer = new InstanceWriter(dir, options);
        writer.Write("a.png", Mask("11.22", "11.22", "....2", "1...."));   // cars 4 (and 1 dropped), trees 5
        writer.Write("b.png", Mask("111..", ".....", "...11", "...11"));   // cars 3 and 4
        var files = writer.Finish();
        Assert.Equal((2, 4), (files.Images, files.Instances));
        var lines = File.ReadAllLines(files.SummaryCsv);
        Assert.Equal("class,class_index,instances,images_with_instances,total_area,median_area,mean_area", lines[0]);
        Assert.Equal("car,1,3,2,11,4,3.667", lines[1]);
        Assert.Equal("tree,2,1,1,5,5,5", lines[2]);
        Assert.Equal(3, lines.Length);

        using var coco = JsonDocument.Parse(File.ReadAllText(files.CocoJson));
        var annotations = coco.RootElement.GetProperty("annotations").EnumerateArray().ToList();
        Assert.Equal(4, annotations.Count);
        var first = annotations[0];
        Assert.Equal(2, first.GetProperty("category_id").GetInt32()); // car = class 1 -> category 2
        var seg = first.GetProperty("segmentation");
        Assert.Equal([4, 5], seg.GetProperty("size").EnumerateArray().Select(v => v.GetInt32()));
        var rle = CocoRle.FromCompressedString(seg.GetProperty("counts").GetString()!, 4, 5);
        Assert.Equal(4, rle.Area);
        Assert.Equal(["car", "tree"], coco.RootElement.GetProperty("categories").EnumerateArray().Select(c => c.GetProperty("name").GetString()));

        using var pan = JsonDocument.Parse(File.ReadAllText(files.PanopticJson));
        var cats = pan.RootElement.GetProperty("categories").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!, c => c.GetProperty("isthing").GetInt32());
        Assert.Equal(new Dictionary<string, int> { ["road"] = 0, ["car"] = 1, ["tree"] = 1 }, cats);
        var segments = pan.RootElement.GetProperty("annotations")[0].GetProperty("segments_info").EnumerateArray().ToList();
        Assert.Equal([2, 3, 1], segments.Select(s => s.GetProperty("category_id").GetInt32()));
        // Every segment's area is its pixel count in the panoptic PNG.
        var ids = PanopticPng.Read(Path.Combine(dir, pan.RootElement.GetProperty("annotations")[0].GetProperty("file_name").GetString()!));
        foreach (var s in segments) Assert.Equal(s.GetProperty("area").GetInt64(), ids.Count(i => i == s.GetProperty("id").GetInt32()));
        Assert.Equal(1, ids.Count(i => i == 0)); // the dropped one-pixel car is void

        var perImage = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "a_instances.json"))).RootElement;
        Assert.Equal(2, perImage.GetProperty("min_area").GetInt32());
        Assert.Equal(2, perImage.GetProperty("instances").GetArrayLength());
    }

    [Fact]
    public void Unknown_class_names_and_bad_options_are_one_line_errors_naming_the_fix()
    {
        var e = Assert.Throws<SharpSegException>(() => new InstanceOptions { ThingClasses = ["cars"] }.Resolve(Table, "d.yaml"));
        Assert.Equal("--classes: no class 'cars' in d.yaml (classes: road, car, tree); did you mean 'car'?", e.Message);
        Assert.Throws<SharpSegException>(() => new InstanceOptions { ThingClasses = ["car"], StuffClasses = ["car"] }.Resolve(Table, "d.yaml"));
        Assert.Throws<SharpSegException>(() => new InstanceOptions { MinArea = -1 }.Resolve(Table, "d.yaml"));
        Assert.Contains("must be 4", Assert.Throws<SharpSegException>(() => InstanceOptions.ParseConnectivity(6)).Message);
    }
}
