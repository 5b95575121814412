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
    /// bilinear, zero padding, align_corners=False)</c> (differentiable w.r.t. the maps).
    /// <paramref name="extentY"/>, <paramref name="extentX"/>: the share of the maps' frame that the image covers (below 1
    /// when the maps cover an image padded at the bottom/right), so the same points address the same image position in
    /// a padded prediction and an unpadded target.
    /// </summary>
    public static Tensor Sample(Tensor maps, Tensor points, double extentY = 1.0, double extentX = 1.0)
    {
        ArgumentNullException.ThrowIfNull(maps);
        ArgumentNullException.ThrowIfNull(points);
        if (maps.dim() != 3) throw new ArgumentException($"maps must be [M, H, W], got [{string.Join(", ", maps.shape)}]", nameof(maps));
        long m = maps.shape[0];
        bool shared = points.dim() == 2 && points.shape[1] == 2;
        if (!shared && (points.dim() != 3 || points.shape[0] != m || points.shape[2] != 2))
            throw new ArgumentException($"points must be [{m}, P, 2] or [P, 2], got [{string.Join(", ", points.shape)}]", nameof(points));
        // grid_sample's normalised coordinates: with align_corners=False, g = 2·(point · extent) − 1 lands on pixel
        // point · extent · size − 0.5. The same points for every map (the matcher: 100 query masks at 12,544 points) are
        // one grid over M channels; points per map are M grids over one channel each. (A gather-based version was
        // 12–40× slower on the matcher's sizes.)
        var grid = points.to_type(maps.dtype);
        if (extentX != 1 || extentY != 1)
        {
            using var extent = tensor(new[] { extentX, extentY }, dtype: maps.dtype, device: maps.device);
            grid = grid.mul(extent);
        }
        grid = grid.mul(2).sub(1);
        if (shared)
            return nn.functional.grid_sample(maps.unsqueeze(0), grid.unsqueeze(0).unsqueeze(0), GridSampleMode.Bilinear, GridSamplePaddingMode.Zeros, align_corners: false)
                .squeeze(2).squeeze(0);                                                        // [1, M, 1, P] → [M, P]
        return nn.functional.grid_sample(maps.unsqueeze(1), grid.unsqueeze(1), GridSampleMode.Bilinear, GridSamplePaddingMode.Zeros, align_corners: false)
            .squeeze(2).squeeze(1);                                                            // [M, 1, 1, P] → [M, P]
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
