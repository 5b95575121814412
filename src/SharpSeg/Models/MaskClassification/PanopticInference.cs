using static TorchSharp.torch;

namespace SharpSeg.Models.MaskClassification;

/// <summary>
/// Mask2Former's panoptic and instance inference on one image's last-layer predictions: class logits <c>[Q, K+1]</c>
/// (the last column "no object") and mask logits <c>[Q, H, W]</c> already resized to the image (as the official code
/// resizes them before these steps). A port of <c>MaskFormer.panoptic_inference</c> and
/// <c>MaskFormer.instance_inference</c> in facebookresearch/Mask2Former, <c>mask2former/maskformer_model.py</c>
/// (https://github.com/facebookresearch/Mask2Former/blob/main/mask2former/maskformer_model.py), with its defaults
/// (<see cref="PanopticInferenceOptions"/>). The per-pixel work runs on the tensors' device and dtype; the segment
/// book-keeping on the CPU.
/// </summary>
public static class PanopticInference
{
    /// <summary>
    /// Panoptic inference. Per query, the class is the arg-max of the softmax over K+1 and its probability the score; a query
    /// is kept when its class is not "no object" and its score is above <see cref="PanopticInferenceOptions.ObjectMaskThreshold"/>.
    /// Each pixel goes to the kept query with the largest score × sigmoid(mask), and counts for it only where that
    /// query's own sigmoid is ≥ 0.5 (elsewhere the pixel is void). In query order, a query whose won pixels are none, or
    /// less than <see cref="PanopticInferenceOptions.OverlapThreshold"/> of its own mask (sigmoid ≥ 0.5), is dropped (its
    /// pixels become void); a thing query becomes one segment; a stuff query joins the segment of the first query of the
    /// same class, or opens it. Segment ids count from 1 in that order.
    /// </summary>
    /// <param name="classLogits">Class logits <c>[Q, K+1]</c>.</param>
    /// <param name="maskLogits">Mask logits <c>[Q, H, W]</c> at the output size.</param>
    /// <param name="isThing">Per class (K entries): true = thing (one segment per query), false = stuff (one per class).</param>
    /// <param name="options">Thresholds (null: Mask2Former's).</param>
    public static PanopticResult Panoptic(Tensor classLogits, Tensor maskLogits, IReadOnlyList<bool> isThing, PanopticInferenceOptions? options = null)
    {
        var (q, k, h, w) = CheckShapes(classLogits, maskLogits);
        ArgumentNullException.ThrowIfNull(isThing);
        if (isThing.Count != k) throw new ArgumentException($"isThing has {isThing.Count} entries for {k} classes", nameof(isThing));
        options ??= new PanopticInferenceOptions();
        options.Validate();
        checked { _ = h * w; }
        int plane = (int)(h * w);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (scores, labels) = classLogits.softmax(-1).max(-1);
        var keep = labels.ne(k).logical_and(scores.gt(options.ObjectMaskThreshold));
        var kept = keep.nonzero().reshape(-1).cpu();
        int n = (int)kept.shape[0];
        var segmentIds = new int[plane];
        if (n == 0) return new PanopticResult((int)w, (int)h, segmentIds, []);
        var keptOnDevice = kept.to(classLogits.device);
        var keptQueries = kept.data<long>().ToArray();
        var keptLabels = labels.index_select(0, keptOnDevice).cpu().data<long>().ToArray();
        var keptScores = scores.index_select(0, keptOnDevice).to(ScalarType.Float64).cpu().data<double>().ToArray();
        var logits = maskLogits.index_select(0, keptOnDevice);                     // [n, H, W]
        var masks = logits.sigmoid();
        var probMasks = scores.index_select(0, keptOnDevice).view(-1, 1, 1) * masks;
        var winner = Ints(probMasks.argmax(0));
        var ownMask = masks.ge(0.5);
        var own = Bytes(ownMask);
        var originalArea = ownMask.sum([1, 2]).cpu().data<long>().ToArray();
        var maskScores = MaskScores(logits, masks);

        var wonArea = new long[n];
        var wonInOwn = new long[n];
        for (int i = 0; i < plane; i++)
        {
            int j = winner[i];
            wonArea[j]++;
            if (own[(long)j * plane + i] != 0) wonInOwn[j]++;
        }
        var segmentOf = new int[n];
        var stuffSegment = new Dictionary<int, int>();
        var segments = new List<PanopticSegment>();
        for (int j = 0; j < n; j++)
        {
            if (wonArea[j] == 0 || originalArea[j] == 0 || wonInOwn[j] == 0) continue;
            if ((double)wonArea[j] / originalArea[j] < options.OverlapThreshold) continue;
            int c = (int)keptLabels[j];
            bool thing = isThing[c];
            if (!thing && stuffSegment.TryGetValue(c, out int merged))
            {
                segmentOf[j] = merged;
                continue;
            }
            int id = segments.Count + 1;
            if (!thing) stuffSegment[c] = id;
            segmentOf[j] = id;
            segments.Add(new PanopticSegment(id, c, thing, (int)keptQueries[j], keptScores[j], maskScores[j]));
        }
        for (int i = 0; i < plane; i++)
        {
            int j = winner[i];
            if (own[(long)j * plane + i] != 0) segmentIds[i] = segmentOf[j];
        }
        return new PanopticResult((int)w, (int)h, segmentIds, segments);
    }

    /// <summary>
    /// Instance inference: the <see cref="PanopticInferenceOptions.TopK"/> largest (query, class) softmax probabilities
    /// over the K real classes (at most Q·K), optionally only for the classes where <paramref name="classes"/> is true (the
    /// official code keeps only thing classes when panoptic output is on); each detection's mask is where the query's mask
    /// logit is positive and its score is the class probability × the mean sigmoid over that mask. Sorted by class
    /// probability, largest first (the official code takes the top-k unsorted; the set is the same).
    /// </summary>
    /// <param name="classLogits">Class logits <c>[Q, K+1]</c>.</param>
    /// <param name="maskLogits">Mask logits <c>[Q, H, W]</c> at the output size.</param>
    /// <param name="options">Top-k (null: 100).</param>
    /// <param name="classes">K entries, true for the classes to keep; null keeps all.</param>
    public static IReadOnlyList<QueryInstance> Instances(Tensor classLogits, Tensor maskLogits, PanopticInferenceOptions? options = null, IReadOnlyList<bool>? classes = null)
    {
        var (q, k, h, w) = CheckShapes(classLogits, maskLogits);
        if (classes != null && classes.Count != k) throw new ArgumentException($"classes has {classes.Count} entries for {k} classes", nameof(classes));
        options ??= new PanopticInferenceOptions();
        options.Validate();
        checked { _ = h * w; }
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var scores = classLogits.softmax(-1)[.., ..(int)k].flatten();              // [Q·K], query-major
        var (values, indices) = scores.topk((int)Math.Min(options.TopK, q * k), sorted: true);
        var flat = indices.cpu().data<long>().ToArray();
        var classScores = values.to(ScalarType.Float64).cpu().data<double>().ToArray();
        var queries = indices.div(k, rounding_mode: RoundingMode.floor);
        var logits = maskLogits.index_select(0, queries);
        var maskScores = MaskScores(logits, logits.sigmoid());
        var binary = Bytes(logits.gt(0));
        int plane = (int)(h * w);
        var result = new List<QueryInstance>();
        for (int i = 0; i < flat.Length; i++)
        {
            int c = (int)(flat[i] % k);
            if (classes != null && !classes[c]) continue;
            result.Add(new QueryInstance((int)(flat[i] / k), c, classScores[i], maskScores[i], (int)w, (int)h, binary.AsSpan(i * plane, plane).ToArray()));
        }
        return result;
    }

    // Whole buffers at once: Tensor.data<T>().ToArray() goes element by element through an accessor (seconds for the
    // tens of millions of entries of 100 masks at 960×720).
    static byte[] Bytes(Tensor t) => t.to(ScalarType.Byte).cpu().contiguous().bytes.ToArray();

    static int[] Ints(Tensor t) => System.Runtime.InteropServices.MemoryMarshal.Cast<byte, int>(t.to(ScalarType.Int32).cpu().contiguous().bytes).ToArray();

    /// <summary>Per mask, the mean sigmoid over its pixels with a positive logit: Σ sigmoid·[logit &gt; 0] / (Σ [logit &gt; 0] + 1e-6).</summary>
    static double[] MaskScores(Tensor logits, Tensor sigmoid)
    {
        var binary = logits.gt(0).to(sigmoid.dtype);
        return ((sigmoid * binary).sum([1, 2]) / (binary.sum([1, 2]) + 1e-6)).to(ScalarType.Float64).cpu().data<double>().ToArray();
    }

    static (long Q, long K, long H, long W) CheckShapes(Tensor classLogits, Tensor maskLogits)
    {
        ArgumentNullException.ThrowIfNull(classLogits);
        ArgumentNullException.ThrowIfNull(maskLogits);
        if (classLogits.dim() != 2 || classLogits.shape[1] < 2) throw new ArgumentException($"class logits must be [Q, K+1], got [{string.Join(", ", classLogits.shape)}]", nameof(classLogits));
        if (maskLogits.dim() != 3 || maskLogits.shape[0] != classLogits.shape[0])
            throw new ArgumentException($"mask logits must be [Q, H, W] with Q = {classLogits.shape[0]}, got [{string.Join(", ", maskLogits.shape)}]", nameof(maskLogits));
        return (classLogits.shape[0], classLogits.shape[1] - 1, maskLogits.shape[2 - 1], maskLogits.shape[2]);
    }
}
