namespace SharpSeg.Models.MaskClassification;

/// <summary>
/// One segment of a <see cref="PanopticResult"/>: a thing query's pixels, or all pixels of a stuff class (the queries of
/// one stuff class are merged into the segment of the first of them). <see cref="Query"/> is the query index (the first
/// one for merged stuff); <see cref="ClassScore"/> its softmax probability of <see cref="ClassIndex"/>;
/// <see cref="MaskScore"/> the mean sigmoid of its mask logits over the pixels where they are positive (Mask2Former's
/// instance score factor), so <see cref="Score"/> = class × mask score is the score instance inference gives that query.
/// </summary>
public sealed record PanopticSegment(int Id, int ClassIndex, bool IsThing, int Query, double ClassScore, double MaskScore)
{
    /// <summary>Class score × mask score.</summary>
    public double Score => ClassScore * MaskScore;
}

/// <summary>
/// Mask2Former's panoptic output for one image: <see cref="SegmentIds"/> holds the segment id per pixel, row-major
/// <c>[H, W]</c> (1.. = <see cref="PanopticSegment.Id"/>, 0 = void: no kept query won the pixel with its own mask), and
/// <see cref="Segments"/> the segments in id order.
/// </summary>
public sealed record PanopticResult(int Width, int Height, int[] SegmentIds, IReadOnlyList<PanopticSegment> Segments);

/// <summary>
/// One detection of Mask2Former's instance inference: query <see cref="Query"/> with class <see cref="ClassIndex"/>;
/// <see cref="Mask"/> is its binary mask, row-major <c>[H, W]</c>, 1 where the mask logit is positive. Detections of one
/// image may overlap. <see cref="Score"/> = class probability × mean sigmoid over the binary mask.
/// </summary>
public sealed record QueryInstance(int Query, int ClassIndex, double ClassScore, double MaskScore, int Width, int Height, byte[] Mask)
{
    /// <summary>Class score × mask score.</summary>
    public double Score => ClassScore * MaskScore;
}

/// <summary><see cref="SegmentationModel.ForwardQueries"/>'s output: the semantic log-scores <c>[N, K, H, W]</c> and the
/// last layer's class logits <c>[N, Q, K+1]</c> and mask logits <c>[N, Q, H, W]</c>, all at the input's size.</summary>
public sealed record MaskClassificationPrediction(TorchSharp.torch.Tensor SemanticLogits, TorchSharp.torch.Tensor ClassLogits, TorchSharp.torch.Tensor MaskLogits);
