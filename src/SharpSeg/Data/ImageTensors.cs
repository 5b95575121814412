using SharpSeg.Data.Augmentation;
using SharpSeg.Imaging;
using TorchSharp;
using static TorchSharp.torch;

namespace SharpSeg.Data;

/// <summary>
/// Conversions between decoded images/masks and tensors. The returned tensors are new and owned by the caller; made
/// inside a <c>torch.NewDisposeScope()</c> they belong to that scope.
/// </summary>
public static class ImageTensors
{
    /// <summary>An image as a normalised float32 tensor <c>[1, C, H, W]</c> (C = image channels), CPU.</summary>
    public static Tensor ToTensor(RgbImage image, Normalization normalization)
    {
        var lut = normalization.LookupTable(image.Channels);
        var data = new float[image.Pixels.Length];
        WriteChw(image, lut, data, 0);
        return torch.tensor(data, new long[] { 1, image.Channels, image.Height, image.Width }, dtype: ScalarType.Float32);
    }

    /// <summary>A mask as an int64 tensor of class indices <c>[1, H, W]</c> (255 = ignore), CPU.</summary>
    public static Tensor ToTensor(LabelMask mask)
    {
        var data = new long[mask.Labels.Length];
        WriteLabels(mask, data, 0);
        return torch.tensor(data, new long[] { 1, mask.Height, mask.Width }, dtype: ScalarType.Int64);
    }

    /// <summary>Writes an HWC byte image into <paramref name="dst"/> at <paramref name="offset"/> as CHW floats through a per-channel lookup table.</summary>
    internal static void WriteChw(RgbImage image, float[] lut, float[] dst, int offset)
    {
        int c = image.Channels, n = image.Width * image.Height;
        var px = image.Pixels;
        if (c == 1)
        {
            for (int i = 0; i < n; i++) dst[offset + i] = lut[px[i]];
            return;
        }
        for (int k = 0; k < c; k++)
        {
            int o = offset + k * n, lo = k * 256;
            for (int i = 0, j = k; i < n; i++, j += c) dst[o + i] = lut[lo + px[j]];
        }
    }

    internal static void WriteLabels(LabelMask mask, long[] dst, int offset)
    {
        var l = mask.Labels;
        for (int i = 0; i < l.Length; i++) dst[offset + i] = l[i];
    }
}
