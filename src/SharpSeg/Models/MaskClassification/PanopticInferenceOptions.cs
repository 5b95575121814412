namespace SharpSeg.Models.MaskClassification;

/// <summary>Thresholds of Mask2Former's panoptic and instance inference; the defaults are the official configs'
/// (<c>MODEL.MASK_FORMER.TEST.OBJECT_MASK_THRESHOLD: 0.8</c>, <c>OVERLAP_THRESHOLD: 0.8</c>,
/// <c>TEST.DETECTIONS_PER_IMAGE: 100</c>).</summary>
public sealed record PanopticInferenceOptions
{
    /// <summary>A query is kept for the panoptic map when its best class is not "no object" and that class's probability is
    /// above this.</summary>
    public double ObjectMaskThreshold { get; init; } = 0.8;

    /// <summary>A kept query's segment is dropped when the pixels it wins are less than this share of its own mask
    /// (sigmoid ≥ 0.5).</summary>
    public double OverlapThreshold { get; init; } = 0.8;

    /// <summary>Instance inference: (query, class) pairs kept per image, by class probability.</summary>
    public int TopK { get; init; } = 100;

    /// <summary>Throws a one-line <see cref="SharpSegException"/> for a value out of range.</summary>
    public void Validate()
    {
        if (!(ObjectMaskThreshold >= 0 && ObjectMaskThreshold < 1)) throw new SharpSegException($"object mask threshold {ObjectMaskThreshold}: give a probability in [0, 1) (Mask2Former: 0.8).");
        if (!(OverlapThreshold >= 0 && OverlapThreshold <= 1)) throw new SharpSegException($"overlap threshold {OverlapThreshold}: give a share in [0, 1] (Mask2Former: 0.8).");
        if (TopK < 1) throw new SharpSegException($"top-k {TopK}: keep at least 1 detection per image (Mask2Former: 100).");
    }
}
