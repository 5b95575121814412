using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
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
        var t = torch.empty(new long[] { 1, image.Channels, image.Height, image.Width }, dtype: ScalarType.Float32);
        WriteChw(image, lut, FloatSpan(t));
        return t;
    }

    /// <summary>A mask as an int64 tensor of class indices <c>[1, H, W]</c> (255 = ignore), CPU.</summary>
    public static Tensor ToTensor(LabelMask mask)
    {
        var t = torch.empty(new long[] { 1, mask.Height, mask.Width }, dtype: ScalarType.Int64);
        WriteLabels(mask, Int64Span(t));
        return t;
    }

    /// <summary>The memory of a new (contiguous) float32 CPU tensor, filled in place: no managed buffer and no copy.</summary>
    internal static Span<float> FloatSpan(Tensor t) => MemoryMarshal.Cast<byte, float>(t.bytes);

    /// <summary>The memory of a new (contiguous) int64 CPU tensor, filled in place.</summary>
    internal static Span<long> Int64Span(Tensor t) => MemoryMarshal.Cast<byte, long>(t.bytes);

    /// <summary>
    /// A new float32 CPU tensor <c>[N, C, H, W]</c> for a loader's batch of images, left out of any dispose scope (the
    /// batch that holds it owns it: a loader with 0 workers builds batches on the consumer's thread, maybe inside its
    /// scope); fill it with <see cref="WriteImage"/>.
    /// </summary>
    internal static Tensor NewImageBatch(int n, int c, int h, int w) =>
        torch.empty(new long[] { n, c, h, w }, dtype: ScalarType.Float32).DetachFromDisposeScope();

    /// <summary>Writes <paramref name="image"/> (of the batch's C, H, W) as row <paramref name="row"/> of an <see cref="NewImageBatch"/> tensor.</summary>
    internal static void WriteImage(Tensor batch, int row, RgbImage image, float[] lut)
    {
        int size = (int)(batch.shape[1] * batch.shape[2] * batch.shape[3]);
        WriteChw(image, lut, FloatSpan(batch).Slice(row * size, size));
    }

    /// <summary>Writes an HWC byte image into <paramref name="dst"/> (length C·H·W) as CHW floats through a per-channel lookup table.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // pixel loop: skip the slow first JIT tier
    internal static void WriteChw(RgbImage image, float[] lut, Span<float> dst)
    {
        int c = image.Channels, n = image.Width * image.Height;
        var px = image.Pixels;
        if (c == 1)
        {
            for (int i = 0; i < n; i++) dst[i] = lut[px[i]];
            return;
        }
        for (int k = 0; k < c; k++)
        {
            var plane = dst.Slice(k * n, n);
            int lo = k * 256;
            for (int i = 0, j = k; i < n; i++, j += c) plane[i] = lut[lo + px[j]];
        }
    }

    /// <summary>Writes a mask's class indices into <paramref name="dst"/> (length H·W) as int64.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // pixel loop: skip the slow first JIT tier
    internal static void WriteLabels(LabelMask mask, Span<long> dst)
    {
        var l = mask.Labels;
        for (int i = 0; i < l.Length; i++) dst[i] = l[i];
    }
}
