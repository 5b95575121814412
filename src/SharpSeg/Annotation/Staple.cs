using SharpSeg.Imaging;

namespace SharpSeg.Annotation;

/// <summary>
/// Multi-class STAPLE (Warfield, Zou, Wells 2004, "Simultaneous truth and performance level estimation"; the multi-label
/// form of Rohlfing et al. 2004, as ITK's MultiLabelSTAPLEImageFilter): expectation-maximisation of each annotator's
/// confusion matrix θ_j[l, k] = P(annotator j says l | the truth is k) and of the posterior of the true class of each
/// pixel, W_k ∝ π_k · Π_j θ_j[d_j, k] over the annotators j who labelled it.
/// <list type="bullet">
/// <item>Prior π: the relative frequency of each class among all annotators' labels (ITK's default), fixed.</item>
/// <item>Start: θ_j diagonal = the annotator's initial trust (0.99 by default, ITK's), the rest spread evenly.</item>
/// <item>E-step and M-step run on <see cref="LabelTuples"/>: pixels with the same combination of labels have the same
/// posterior, so grouping them is exact. Pixels where everyone agrees cost nothing extra, and every pixel (agreed or
/// disputed) counts in the confusion matrices, as in the paper's full EM (it restricts EM to the disputed region only
/// for speed, which grouping makes unnecessary).</item>
/// <item>An annotator who gave no label at a pixel (ignore, or no mask for the image) contributes no factor there and is
/// not counted in its own confusion matrix there.</item>
/// <item>Stops when no entry of any θ moves by more than <see cref="Tolerance"/>, or after <see cref="MaxIterations"/>.</item>
/// </list>
/// </summary>
public sealed class Staple : IFusionRule
{
    public const double DefaultTrust = 0.99;
    public const double Tolerance = 1e-7;
    public const int MaxIterations = 1000;

    readonly Dictionary<ulong, double[]> _posterior = [];

    Staple(int annotators, int classes)
    {
        Annotators = annotators; Classes = classes;
        Confusion = new double[annotators][,];
        Prior = new double[classes];
        TruthShare = new double[classes];
    }

    public int Annotators { get; }
    public int Classes { get; }

    /// <summary>θ_j[l, k]: the probability that annotator j says class l where the truth is class k (columns sum to 1).</summary>
    public double[][,] Confusion { get; }

    /// <summary>π: the class prior used in the E-step.</summary>
    public double[] Prior { get; }

    /// <summary>The estimated share of each true class over all pixels (Σ W / pixels).</summary>
    public double[] TruthShare { get; }

    public int Iterations { get; private set; }
    public bool Converged { get; private set; }

    /// <summary>Annotator j's sensitivity for class k: θ_j[k, k].</summary>
    public double Sensitivity(int j, int k) => Confusion[j][k, k];

    /// <summary>Annotator j's specificity for class k (one against the rest): P(not k | the truth is not k), the true classes
    /// weighted by <see cref="TruthShare"/>. NaN when no pixel is estimated to be of another class.</summary>
    public double Specificity(int j, int k)
    {
        double num = 0, den = 0;
        for (int t = 0; t < Classes; t++)
        {
            if (t == k) continue;
            num += TruthShare[t] * (1 - Confusion[j][k, t]);
            den += TruthShare[t];
        }
        return den > 0 ? num / den : double.NaN;
    }

    /// <summary>The posterior over the true class of pixels with the labels of <paramref name="key"/>.</summary>
    public double[] Posterior(ulong key) => _posterior.TryGetValue(key, out var w) ? w : EStep(key);

    /// <summary>The arg-max of the posterior (the lowest class index on a tie) and its probability; a pixel no annotator
    /// labelled is <see cref="LabelMask.Ignore"/> with confidence 0.</summary>
    public (byte Label, double Confidence) Fuse(ulong key)
    {
        bool any = false;
        for (int j = 0; j < Annotators; j++) any |= LabelTuples.Label(key, j) != LabelMask.Ignore;
        if (!any) return (LabelMask.Ignore, 0);
        var w = Posterior(key);
        int best = 0;
        for (int k = 1; k < Classes; k++) if (w[k] > w[best]) best = k;
        return ((byte)best, w[best]);
    }

    /// <summary>Fits STAPLE to the label combinations of a whole dataset.</summary>
    /// <param name="trust">Initial diagonal of each annotator's confusion matrix (null: <see cref="DefaultTrust"/> each), in (1/classes, 1).</param>
    public static Staple Fit(LabelTuples tuples, IReadOnlyList<double>? trust = null, int maxIterations = MaxIterations, double tolerance = Tolerance)
    {
        int r = tuples.Annotators, c = tuples.Classes;
        var s = new Staple(r, c);
        var start = trust?.ToArray() ?? Enumerable.Repeat(DefaultTrust, r).ToArray();
        if (start.Length != r) throw new SharpSegException($"--weights has {start.Length} values for {r} annotators; give one per annotator.");
        for (int j = 0; j < r; j++)
        {
            if (!(start[j] > 0 && start[j] < 1)) throw new SharpSegException($"initial STAPLE trust {start[j]} must be in (0, 1).");
            s.Confusion[j] = new double[c, c];
            for (int l = 0; l < c; l++)
                for (int k = 0; k < c; k++)
                    s.Confusion[j][l, k] = c == 1 ? 1 : l == k ? start[j] : (1 - start[j]) / (c - 1);
        }
        // π: relative frequency of the classes among all labels given.
        double labels = 0;
        foreach (var (key, count) in tuples.Counts)
            for (int j = 0; j < r; j++)
            {
                byte l = LabelTuples.Label(key, j);
                if (l != LabelMask.Ignore) { s.Prior[l] += count; labels += count; }
            }
        for (int k = 0; k < c; k++) s.Prior[k] = labels > 0 ? s.Prior[k] / labels : 1.0 / c;

        var entries = tuples.Counts.Where(e => tuples.Labelled(e.Key) > 0).ToArray();
        var numerator = new double[r][,];
        for (int j = 0; j < r; j++) numerator[j] = new double[c, c];
        var denominator = new double[r, c];
        for (int it = 1; it <= maxIterations; it++)
        {
            for (int j = 0; j < r; j++) { Array.Clear(numerator[j]); }
            Array.Clear(denominator);
            foreach (var (key, count) in entries)
            {
                var w = s.EStep(key);
                for (int j = 0; j < r; j++)
                {
                    byte l = LabelTuples.Label(key, j);
                    if (l == LabelMask.Ignore) continue;
                    for (int k = 0; k < c; k++)
                    {
                        double v = count * w[k];
                        numerator[j][l, k] += v;
                        denominator[j, k] += v;
                    }
                }
            }
            double change = 0;
            for (int j = 0; j < r; j++)
                for (int k = 0; k < c; k++)
                {
                    if (denominator[j, k] <= 0) continue; // no pixel estimated to be class k: keep the column
                    for (int l = 0; l < c; l++)
                    {
                        double updated = numerator[j][l, k] / denominator[j, k];
                        change = Math.Max(change, Math.Abs(updated - s.Confusion[j][l, k]));
                        s.Confusion[j][l, k] = updated;
                    }
                }
            s.Iterations = it;
            if (change < tolerance) { s.Converged = true; break; }
        }
        double pixels = 0;
        foreach (var (key, count) in entries)
        {
            var w = s.EStep(key);
            s._posterior[key] = w;
            for (int k = 0; k < c; k++) s.TruthShare[k] += count * w[k];
            pixels += count;
        }
        for (int k = 0; k < c; k++) s.TruthShare[k] = pixels > 0 ? s.TruthShare[k] / pixels : 0;
        return s;
    }

    double[] EStep(ulong key)
    {
        var w = new double[Classes];
        double sum = 0;
        for (int k = 0; k < Classes; k++)
        {
            double p = Prior[k];
            for (int j = 0; j < Annotators; j++)
            {
                byte l = LabelTuples.Label(key, j);
                if (l != LabelMask.Ignore) p *= Confusion[j][l, k];
            }
            w[k] = p; sum += p;
        }
        if (sum > 0) for (int k = 0; k < Classes; k++) w[k] /= sum;
        else
        {
            // Every class ruled out (some θ reached 0): fall back to the plain vote of the labels given.
            for (int j = 0; j < Annotators; j++) { byte l = LabelTuples.Label(key, j); if (l != LabelMask.Ignore) { w[l] += 1; sum += 1; } }
            for (int k = 0; k < Classes; k++) w[k] = sum > 0 ? w[k] / sum : 1.0 / Classes;
        }
        return w;
    }
}
