namespace SharpSeg.Losses;

/// <summary>How a loss turns logits <c>[N, C, H, W]</c> into probabilities.</summary>
public enum LossMode
{
    /// <summary>Softmax over the C channels: each pixel belongs to exactly one class (the usual case).</summary>
    Multiclass,

    /// <summary>
    /// A sigmoid per channel, each channel an independent yes/no problem. With C = 1 the target is 0 (background) or 1
    /// (foreground); with C &gt; 1 channel c is "pixel is class c" (one-vs-rest, the multi-label form for index targets).
    /// </summary>
    Binary,
}
