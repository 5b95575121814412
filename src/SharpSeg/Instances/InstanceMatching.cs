using SharpSeg.Imaging;
using SharpSeg.Metrics;

namespace SharpSeg.Instances;

/// <summary>
/// Accumulates instance-level scores over images (<c>eval --instances</c>): each image's true and predicted masks are cut
/// into instances with the same options, predicted pixels whose truth is ignore are ignored too (as the pixel metrics
/// do), and within each thing class predicted and true instances are matched one-to-one, highest IoU first, among
/// pairs with IoU ≥ <see cref="IouThreshold"/>. Stuff classes are not scored.
/// </summary>
public sealed class InstanceMatching
{
    /// <summary>The IoU a predicted instance needs with a true one to count as found.</summary>
    public const double DefaultIouThreshold = 0.5;

    readonly ResolvedInstanceOptions _options;
    readonly long[] _truth, _predicted, _matched;
    readonly double[] _absCountError;
    int _images;

    public InstanceMatching(ResolvedInstanceOptions options, double iouThreshold = DefaultIouThreshold)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!(iouThreshold > 0 && iouThreshold <= 1)) throw new ArgumentOutOfRangeException(nameof(iouThreshold), $"IoU threshold is in (0, 1], got {iouThreshold}");
        _options = options; IouThreshold = iouThreshold;
        int n = options.Classes.Count;
        _truth = new long[n]; _predicted = new long[n]; _matched = new long[n]; _absCountError = new double[n];
    }

    public double IouThreshold { get; }

    /// <summary>Result of one image: per class (true, predicted, matched) counts.</summary>
    public sealed record ImageCounts(long[] True, long[] Predicted, long[] Matched);

    /// <summary>Adds one image (masks of the same size, class indices of the options' table).</summary>
    public ImageCounts Add(LabelMask truth, LabelMask prediction)
    {
        ArgumentNullException.ThrowIfNull(truth);
        ArgumentNullException.ThrowIfNull(prediction);
        if (truth.Width != prediction.Width || truth.Height != prediction.Height)
            throw new ArgumentException($"prediction is {prediction.Width}x{prediction.Height}, truth {truth.Width}x{truth.Height}");
        var masked = (byte[])prediction.Labels.Clone();
        for (int i = 0; i < masked.Length; i++)
            if (truth.Labels[i] == LabelMask.Ignore) masked[i] = LabelMask.Ignore;
        var o = _options.Options;
        var t = ConnectedComponents.Label(truth, o.Connectivity, _options.Things, o.MinArea, o.FillHoles);
        var p = ConnectedComponents.Label(new LabelMask(truth.Width, truth.Height, masked), o.Connectivity, _options.Things, o.MinArea, o.FillHoles);
        var counts = Match(t, p, _options.Classes.Count, IouThreshold);
        for (int c = 0; c < _truth.Length; c++)
        {
            _truth[c] += counts.True[c]; _predicted[c] += counts.Predicted[c]; _matched[c] += counts.Matched[c];
            _absCountError[c] += Math.Abs(counts.Predicted[c] - counts.True[c]);
        }
        _images++;
        return counts;
    }

    /// <summary>One-to-one matching of two labellings of the same image, per class, by IoU ≥ <paramref name="threshold"/>.</summary>
    public static ImageCounts Match(ComponentLabels truth, ComponentLabels prediction, int classes, double threshold = DefaultIouThreshold)
    {
        var trueCount = new long[classes]; var predCount = new long[classes]; var matched = new long[classes];
        foreach (var c in truth.ClassOf) trueCount[c]++;
        foreach (var c in prediction.ClassOf) predCount[c]++;
        var areaT = new long[truth.Count + 1]; var areaP = new long[prediction.Count + 1];
        var overlap = new Dictionary<long, long>();
        var ti = truth.Ids; var pi = prediction.Ids;
        for (int i = 0; i < ti.Length; i++)
        {
            int a = ti[i], b = pi[i];
            areaT[a]++; areaP[b]++;
            if (a != 0 && b != 0 && truth.ClassOf[a - 1] == prediction.ClassOf[b - 1])
            {
                long key = ((long)a << 32) | (uint)b;
                overlap[key] = overlap.GetValueOrDefault(key) + 1;
            }
        }
        var candidates = new List<(double IoU, int T, int P)>();
        foreach (var (key, inter) in overlap)
        {
            int a = (int)(key >> 32), b = (int)(key & 0xFFFFFFFF);
            double iou = (double)inter / (areaT[a] + areaP[b] - inter);
            if (iou >= threshold) candidates.Add((iou, a, b));
        }
        var usedT = new bool[truth.Count + 1]; var usedP = new bool[prediction.Count + 1];
        foreach (var (_, a, b) in candidates.OrderByDescending(x => x.IoU).ThenBy(x => x.T).ThenBy(x => x.P))
        {
            if (usedT[a] || usedP[b]) continue;
            usedT[a] = usedP[b] = true;
            matched[truth.ClassOf[a - 1]]++;
        }
        return new ImageCounts(trueCount, predCount, matched);
    }

    /// <summary>The scores over the images added so far (thing classes only).</summary>
    public InstanceScores ToScores()
    {
        var perClass = new List<InstanceClassScores>();
        for (int c = 0; c < _truth.Length; c++)
        {
            if (!_options.Things[c]) continue;
            var (p, r, f) = InstanceScores.Score(_matched[c], _predicted[c], _truth[c]);
            perClass.Add(new InstanceClassScores
            {
                Index = c, Name = _options.Classes[c].Name,
                TrueInstances = _truth[c], PredictedInstances = _predicted[c], Matched = _matched[c],
                Precision = p, Recall = r, F1 = f,
                CountMeanAbsoluteError = _images > 0 ? _absCountError[c] / _images : 0,
                CountRelativeError = _truth[c] > 0 ? (double)(_predicted[c] - _truth[c]) / _truth[c] : null,
            });
        }
        var (tp, tr, tf) = InstanceScores.Score(perClass.Sum(s => s.Matched), perClass.Sum(s => s.PredictedInstances), perClass.Sum(s => s.TrueInstances));
        var o = _options.Options;
        return new InstanceScores
        {
            IouThreshold = IouThreshold, Connectivity = (int)o.Connectivity, MinArea = o.MinArea, FillHoles = o.FillHoles, Images = _images,
            PerClass = perClass, Precision = tp, Recall = tr, F1 = tf,
            MeanCountMeanAbsoluteError = perClass.Count > 0 ? perClass.Average(s => s.CountMeanAbsoluteError) : null,
        };
    }
}
