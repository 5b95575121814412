namespace SharpSeg.SelfSupervised;

/// <summary>The self-supervised objective of a pretraining run.</summary>
public enum PretrainMethod
{
    /// <summary>SimCLR (Chen et al. 2020): NT-Xent between the pooled, projected features of two views of each image.</summary>
    SimClr,

    /// <summary>
    /// Dense contrastive learning: SimCLR's global term plus a pixel-level InfoNCE term whose positives are the feature
    /// cells of the two views that show the same place of the image, known exactly from the crop geometry (PixContrast,
    /// Xie et al. 2021), weighted as in DenseCL (Wang et al. 2021).
    /// </summary>
    Dense,
}
