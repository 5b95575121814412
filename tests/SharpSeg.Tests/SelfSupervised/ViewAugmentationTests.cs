using SharpSeg.Data;
using SharpSeg.Data.Augmentation;
using SharpSeg.Imaging;
using SharpSeg.SelfSupervised;
using Xunit;
using static TorchSharp.torch;
using SharpSeg.Data.Loading;

namespace SharpSeg.Tests.SelfSupervised;

/// <summary>The augmentations the contrastive views add to the data layer, and the view-pair loader.</summary>
public sealed class ViewAugmentationTests
{
    static SegmentationSample Noise(int w, int h, int seed)
    {
        var rng = new Random(seed);
        var img = new RgbImage(w, h, 3);
        rng.NextBytes(img.Pixels);
        var mask = new LabelMask(w, h);
        for (int i = 0; i < mask.Labels.Length; i++) mask.Labels[i] = (byte)rng.Next(3);
        return new SegmentationSample("noise", img, mask);
    }

    [Fact]
    public void Random_resized_crop_draws_boxes_inside_the_image_with_the_asked_area_share()
    {
        var crop = new RandomResizedCrop(32, 32, 0.2, 0.6);
        var rng = new Random(1);
        for (int i = 0; i < 200; i++)
        {
            var b = crop.DrawBox(120, 80, rng);
            Assert.True(b.X >= 0 && b.Y >= 0 && b.X + b.Width <= 120 && b.Y + b.Height <= 80, b.ToString());
            double share = b.Width * b.Height / (120.0 * 80);
            Assert.InRange(share, 0.17, 0.65); // rounding to whole pixels moves the share a little
            Assert.InRange(b.Width / b.Height, 0.70, 1.40);
        }
    }

    [Fact]
    public void Random_resized_crop_of_the_whole_image_at_its_size_is_the_image()
    {
        var s = Noise(40, 30, 2);
        var crop = new RandomResizedCrop(30, 40);
        var same = crop.Cut(s, new CropBox(0, 0, 40, 30));
        Assert.Equal(s.Image.Pixels, same.Image.Pixels);
        Assert.Equal(s.Mask.Labels, same.Mask.Labels);
        var half = crop.Cut(s, new CropBox(10, 5, 20, 15)); // 2x upsampling: masks keep their values
        Assert.Equal((40, 30), (half.Image.Width, half.Image.Height));
        Assert.All(half.Mask.Labels, v => Assert.InRange(v, (byte)0, (byte)2));
        Assert.Equal(s.Mask.Labels[5 * 40 + 10], half.Mask.Labels[0]);
    }

    [Fact]
    public void Random_grayscale_and_random_apply()
    {
        var s = Noise(8, 8, 3);
        var gray = new RandomGrayscale(1).Apply(s, new Random(0)).Image.Pixels;
        for (int i = 0; i < gray.Length; i += 3) Assert.True(gray[i] == gray[i + 1] && gray[i] == gray[i + 2]);
        int r = s.Image.Pixels[0], g = s.Image.Pixels[1], b = s.Image.Pixels[2];
        Assert.Equal((299 * r + 587 * g + 114 * b + 500) / 1000, gray[0]);
        Assert.Same(s, new RandomGrayscale(0).Apply(s, new Random(0)));
        Assert.Same(s, new RandomApply(new RandomGrayscale(1), 0).Apply(s, new Random(0)));
        Assert.NotSame(s, new RandomApply(new RandomGrayscale(1), 1).Apply(s, new Random(0)));
        Assert.Throws<SharpSegException>(() => new RandomResizedCrop(8, 8, 0.5, 1.5));
    }

    [Fact]
    public void View_pair_loader_is_deterministic_whatever_the_workers_and_resumes_mid_epoch()
    {
        var images = Enumerable.Range(0, 10).Select(i => Noise(40, 40, i).Image).ToList();
        var transform = new TwoViewTransform(ViewAugmentationOptions.SimClr(16, 16));
        ViewPairLoader Loader(int workers) => ViewPairLoader.InMemory(images, transform, Normalization.ImageNet,
            new LoaderOptions { BatchSize = 4, Workers = workers, DropLast = true, Seed = 5 });
        var inline = Collect(Loader(0).Epoch(1));
        var threaded = Collect(Loader(2).Epoch(1));
        Assert.Equal(2, inline.Count);
        for (int k = 0; k < inline.Count; k++)
        {
            Assert.Equal(inline[k].Ids, threaded[k].Ids);
            Assert.Equal(inline[k].Geometry, threaded[k].Geometry);
            Assert.Equal(inline[k].Pixels, threaded[k].Pixels);
            Assert.NotEqual(inline[k].Pixels.Take(768), inline[k].Pixels.Skip(4 * 768).Take(768)); // the two views differ
        }
        var resumed = Collect(Loader(2).Epoch(1, firstBatch: 1));
        Assert.Single(resumed);
        Assert.Equal(inline[1].Pixels, resumed[0].Pixels);
        Assert.NotEqual(inline[0].Ids, Collect(Loader(0).Epoch(2))[0].Ids); // each epoch has its own order
    }

    sealed record Snapshot(IReadOnlyList<string> Ids, IReadOnlyList<ViewGeometry> Geometry, float[] Pixels);

    static List<Snapshot> Collect(IEnumerable<ViewBatch> batches)
    {
        var list = new List<Snapshot>();
        foreach (var b in batches)
            using (b)
            {
                Assert.Equal(b.First.shape, b.Second.shape);
                list.Add(new Snapshot(b.Ids, b.FirstGeometry.Concat(b.SecondGeometry).ToList(), cat([b.First, b.Second], 0).data<float>().ToArray()));
            }
        return list;
    }
}
