using static TorchSharp.torch;

namespace SharpSeg.Models.MaskClassification;

/// <summary>
/// Mask2Former's point sampling (detectron2's <c>point_sample</c> and <c>get_uncertain_point_coords_with_randomness</c>):
/// masks are compared at a fixed number of points instead of every pixel, so the memory of the set criterion stays
/// bounded whatever the image size. Points are <c>(x, y)</c> in [0, 1] of the image.
/// </summary>
public static class PointSampling
{
    /// <summary>
    /// Bilinear values of <paramref name="maps"/> <c>[M, H, W]</c> at <paramref name="points"/> <c>[M, P, 2]</c> (or
    /// <c>[P, 2]</c>, the same points for every map) → <c>[M, P]</c>; exactly <c>grid_sample(maps, 2·points − 1,
    /// bilinear, zero padding, align_corners=False)</c>, written with gathers (differentiable w.r.t. the maps).
    /// <paramref name="extentY"/>, <paramref name="extentX"/>: the share of the maps' frame that the image covers (below 1
    /// when the maps cover an image padded at the bottom/right), so the same points address the same image position in
    /// a padded prediction and an unpadded target.
    /// </summary>
    public static Tensor Sample(Tensor maps, Tensor points, double extentY = 1.0, double extentX = 1.0)
    {
        ArgumentNullException.ThrowIfNull(maps);
        ArgumentNullException.ThrowIfNull(points);
        if (maps.dim() != 3) throw new ArgumentException($"maps must be [M, H, W], got [{string.Join(", ", maps.shape)}]", nameof(maps));
        long m = maps.shape[0], h = maps.shape[1], w = maps.shape[2];
        if (points.dim() == 2) points = points.unsqueeze(0).expand(m, -1, -1);
        if (points.dim() != 3 || points.shape[0] != m || points.shape[2] != 2)
            throw new ArgumentException($"points must be [{m}, P, 2] or [P, 2], got [{string.Join(", ", points.shape)}]", nameof(points));
        var p = points.to_type(maps.dtype);
        Tensor gx = p[.., .., 0] * (extentX * w) - 0.5, gy = p[.., .., 1] * (extentY * h) - 0.5;
        Tensor x0 = gx.floor(), y0 = gy.floor();
        Tensor fx = gx - x0, fy = gy - y0;
        Tensor flat = maps.reshape(m, h * w);
        Tensor result = zeros_like(gx);
        foreach (var (dy, wy) in new[] { (0, 1 - fy), (1, fy) })
            foreach (var (dx, wx) in new[] { (0, 1 - fx), (1, fx) })
            {
                Tensor xi = x0 + dx, yi = y0 + dy;
                Tensor inside = xi.ge(0).logical_and(xi.le(w - 1)).logical_and(yi.ge(0)).logical_and(yi.le(h - 1));
                Tensor index = (yi.clamp(0, h - 1) * w + xi.clamp(0, w - 1)).to_type(ScalarType.Int64);
                result = result + flat.gather(1, index) * (wx * wy * inside.to_type(maps.dtype));
            }
        return result;
    }

    /// <summary><paramref name="count"/> uniform random points <c>[count, 2]</c> (float32, the global generator).</summary>
    public static Tensor Uniform(long count, Device? device = null) => rand(count, 2, device: device);

    /// <summary>
    /// Mask2Former's importance sampling for the loss: draw <c>oversample × count</c> uniform points per mask, keep the
    /// <c>importanceRatio × count</c> where the logit of <paramref name="logits"/> <c>[M, h, w]</c> is closest to 0 (the
    /// most uncertain), and add uniform random points up to <paramref name="count"/> → <c>[M, count, 2]</c>. No gradient.
    /// </summary>
    public static Tensor Importance(Tensor logits, long count, double oversample, double importanceRatio, double extentY = 1.0, double extentX = 1.0)
    {
        ArgumentNullException.ThrowIfNull(logits);
        if (oversample < 1) throw new ArgumentOutOfRangeException(nameof(oversample), $"oversample ratio must be at least 1, got {oversample}");
        if (importanceRatio is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(importanceRatio), $"importance ratio must be in [0, 1], got {importanceRatio}");
        using var noGrad = no_grad();
        long m = logits.shape[0];
        long sampled = (long)(count * oversample);
        long uncertain = (long)(importanceRatio * count), random = count - uncertain;
        if (uncertain == 0) return rand(m, count, 2, device: logits.device);
        var candidates = rand(m, sampled, 2, device: logits.device);
        var uncertainty = Sample(logits.detach(), candidates, extentY, extentX).abs().neg();
        var top = uncertainty.topk((int)uncertain, dim: 1).indexes;
        var kept = candidates.gather(1, top.unsqueeze(-1).expand(-1, -1, 2));
        return random == 0 ? kept : cat([kept, rand(m, random, 2, device: logits.device)], 1);
    }
}
