using System.Text.Json;
using SharpSeg.Imaging;
using SharpSeg.Instances;
using Xunit;

namespace SharpSeg.Tests.Instances;

/// <summary>Connected components on hand-made masks whose components are known, and against scipy.ndimage on stored fixtures.</summary>
public sealed class ConnectedComponentsTests
{
    /// <summary>A mask from rows of characters: '.' = class 0, digits = that class, 'x' = ignore.</summary>
    internal static LabelMask Mask(params string[] rows)
    {
        int h = rows.Length, w = rows[0].Length;
        var labels = new byte[w * h];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                labels[y * w + x] = rows[y][x] switch { '.' => 0, 'x' => LabelMask.Ignore, char c => (byte)(c - '0') };
        return new LabelMask(w, h, labels);
    }

    static bool[] Classes(params int[] classes)
    {
        var flags = new bool[256];
        foreach (int c in classes) flags[c] = true;
        return flags;
    }

    /// <summary>The ids as rows of characters: '.' = 0, then 1..9, a..z.</summary>
    static string[] Rows(ComponentLabels l) => Enumerable.Range(0, l.Height)
        .Select(y => new string(Enumerable.Range(0, l.Width).Select(x => l.Ids[y * l.Width + x] switch { 0 => '.', < 10 and var k => (char)('0' + k), var k => (char)('a' + k - 10) }).ToArray()))
        .ToArray();

    [Fact]
    public void Pixels_touching_only_diagonally_are_separate_under_4_and_one_instance_under_8()
    {
        var mask = Mask("1..",
                        ".1.",
                        "..1");
        var four = ConnectedComponents.Label(mask, Connectivity.Four, Classes(1));
        Assert.Equal(["1..", ".2.", "..3"], Rows(four));
        var eight = ConnectedComponents.Label(mask, Connectivity.Eight, Classes(1));
        Assert.Equal(["1..", ".1.", "..1"], Rows(eight));
        Assert.Equal([(byte)1], eight.ClassOf);
    }

    [Fact]
    public void Each_class_is_labelled_on_its_own_and_ignore_never()
    {
        var mask = Mask("1122",
                        "12x2",
                        "x.22");
        var all = ConnectedComponents.Label(mask, Connectivity.Four);
        Assert.Equal(["1122", "13.2", ".422"], Rows(all));
        Assert.Equal([(byte)1, (byte)2, (byte)2, (byte)0], all.ClassOf);
        Assert.Equal(4, all.Count);
    }

    [Fact]
    public void A_U_shape_opened_from_below_gets_one_label_although_its_arms_are_met_first()
    {
        // The two arms start separately in raster order and meet on the last row: the equivalence must be resolved.
        var mask = Mask("1.1.1",
                        "1.1.1",
                        "11111");
        var l = ConnectedComponents.Label(mask, Connectivity.Four, Classes(1));
        Assert.Equal(1, l.Count);
        Assert.Equal(["1.1.1", "1.1.1", "11111"], Rows(l));
        // A staircase whose joins come in the order that needs union by the smaller label to keep raster numbering.
        var stairs = Mask("..1.2",
                          ".11.2",
                          "11..2",
                          "1...2",
                          "11112");
        var s = ConnectedComponents.Label(stairs, Connectivity.Four, Classes(1, 2));
        Assert.Equal(["..1.2", ".11.2", "11..2", "1...2", "11112"], Rows(s));
    }

    [Fact]
    public void A_ring_has_a_hole_that_fill_holes_gives_to_it_and_a_nested_ring_keeps_its_own_inside()
    {
        var ring = Mask(".....",
                        ".111.",
                        ".1.1.",
                        ".111.",
                        ".....");
        var plain = ConnectedComponents.Label(ring, Connectivity.Eight, Classes(1));
        Assert.Equal(8, plain.Ids.Count(i => i == 1));
        var filled = ConnectedComponents.Label(ring, Connectivity.Eight, Classes(1), fillHoles: true);
        Assert.Equal([".....", ".111.", ".111.", ".111.", "....."], Rows(filled));

        // Outer ring of class 1, a gap, an inner ring of class 2 around one void pixel.
        var nested = Mask("1111111",
                          "1.....1",
                          "1.222.1",
                          "1.2.2.1",
                          "1.222.1",
                          "1.....1",
                          "1111111");
        var n = ConnectedComponents.Label(nested, Connectivity.Eight, Classes(1, 2), fillHoles: true);
        Assert.Equal(["1111111", "1111111", "1122211", "1122211", "1122211", "1111111", "1111111"], Rows(n));
    }

    [Fact]
    public void A_diamond_encloses_its_centre_under_8_but_not_under_4()
    {
        var diamond = Mask("..1..",
                           ".1.1.",
                           "1...1",
                           ".1.1.",
                           "..1..");
        var eight = ConnectedComponents.Label(diamond, Connectivity.Eight, Classes(1), fillHoles: true);
        Assert.Equal(1, eight.Count);
        Assert.Equal(["..1..", ".111.", "11111", ".111.", "..1.."], Rows(eight));
        // Under 4 it is 8 separate pixels, and the inside leaks out through the diagonal gaps: nothing filled.
        var four = ConnectedComponents.Label(diamond, Connectivity.Four, Classes(1), fillHoles: true);
        Assert.Equal(8, four.Count);
        Assert.Equal(8, four.Ids.Count(i => i != 0));
    }

    [Fact]
    public void Objects_on_the_image_border_are_labelled_and_a_region_open_to_the_border_is_no_hole()
    {
        var mask = Mask("1.1",
                        "1.1",
                        "111");
        var l = ConnectedComponents.Label(mask, Connectivity.Eight, Classes(1), fillHoles: true);
        Assert.Equal(["1.1", "1.1", "111"], Rows(l)); // the U's inside reaches the top border: not filled
        var corners = Mask("1..2",
                           "....",
                           "3..1");
        var c = ConnectedComponents.Label(corners, Connectivity.Eight, Classes(1, 2, 3));
        Assert.Equal(["1..2", "....", "3..4"], Rows(c));
    }

    [Fact]
    public void Single_pixels_are_instances_and_min_area_drops_small_ones_renumbering_the_rest()
    {
        var mask = Mask("1...11",
                        "....11",
                        "..1...");
        var all = ConnectedComponents.Label(mask, Connectivity.Eight, Classes(1));
        Assert.Equal(["1...22", "....22", "..3..."], Rows(all));
        var big = ConnectedComponents.Label(mask, Connectivity.Eight, Classes(1), minArea: 2);
        Assert.Equal(["....11", "....11", "......"], Rows(big));
        Assert.Equal(0, ConnectedComponents.Label(mask, Connectivity.Eight, Classes(1), minArea: 5).Count);
        // A one-pixel image.
        Assert.Equal(1, ConnectedComponents.Label(Mask("1"), Connectivity.Four, Classes(1)).Count);
    }

    [Fact]
    public void Agrees_with_scipy_ndimage_label_on_the_stored_random_masks()
    {
        string path = Path.Combine(TestPaths.RepoRoot, "tests", "SharpSeg.Tests", "Fixtures", "instances", "components.json");
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        int cases = 0;
        foreach (var c in doc.RootElement.GetProperty("cases").EnumerateArray())
        {
            string name = c.GetProperty("name").GetString()!;
            int w = c.GetProperty("width").GetInt32(), h = c.GetProperty("height").GetInt32();
            var labels = c.GetProperty("mask").EnumerateArray().Select(v => (byte)v.GetInt32()).ToArray();
            var expected = c.GetProperty("ids").EnumerateArray().Select(v => v.GetInt32()).ToArray();
            var classes = Classes(c.GetProperty("classes").EnumerateArray().Select(v => v.GetInt32()).ToArray());
            var conn = c.GetProperty("connectivity").GetInt32() == 4 ? Connectivity.Four : Connectivity.Eight;
            var got = ConnectedComponents.Label(new LabelMask(w, h, labels), conn, classes, c.GetProperty("min_area").GetInt32(), c.GetProperty("fill_holes").GetBoolean());
            Assert.Equal(c.GetProperty("count").GetInt32(), got.Count);
            int firstDiff = Enumerable.Range(0, expected.Length).FirstOrDefault(i => expected[i] != got.Ids[i], -1);
            Assert.True(firstDiff < 0, $"{name}: pixel ({firstDiff % w}, {firstDiff / w}) is {(firstDiff < 0 ? 0 : got.Ids[firstDiff])}, scipy says {(firstDiff < 0 ? 0 : expected[firstDiff])}");
            if (!c.GetProperty("fill_holes").GetBoolean())
                for (int i = 0; i < expected.Length; i++)
                    if (expected[i] != 0) Assert.Equal(labels[i], got.ClassOf[expected[i] - 1]);
            cases++;
        }
        Assert.Equal(10, cases);
    }
}
