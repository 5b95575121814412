using SharpSeg.Data;
using SharpSeg.Imaging;
using static TorchSharp.torch;

namespace SharpSeg.Inference;

/// <summary>
/// The one path from an image to the network's input, and from the network's output back to the image: every caller
/// that runs a trained model on an image (evaluate, predict whole-image and tiled, bench, score, the ONNX exporter's
/// int8 calibration) goes through here, so they all feed the network bit-identical tensors.
/// </summary>
/// <remarks>
/// Forward: bytes → float32 <c>[1, C, H, W]</c> through <see cref="Normalization"/>'s lookup table, moved to the
/// device, then resized by the inference scale (bilinear, <c>align_corners: false</c>) to <see cref="ScaledSize"/>:
/// round-half-to-even of side × scale, at least 1. Normalising before resizing (not resizing bytes) keeps the values
/// the network saw in training. Inverse: logits resized back bilinearly, class indices by nearest neighbour.
/// </remarks>
public static class Preprocessing
{
    /// <summary>The size (height, width) the network sees for an image of <paramref name="height"/> × <paramref name="width"/>
    /// at <paramref name="scale"/>: each side × scale rounded half to even (<see cref="Math.Round(double)"/>), at least 1.</summary>
    public static (long Height, long Width) ScaledSize(long height, long width, double scale) =>
        (Math.Max(1, (long)Math.Round(height * scale)), Math.Max(1, (long)Math.Round(width * scale)));

    /// <summary>
    /// The network input for <paramref name="image"/>: normalised float32 <c>[1, C, h, w]</c> on <paramref name="device"/>
    /// (null: the CPU), resized by <paramref name="scale"/> (1 = the image's own size, no resize). A new tensor; call
    /// inside a dispose scope.
    /// </summary>
    public static Tensor Input(RgbImage image, Normalization normalization, double scale = 1.0, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(normalization);
        Tensor input = ImageTensors.ToTensor(image, normalization);
        if (device != null) input = input.to(device);
        return Resize(input, scale);
    }

    /// <summary>A normalised input <c>[N, C, H, W]</c> resized by <paramref name="scale"/> to <see cref="ScaledSize"/>
    /// (bilinear, <c>align_corners: false</c>); the same tensor at scale 1. Test-time augmentation scales go through
    /// here too (times the inference scale).</summary>
    public static Tensor Resize(Tensor input, double scale)
    {
        if (!(scale > 0)) throw new ArgumentOutOfRangeException(nameof(scale), "scale must be positive");
        if (scale == 1.0) return input;
        var (h, w) = ScaledSize(input.shape[2], input.shape[3], scale);
        return nn.functional.interpolate(input, size: new[] { h, w }, mode: InterpolationMode.Bilinear, align_corners: false);
    }

    /// <summary>
    /// The class of the highest score per pixel, <c>[N, C, H, W]</c> → <c>[N, H, W]</c> as bytes, equal to
    /// <c>argmax(1)</c> (the first class on ties, NaN counting as the highest). For up to 32 classes it is a running
    /// maximum over the classes by elementwise operations, which libtorch vectorises; its argmax over the class dimension
    /// walks a strided reduction pixel by pixel, which took most of the time of a small model's whole prediction (a
    /// 256×256 selfie model in ONNX Runtime spent more time in that argmax than in the network).
    /// </summary>
    public static Tensor ArgMaxClasses(Tensor scores)
    {
        long classes = scores.shape[1];
        if (classes > 255) throw new ArgumentException($"{classes} classes do not fit a byte mask", nameof(scores));
        if (classes > 32) return scores.argmax(1).to(ScalarType.Byte);
        using var scope = NewDisposeScope();
        var best = scores.select(1, 0);
        var label = zeros(best.shape, ScalarType.Byte, best.device);
        var bestIsNaN = best.isnan();
        for (int c = 1; c < classes; c++)
        {
            var v = scores.select(1, c);
            var isNaN = v.isnan();
            var better = v.gt(best).logical_or(isNaN.logical_and(bestIsNaN.logical_not()));
            best = where(better, v, best);
            bestIsNaN = bestIsNaN.logical_or(isNaN);
            label = label.masked_fill(better, c);
        }
        return label.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The class per pixel of <paramref name="logits"/> (one image's <c>[K, h, w]</c> scores, planar) resized bilinearly
    /// to <paramref name="width"/> × <paramref name="height"/> (<c>align_corners: false</c>): what
    /// <c>ArgMaxClasses(RestoreLogits(…))</c> gives, in one pass without the full-size score planes. An output pixel whose
    /// four source pixels all have the same class gets that class without interpolating: its scores are a convex
    /// combination of theirs, so the same class stays highest (a class below it by more than rounding at every source
    /// pixel stays below). Only pixels near a class boundary interpolate the K scores. Ties go to the first class and NaN
    /// counts as the highest, as in <see cref="ArgMaxClasses"/>. Where two classes are within float rounding of each
    /// other the pick can differ from libtorch's (its interpolation sums in another order); nowhere else.
    /// </summary>
    public static void ResizedArgMax(ReadOnlySpan<float> logits, int classes, int sourceWidth, int sourceHeight, int width, int height, Span<byte> labels)
    {
        int m = sourceWidth * sourceHeight;
        if (classes < 1 || classes > 256) throw new ArgumentOutOfRangeException(nameof(classes), $"{classes} classes do not fit a byte mask");
        if (logits.Length != (long)classes * m) throw new ArgumentException($"{logits.Length} scores for {classes} classes of {sourceWidth}x{sourceHeight}", nameof(logits));
        if (labels.Length != (long)width * height) throw new ArgumentException($"{labels.Length} labels for {width}x{height}", nameof(labels));
        var small = new byte[m];
        for (int i = 0; i < m; i++) small[i] = BestClass(logits, classes, m, i);
        if (sourceWidth == width && sourceHeight == height) { small.CopyTo(labels); return; }
        var (x0s, x1s, fxs) = Imaging.Planes.BilinearTaps(sourceWidth, width);
        var (y0s, y1s, fys) = Imaging.Planes.BilinearTaps(sourceHeight, height);
        for (int y = 0; y < height; y++)
        {
            int r0 = y0s[y] * sourceWidth, r1 = y1s[y] * sourceWidth, o = y * width;
            float ly1 = fys[y], ly0 = 1 - ly1;
            for (int x = 0; x < width; x++)
            {
                int a = r0 + x0s[x], b = r0 + x1s[x], c = r1 + x0s[x], d = r1 + x1s[x];
                byte k = small[a];
                if (small[b] == k && small[c] == k && small[d] == k) { labels[o + x] = k; continue; }
                float lx1 = fxs[x], lx0 = 1 - lx1;
                labels[o + x] = BestClass(logits, classes, m, a, b, c, d, ly0, ly1, lx0, lx1);
            }
        }
    }

    /// <summary>The highest of <paramref name="classes"/> scores of source pixel <paramref name="i"/> (first on ties, NaN
    /// highest).</summary>
    static byte BestClass(ReadOnlySpan<float> logits, int classes, int plane, int i)
    {
        int best = 0;
        float bv = logits[i];
        if (float.IsNaN(bv)) return 0;
        for (int k = 1, o = plane + i; k < classes; k++, o += plane)
        {
            float v = logits[o];
            if (float.IsNaN(v)) return (byte)k;
            if (v > bv) { bv = v; best = k; }
        }
        return (byte)best;
    }

    /// <summary>The highest of <paramref name="classes"/> scores bilinearly interpolated between source pixels
    /// <paramref name="a"/>, <paramref name="b"/> (one row) and <paramref name="c"/>, <paramref name="d"/> (the next),
    /// summed in libtorch's order (first on ties, NaN highest).</summary>
    static byte BestClass(ReadOnlySpan<float> logits, int classes, int plane, int a, int b, int c, int d, float ly0, float ly1, float lx0, float lx1)
    {
        int best = 0;
        float bv = 0;
        for (int k = 0, o = 0; k < classes; k++, o += plane)
        {
            float v = ly0 * (lx0 * logits[o + a] + lx1 * logits[o + b]) + ly1 * (lx0 * logits[o + c] + lx1 * logits[o + d]);
            if (float.IsNaN(v)) return (byte)k;
            if (k == 0 || v > bv) { bv = v; best = k; }
        }
        return (byte)best;
    }

    /// <summary>Logits <c>[N, K, h, w]</c> back to <paramref name="height"/> × <paramref name="width"/> (bilinear,
    /// <c>align_corners: false</c>); the same tensor when already that size.</summary>
    public static Tensor RestoreLogits(Tensor logits, long height, long width)
    {
        if (logits.shape[2] == height && logits.shape[3] == width) return logits;
        return nn.functional.interpolate(logits, size: new[] { height, width }, mode: InterpolationMode.Bilinear, align_corners: false);
    }

    /// <summary>Class indices <c>[N, h, w]</c> (an ONNX model exported with ArgMax) back to <paramref name="height"/> ×
    /// <paramref name="width"/> by nearest neighbour, as float32 <c>[N, height, width]</c>; the same tensor when already
    /// that size.</summary>
    public static Tensor RestoreLabels(Tensor labels, long height, long width)
    {
        if (labels.shape[1] == height && labels.shape[2] == width) return labels;
        return nn.functional.interpolate(labels.unsqueeze(1).to(ScalarType.Float32), size: new[] { height, width }, mode: InterpolationMode.Nearest).squeeze(1);
    }
}
