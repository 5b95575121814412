using SharpSeg.Data;
using SharpSeg.Data.Augmentation;
using SharpSeg.Imaging;
using SharpSeg.SelfSupervised;
using Xunit;
using SharpSeg.Data.Loading;

namespace SharpSeg.Tests.SelfSupervised;

/// <summary>The crop geometry of contrastive views, and the dense method's cell correspondence derived from it.</summary>
public sealed class ViewGeometryTests
{
    static readonly ViewGeometry Left = new(new CropBox(0, 0, 64, 64), false);
    static readonly ViewGeometry Right = new(new CropBox(32, 0, 64, 64), false);

    [Fact]
    public void Cells_of_two_overlapping_views_match_where_they_show_the_same_place()
    {
        // Source 96 px wide; view 1 = x 0..64, view 2 = x 32..96, both 2x2 grids of 32-px bins (diagonal 45.25 px).
        // View 1 centres (16|48, 16|48), view 2 centres (48|80, 16|48): view 1 cell 1 (48, 16) is view 2 cell 0, view 1
        // cell 3 (48, 48) is view 2 cell 2 (distance 0); view 1 cell 0 (16, 16) is 32 px = 0.707 bins from view 2 cell 0,
        // just beyond PixPro's 0.7.
        var d = PixelCorrespondence.NormalizedDistances(Left, 2, 2, Right, 2, 2);
        Assert.Equal(0.0, d[1, 0], 12);
        Assert.Equal(0.0, d[3, 2], 12);
        Assert.Equal(32 / Math.Sqrt(2 * 32 * 32), d[0, 0], 12);
        Assert.Equal(Math.Sqrt(64 * 64 + 32 * 32) / Math.Sqrt(2 * 32 * 32), d[0, 3], 12);
        var p = PixelCorrespondence.Positives(Left, 2, 2, Right, 2, 2);
        var pairs = Pairs(p);
        Assert.Equal([(1, 0), (3, 2)], pairs);
        // A looser threshold takes the neighbours at 0.707 too.
        Assert.Contains((0, 0), Pairs(PixelCorrespondence.Positives(Left, 2, 2, Right, 2, 2, threshold: 0.75)));
    }

    [Fact]
    public void A_flipped_view_is_matched_through_its_mirror_image()
    {
        // View 2 mirrored: its left column now shows x 64..96 and its right column x 32..64.
        var flipped = Right with { Flipped = true };
        Assert.Equal((80.0, 16.0), flipped.ToSource(0.25, 0.25));
        Assert.Equal([(1, 1), (3, 3)], Pairs(PixelCorrespondence.Positives(Left, 2, 2, flipped, 2, 2)));
    }

    [Fact]
    public void Views_at_different_scales_use_the_larger_bin()
    {
        // View 2 is the top-left quarter of view 1 (bins of 16 px vs 32 px): every view 2 cell lies inside view 1 cell 0,
        // 8·√2 px = 0.25 of view 1's bin diagonal from its centre.
        var small = new ViewGeometry(new CropBox(0, 0, 32, 32), false);
        var d = PixelCorrespondence.NormalizedDistances(Left, 2, 2, small, 2, 2);
        for (int j = 0; j < 4; j++) Assert.Equal(0.25, d[0, j], 12);
        var mask = PixelCorrespondence.PositiveMask([Left, Left], [small, Right], 2, 2, 2, 2);
        Assert.Equal([2L, 4, 4], mask.shape);
        Assert.True(mask[0, 0].all().item<bool>());
        Assert.Equal(2, mask[1].sum().item<long>());
    }

    [Fact]
    public void View_pixels_come_from_where_the_geometry_says()
    {
        // A ramp image: red = x, green = y (in source pixels). Without photometric changes, a view's pixel (u, v) must show
        // the ramp value at ToSource((u + 0.5)/W, (v + 0.5)/H), whatever crop and flip were drawn.
        const int w = 200, h = 150;
        var image = new RgbImage(w, h, 3);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) { image.Pixels[(y * w + x) * 3] = (byte)x; image.Pixels[(y * w + x) * 3 + 1] = (byte)y; }
        var sample = new SegmentationSample("ramp", image, new LabelMask(w, h));
        var transform = new TwoViewTransform(ViewAugmentationOptions.Dense(32, 48) with { JitterP = 0, GrayscaleP = 0, BlurP = 0 });
        int flips = 0;
        for (int seed = 0; seed < 20; seed++)
        {
            var pair = transform.Apply(sample, new Random(seed));
            foreach (var (view, geometry) in new[] { (pair.First, pair.FirstGeometry), (pair.Second, pair.SecondGeometry) })
            {
                Assert.Equal((48, 32), (view.Width, view.Height));
                var box = geometry.Box;
                Assert.True(box.X >= 0 && box.Y >= 0 && box.X + box.Width <= w && box.Y + box.Height <= h, $"box {box} outside the image");
                if (geometry.Flipped) flips++;
                for (int v = 0; v < 32; v += 5)
                    for (int u = 0; u < 48; u += 7)
                    {
                        var (sx, sy) = geometry.ToSource((u + 0.5) / 48, (v + 0.5) / 32);
                        // Pixel centres are at i + 0.5, so the ramp value at a point is its coordinate − 0.5 (clamped at borders).
                        Assert.InRange(view.Pixels[(v * 48 + u) * 3], Math.Clamp(sx - 0.5, 0, w - 1) - 1, Math.Clamp(sx - 0.5, 0, w - 1) + 1);
                        Assert.InRange(view.Pixels[(v * 48 + u) * 3 + 1], Math.Clamp(sy - 0.5, 0, h - 1) - 1, Math.Clamp(sy - 0.5, 0, h - 1) + 1);
                    }
            }
        }
        Assert.InRange(flips, 5, 35); // both kinds of view were checked
    }

    static List<(int, int)> Pairs(bool[,] p)
    {
        var list = new List<(int, int)>();
        for (int i = 0; i < p.GetLength(0); i++)
            for (int j = 0; j < p.GetLength(1); j++) if (p[i, j]) list.Add((i, j));
        return list;
    }
}
