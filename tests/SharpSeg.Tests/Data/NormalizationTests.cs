using SharpSeg.Data;
using SharpSeg.Imaging;
using Xunit;

namespace SharpSeg.Tests.Data;

/// <summary><see cref="Normalization"/> as one concept: the imagenet/dataset/none modes, the gray-image rule, and
/// statistics rebuilt from what a checkpoint stores.</summary>
public sealed class NormalizationTests
{
    static RgbImage Flat(int value, int channels = 3)
    {
        var image = new RgbImage(4, 3, channels);
        Array.Fill(image.Pixels, (byte)value);
        return image;
    }

    [Fact]
    public void Imagenet_is_imagenets_statistics_and_their_averages_for_gray_images()
    {
        Assert.Same(Normalization.ImageNet, Normalization.Resolve("imagenet", 3, Array.Empty<RgbImage>()));
        var gray = Normalization.Resolve("ImageNet", 1, Array.Empty<RgbImage>());
        Assert.Equal((0.485 + 0.456 + 0.406) / 3, Assert.Single(gray.Mean), 6);
        Assert.Equal((0.229 + 0.224 + 0.225) / 3, Assert.Single(gray.Std), 6);
        Assert.Equal(gray.Mean, Normalization.ImageNet.ForChannels(1).Mean);
        Assert.Equal(gray.Std, Normalization.ImageNet.ForChannels(1).Std);
        _ = gray.LookupTable(1); // usable for 1-channel images
        Assert.Same(Normalization.UnitRange, Normalization.UnitRange.ForChannels(3));
    }

    [Fact]
    public void None_is_mean_zero_std_one_per_channel()
    {
        var n = Normalization.Resolve("none", 3, Array.Empty<RgbImage>());
        Assert.Equal(new[] { 0f, 0f, 0f }, n.Mean);
        Assert.Equal(new[] { 1f, 1f, 1f }, n.Std);
        Assert.Equal(1f, n.LookupTable(3)[255]);
    }

    [Fact]
    public void Dataset_samples_evenly_over_the_whole_list_and_decodes_only_its_picks()
    {
        // Ten flat images of values 0, 10, …, 90; a sample of 4 takes indices 0, 3, 6, 9.
        var decoded = new List<int>();
        var n = Normalization.Resolve("dataset", 1, Enumerable.Range(0, 10).ToList(), i => { decoded.Add(i); return Flat(i * 10, 1); }, maxImages: 4);
        Assert.Equal(new[] { 0, 3, 6, 9 }, decoded);
        Assert.Equal((0 + 30 + 60 + 90) / 4.0 / 255.0, n.Mean[0], 5);
        // The default sample spreads over lists longer than it, not their first 200.
        decoded.Clear();
        Normalization.Resolve("dataset", 1, Enumerable.Range(0, 1000).ToList(), i => { decoded.Add(i); return Flat(7, 1); });
        Assert.Equal(Normalization.DatasetSampleSize, decoded.Count);
        Assert.Equal(0, decoded[0]);
        Assert.Equal(999, decoded[^1]);
        // Up to the sample size, every image in order.
        decoded.Clear();
        Normalization.Resolve("dataset", 1, Enumerable.Range(0, 5).ToList(), i => { decoded.Add(i); return Flat(7, 1); });
        Assert.Equal(new[] { 0, 1, 2, 3, 4 }, decoded);
        Assert.Throws<SharpSegException>(() => Normalization.Resolve("dataset", 3, Array.Empty<RgbImage>()));
    }

    [Fact]
    public void Unknown_modes_are_one_clear_error()
    {
        var e = Assert.Throws<SharpSegException>(() => Normalization.Resolve("zscore", 3, Array.Empty<RgbImage>()));
        Assert.Contains("imagenet, dataset or none", e.Message);
    }

    [Fact]
    public void Stored_statistics_come_back_as_the_floats_they_were_stored_from()
    {
        var original = new Normalization([0.1f, 0.2f, 0.3f], [0.7f, 0.5f, 0.3f]);
        var stored = Normalization.FromStored(original.Mean.Select(v => (double)v).ToArray(), original.Std.Select(v => (double)v).ToArray());
        Assert.Equal(original.Mean, stored.Mean);
        Assert.Equal(original.Std, stored.Std);
        Assert.Equal(original.LookupTable(3), stored.LookupTable(3));
    }
}
