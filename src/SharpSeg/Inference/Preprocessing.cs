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
