namespace SharpSeg.Models.Decoders;

/// <summary>How a U-Net decoder block brings the deeper map up to the skip connection's resolution.</summary>
public enum UpsamplingMode
{
    /// <summary>Bilinear interpolation (no parameters); the block's first conv sees deeper + skip channels.</summary>
    Bilinear,

    /// <summary>A learned transposed convolution (kernel = stride = scale), as in the original U-Net's "up-conv".</summary>
    Transposed,

    /// <summary>Nearest-neighbour interpolation (no parameters), as segmentation_models.pytorch's U-Net decoder.</summary>
    Nearest,
}
