using static TorchSharp.torch;

namespace SharpSeg.Losses;

/// <summary>A per-pixel segmentation loss (cross-entropy, Dice, focal, Lovász...).</summary>
public interface ISegmentationLoss
{
    /// <summary>
    /// Scalar loss (0-dimensional, differentiable w.r.t. <paramref name="logits"/>) from raw <b>logits</b>
    /// <c>[N, C, H, W]</c> (not probabilities) and class-index targets <c>[N, H, W]</c> (int64, or uint8 which is
    /// widened) whose values are 0..C-1 or the loss's ignore index.
    /// </summary>
    Tensor Compute(Tensor logits, Tensor target);
}
