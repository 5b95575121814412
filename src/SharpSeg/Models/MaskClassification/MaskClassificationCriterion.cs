using static TorchSharp.torch;

namespace SharpSeg.Models.MaskClassification;

/// <summary>The raw outputs of a mask-classification model for the set criterion: for each decoder layer (the last is
/// the final prediction, the others give deep supervision) the class logits <c>[N, Q, K+1]</c> and the mask logits
/// <c>[N, Q, h, w]</c>; <see cref="ExtentY"/>, <see cref="ExtentX"/>: the share of the mask logits' frame that the image
/// covers (below 1 when the input was padded to the encoder's stride).</summary>
public sealed record MaskClassificationOutput(IReadOnlyList<(Tensor ClassLogits, Tensor MaskLogits)> Layers, double ExtentY = 1.0, double ExtentX = 1.0);

/// <summary>Weights and sampling of the set criterion; the defaults are Mask2Former's (class 2, mask 5, Dice 5, no-object
/// 0.1, 112² points, oversample 3, importance 0.75).</summary>
public sealed record MaskClassificationLossOptions
{
    /// <summary>Weight of the class cross-entropy (and of the class cost in the matching).</summary>
    public double ClassWeight { get; init; } = 2.0;
    /// <summary>Weight of the mask sigmoid cross-entropy (loss and matching cost).</summary>
    public double MaskWeight { get; init; } = 5.0;
    /// <summary>Weight of the mask Dice loss (loss and matching cost).</summary>
    public double DiceWeight { get; init; } = 5.0;
    /// <summary>Class-CE weight of the "no object" class (queries matched to nothing).</summary>
    public double NoObjectWeight { get; init; } = 0.1;
    /// <summary>Points per mask for the matching and for the loss (at most the target's pixel count).</summary>
    public int NumPoints { get; init; } = 112 * 112;
    /// <summary>Importance sampling: candidates drawn per kept point.</summary>
    public double OversampleRatio { get; init; } = 3.0;
    /// <summary>Importance sampling: share of the points taken where the prediction is most uncertain.</summary>
    public double ImportanceSampleRatio { get; init; } = 0.75;
    /// <summary>Target value of pixels left out of every mask term.</summary>
    public long IgnoreIndex { get; init; } = Imaging.LabelMask.Ignore;
}

/// <summary>One decoder layer's share of the criterion: its loss terms (unweighted) and, per image, the ground-truth mask
/// index each query was matched to (−1: no object) and the matching cost matrix <c>[Q, M]</c>.</summary>
public sealed record MaskClassificationLayerLoss(Tensor Class, Tensor Mask, Tensor Dice, int[][] Matches, double[][,] Costs);

/// <summary>The criterion's value: <see cref="Total"/> = Σ over layers of class·w_c + mask·w_m + Dice·w_d.</summary>
public sealed record MaskClassificationLoss(Tensor Total, IReadOnlyList<MaskClassificationLayerLoss> Layers);

/// <summary>Ground truth for one image: the class of each mask, the masks <c>[M, H, W]</c> (0/1) and the valid pixels
/// <c>[1, H, W]</c> (0 where the target is the ignore index).</summary>
public sealed record MaskTargets(long[] Labels, Tensor Masks, Tensor Valid)
{
    /// <summary>Semantic segmentation: one mask per class present in <paramref name="target"/> <c>[H, W]</c>, in class
    /// order; ignore pixels are in no mask and not valid.</summary>
    public static MaskTargets Semantic(Tensor target, int numClasses, long ignoreIndex, ScalarType dtype = ScalarType.Float32)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (target.dim() != 2) throw new ArgumentException($"target must be [H, W], got [{string.Join(", ", target.shape)}]", nameof(target));
        var t = target.to_type(ScalarType.Int64);
        var present = t.unique().Item1.data<long>().ToArray().Where(v => v != ignoreIndex).ToArray();
        foreach (var v in present)
            if (v < 0 || v >= numClasses)
                throw new SharpSegException($"a target pixel has value {v} but the model has {numClasses} classes (ignore {ignoreIndex}): check the dataset's classes.");
        var labels = tensor(present, device: t.device);
        var masks = present.Length == 0 ? zeros(0, t.shape[0], t.shape[1], dtype: dtype, device: t.device)
            : t.unsqueeze(0).eq(labels.view(-1, 1, 1)).to_type(dtype);
        return new MaskTargets(present, masks, t.ne(ignoreIndex).unsqueeze(0).to_type(dtype));
    }
}

/// <summary>
/// MaskFormer/Mask2Former's set criterion (Cheng et al. 2021, 2022): for each decoder layer and each image, Hungarian
/// matching of the Q predicted masks to the ground-truth masks with the cost
/// <c>w_c·(−p[class]) + w_m·sigmoid-CE + w_d·Dice</c> on uniformly sampled points, then class cross-entropy over all
/// queries (unmatched ones target "no object", weighted <see cref="MaskClassificationLossOptions.NoObjectWeight"/>),
/// mask sigmoid-CE and Dice over the matched pairs on importance-sampled points, divided by the number of
/// ground-truth masks in the batch. Deep supervision: every layer is matched and scored on its own; the total is the sum.
/// Deviation: ignore pixels are left out of the mask terms by a per-point weight (the sampled validity map).
/// </summary>
public sealed class MaskClassificationCriterion
{
    /// <summary>Picks the points: (layer, image) → matching points <c>[P, 2]</c>; (layer, image, matched mask logits
    /// <c>[M, h, w]</c>, matched ground-truth indices) → loss points <c>[M, P, 2]</c>. Points are (x, y) in [0, 1].</summary>
    public sealed record Points(Func<int, int, Tensor> Matching, Func<int, int, Tensor, long[], Tensor> Loss);

    /// <param name="numClasses">K, the real classes; the class logits have K+1 channels.</param>
    /// <param name="options">Weights and sampling (null: Mask2Former's).</param>
    public MaskClassificationCriterion(int numClasses, MaskClassificationLossOptions? options = null)
    {
        if (numClasses < 1) throw new ArgumentOutOfRangeException(nameof(numClasses), $"num_classes must be at least 1, got {numClasses}");
        NumClasses = numClasses;
        Options = options ?? new MaskClassificationLossOptions();
        if (Options.NumPoints < 1) throw new ArgumentOutOfRangeException(nameof(options), $"the number of points must be at least 1, got {Options.NumPoints}");
    }

    /// <summary>K, the real classes.</summary>
    public int NumClasses { get; }

    /// <summary>Weights and sampling.</summary>
    public MaskClassificationLossOptions Options { get; }

    /// <summary>The criterion for a batch of semantic targets <c>[N, H, W]</c> (class indices or the ignore index), with
    /// Mask2Former's random sampling (uniform for the matching, importance sampling for the loss; the global generator).</summary>
    public MaskClassificationLoss Compute(MaskClassificationOutput output, Tensor target)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(target);
        if (target.dim() != 3) throw new ArgumentException($"target must be [N, H, W], got [{string.Join(", ", target.shape)}]", nameof(target));
        return Compute(output, SemanticTargets(target, output));
    }

    /// <summary>The criterion for ground truth given as masks per image (e.g. one mask per instance of the thing classes and
    /// one per stuff class, which makes the model panoptic), with Mask2Former's random sampling.</summary>
    public MaskClassificationLoss Compute(MaskClassificationOutput output, IReadOnlyList<MaskTargets> targets)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(targets);
        if (targets.Count == 0) throw new ArgumentException("no targets", nameof(targets));
        var o = Options;
        var valid = targets[0].Valid;
        // Never more points than the target has pixels (small crops): more would only resample the same pixels.
        long count = Math.Min(o.NumPoints, valid.shape[^2] * valid.shape[^1]);
        var points = new Points(
            (_, _) => PointSampling.Uniform(count, valid.device),
            (_, _, logits, _) => PointSampling.Importance(logits, count, o.OversampleRatio, o.ImportanceSampleRatio, output.ExtentY, output.ExtentX));
        return Compute(output, targets, points);
    }

    MaskTargets[] SemanticTargets(Tensor target, MaskClassificationOutput output)
    {
        if (output.Layers.Count == 0) throw new ArgumentException("the output has no decoder layer", nameof(output));
        var dtype = output.Layers[0].ClassLogits.dtype;
        return Enumerable.Range(0, (int)target.shape[0]).Select(b => MaskTargets.Semantic(target[b], NumClasses, Options.IgnoreIndex, dtype)).ToArray();
    }

    /// <summary>The criterion with the points chosen by <paramref name="points"/> (tests fix them).</summary>
    public MaskClassificationLoss Compute(MaskClassificationOutput output, Tensor target, Points points)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(points);
        if (target.dim() != 3) throw new ArgumentException($"target must be [N, H, W], got [{string.Join(", ", target.shape)}]", nameof(target));
        return Compute(output, SemanticTargets(target, output), points);
    }

    /// <summary>The criterion for ground-truth masks per image with the points chosen by <paramref name="points"/>.</summary>
    public MaskClassificationLoss Compute(MaskClassificationOutput output, IReadOnlyList<MaskTargets> targetList, Points points)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(targetList);
        ArgumentNullException.ThrowIfNull(points);
        if (output.Layers.Count == 0) throw new ArgumentException("the output has no decoder layer", nameof(output));
        var targets = targetList.ToArray();
        double numMasks = Math.Max(1, targets.Sum(t => t.Labels.Length));
        Tensor? total = null;
        var layers = new List<MaskClassificationLayerLoss>();
        for (int layer = 0; layer < output.Layers.Count; layer++)
        {
            var l = LayerLoss(layer, output.Layers[layer].ClassLogits, output.Layers[layer].MaskLogits, targets, numMasks, points, output.ExtentY, output.ExtentX);
            layers.Add(l);
            var weighted = l.Class * Options.ClassWeight + l.Mask * Options.MaskWeight + l.Dice * Options.DiceWeight;
            total = total is null ? weighted : total + weighted;
        }
        return new MaskClassificationLoss(total!, layers);
    }

    MaskClassificationLayerLoss LayerLoss(int layer, Tensor classLogits, Tensor maskLogits, MaskTargets[] targets, double numMasks, Points points, double ey, double ex)
    {
        long n = classLogits.shape[0], q = classLogits.shape[1];
        if (classLogits.dim() != 3 || classLogits.shape[2] != NumClasses + 1)
            throw new ArgumentException($"class logits must be [N, Q, {NumClasses + 1}], got [{string.Join(", ", classLogits.shape)}]", nameof(classLogits));
        if (maskLogits.dim() != 4 || maskLogits.shape[0] != n || maskLogits.shape[1] != q)
            throw new ArgumentException($"mask logits must be [{n}, {q}, h, w], got [{string.Join(", ", maskLogits.shape)}]", nameof(maskLogits));
        if (targets.Length != n) throw new ArgumentException($"the target has {targets.Length} images but the output {n}");
        var matches = new int[n][];
        var costs = new double[n][,];
        var classTargets = new long[n * q];
        Array.Fill(classTargets, NumClasses);
        var maskTerms = new List<Tensor>();
        var diceTerms = new List<Tensor>();
        for (int b = 0; b < n; b++)
        {
            var t = targets[b];
            (matches[b], costs[b]) = Match(classLogits[b], maskLogits[b], t, points.Matching(layer, b), ey, ex);
            var pairs = matches[b].Select((m, query) => (Query: (long)query, Target: (long)m)).Where(p => p.Target >= 0).ToArray();
            foreach (var (query, m) in pairs) classTargets[b * q + query] = t.Labels[m];
            if (pairs.Length == 0) continue;
            var device = maskLogits.device;
            var pred = maskLogits[b].index_select(0, tensor(pairs.Select(p => p.Query).ToArray(), device: device));
            var targetIndex = pairs.Select(p => p.Target).ToArray();
            var truth = t.Masks.index_select(0, tensor(targetIndex, device: device));
            var pts = points.Loss(layer, b, pred.detach(), targetIndex);
            var pl = PointSampling.Sample(pred, pts, ey, ex);
            var tl = PointSampling.Sample(truth, pts);
            var w = PointSampling.Sample(t.Valid.expand(pairs.Length, -1, -1), pts);
            var bce = nn.functional.binary_cross_entropy_with_logits(pl, tl, reduction: nn.Reduction.None);
            maskTerms.Add((bce * w).sum(1) / w.sum(1).clamp_min(1e-12));
            var s = pl.sigmoid() * w;
            diceTerms.Add(1 - (2 * (s * tl).sum(1) + 1) / (s.sum(1) + (tl * w).sum(1) + 1));
        }
        var weight = tensor(Enumerable.Repeat(1.0, NumClasses).Append(Options.NoObjectWeight).ToArray(), device: classLogits.device).to_type(classLogits.dtype);
        var classLoss = nn.functional.cross_entropy(classLogits.reshape(n * q, NumClasses + 1), tensor(classTargets, device: classLogits.device), weight: weight);
        Tensor mask, dice;
        if (maskTerms.Count == 0)
        {
            // No ground-truth mask anywhere in the batch: keep the graph connected with a zero.
            mask = maskLogits.sum() * 0;
            dice = maskLogits.sum() * 0;
        }
        else
        {
            mask = cat(maskTerms, 0).sum() / numMasks;
            dice = cat(diceTerms, 0).sum() / numMasks;
        }
        return new MaskClassificationLayerLoss(classLoss, mask, dice, matches, costs);
    }

    /// <summary>The matching of one image: query → ground-truth mask index (−1: none), and the cost matrix [Q, M].</summary>
    (int[] Matches, double[,] Cost) Match(Tensor classLogits, Tensor maskLogits, MaskTargets t, Tensor points, double ey, double ex)
    {
        long q = classLogits.shape[0];
        int m = t.Labels.Length;
        if (m == 0) return (Enumerable.Repeat(-1, (int)q).ToArray(), new double[q, 0]);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var device = classLogits.device;
        var prob = classLogits.detach().softmax(-1);
        var costClass = -prob.index_select(1, tensor(t.Labels, device: device));
        var pred = PointSampling.Sample(maskLogits.detach(), points, ey, ex);   // [Q, P]
        var truth = PointSampling.Sample(t.Masks, points);                    // [M, P]
        var w = PointSampling.Sample(t.Valid, points);                        // [1, P]
        var pos = nn.functional.binary_cross_entropy_with_logits(pred, ones_like(pred), reduction: nn.Reduction.None) * w;
        var neg = nn.functional.binary_cross_entropy_with_logits(pred, zeros_like(pred), reduction: nn.Reduction.None) * w;
        var costMask = (pos.matmul(truth.t()) + neg.matmul((1 - truth).t())) / w.sum().clamp_min(1e-12);
        var s = pred.sigmoid() * w;
        var costDice = 1 - (2 * s.matmul(truth.t()) + 1) / (s.sum(-1, keepdim: true) + (truth * w).sum(-1).unsqueeze(0) + 1);
        var c = (costClass * Options.ClassWeight + costMask * Options.MaskWeight + costDice * Options.DiceWeight).to_type(ScalarType.Float64).cpu();
        var values = c.data<double>().ToArray();
        var cost = new double[q, m];
        for (int i = 0; i < q; i++)
            for (int j = 0; j < m; j++) cost[i, j] = values[i * m + j];
        return (HungarianMatcher.Solve(cost), cost);
    }
}
