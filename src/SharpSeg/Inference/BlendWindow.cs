namespace SharpSeg.Inference;

/// <summary>How overlapping tiles' probabilities are weighted when stitched (weights are normalised per pixel by their sum).</summary>
public enum BlendWindow
{
    /// <summary>A separable Gaussian centred on the tile (σ = tile side / 8, as nnU-Net): tile centres dominate, borders fade.</summary>
    Gaussian,
    /// <summary>A separable tent: weight rises linearly from the tile border to its centre.</summary>
    Linear,
    /// <summary>Every pixel of every tile weighs the same: a plain mean of the overlapping tiles.</summary>
    Uniform,
}
