using SharpSeg.Imaging;
using SharpSeg.Inference;
using Xunit;

namespace SharpSeg.Tests.Inference;

public sealed class MaskRendererTests
{
    static readonly Rgb[] Colours = { new(255, 0, 0), new(0, 0, 255) };

    [Fact]
    public void ColourMaskAndOverlayBlendPerPixel()
    {
        var mask = new LabelMask(3, 1, new byte[] { 0, 1, LabelMask.Ignore });
        var colour = MaskRenderer.ColourMask(mask, Colours);
        Assert.Equal(new byte[] { 255, 0, 0, 0, 0, 255, 0, 0, 0 }, colour.Pixels);

        var image = new RgbImage(3, 1, 1, new byte[] { 100, 100, 100 });
        var overlay = MaskRenderer.Overlay(image, mask, Colours, 0.5);
        // 0.5·100 + 0.5·255 = 177.5 → 178 (rounded); ignore pixel keeps the gray image.
        Assert.Equal(new byte[] { 178, 50, 50, 50, 50, 178, 100, 100, 100 }, overlay.Pixels);
        Assert.Throws<SharpSegException>(() => MaskRenderer.Overlay(image, mask, Colours, 1.5));
    }
}
