using SharpSeg.Imaging;
using Xunit;

namespace SharpSeg.Tests;

public sealed class ImageFileTests
{
    [Fact]
    public void RgbAndGrayPngRoundTrip()
    {
        string dir = TestPaths.NewTempDir("imagefile");
        var rgb = new RgbImage(5, 3, 3);
        for (int i = 0; i < rgb.Pixels.Length; i++) rgb.Pixels[i] = (byte)(i * 7);
        ImageFile.SavePng(rgb, Path.Combine(dir, "rgb.png"));
        Assert.Equal(rgb.Pixels, ImageFile.Load(Path.Combine(dir, "rgb.png")).Pixels);

        var mask = new LabelMask(7, 3);
        for (int i = 0; i < mask.Labels.Length; i++) mask.Labels[i] = (byte)(i % 4 == 3 ? LabelMask.Ignore : i % 4);
        ImageFile.SaveMaskPng(mask, Path.Combine(dir, "mask.png"));
        Assert.Equal(mask.Labels, ImageFile.Load(Path.Combine(dir, "mask.png"), channels: 1).Pixels);
    }
}
