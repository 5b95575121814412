using SharpSeg.Imaging;

namespace SharpSeg.Annotation;

/// <summary>
/// Inter-annotator agreement computed from <see cref="LabelTuples"/> (exact: every statistic depends on a pixel only
/// through its combination of labels). A pixel is one rated item; annotators who gave no label there are missing.
/// <list type="bullet">
/// <item>Pairwise IoU and Dice of one class between two annotators, over the pixels both labelled.</item>
/// <item>Fleiss' kappa (Fleiss 1971) over the pixels every annotator labelled: for all classes, or for one class against
/// the rest.</item>
/// <item>Krippendorff's alpha, nominal (Krippendorff 2011, "Computing Krippendorff's alpha-reliability"), over the pixels
/// at least two annotators labelled (missing labels allowed): for all classes, or one class against the rest.</item>
/// </list>
/// Undefined values (no pixel to compare, or no variation at all) are NaN.
/// </summary>
public static class AgreementStatistics
{
    /// <summary>Label counts per class of one combination, and how many annotators labelled it.</summary>
    static int Counts(ulong key, int annotators, Span<int> perClass)
    {
        perClass.Clear();
        int m = 0;
        for (int j = 0; j < annotators; j++)
        {
            byte l = LabelTuples.Label(key, j);
            if (l == LabelMask.Ignore) continue;
            perClass[l]++; m++;
        }
        return m;
    }

    /// <summary>IoU and Dice of class <paramref name="k"/> between annotators <paramref name="a"/> and <paramref name="b"/>
    /// (NaN when neither of them used the class where both labelled).</summary>
    public static (double IoU, double Dice) Pairwise(LabelTuples t, int a, int b, int k)
    {
        long both = 0, onlyA = 0, onlyB = 0;
        foreach (var (key, count) in t.Counts)
        {
            byte la = LabelTuples.Label(key, a), lb = LabelTuples.Label(key, b);
            if (la == LabelMask.Ignore || lb == LabelMask.Ignore) continue;
            bool inA = la == k, inB = lb == k;
            if (inA && inB) both += count; else if (inA) onlyA += count; else if (inB) onlyB += count;
        }
        long union = both + onlyA + onlyB;
        return union == 0 ? (double.NaN, double.NaN) : ((double)both / union, 2.0 * both / (2 * both + onlyA + onlyB));
    }

    /// <summary>Share of the pixels labelled by at least two annotators where they do not all agree.</summary>
    public static double DisputedShare(LabelTuples t)
    {
        long rated = 0, disputed = 0;
        Span<int> n = stackalloc int[t.Classes];
        foreach (var (key, count) in t.Counts)
        {
            int m = Counts(key, t.Annotators, n);
            if (m < 2) continue;
            rated += count;
            bool agree = false;
            foreach (var c in n) if (c == m) { agree = true; break; }
            if (!agree) disputed += count;
        }
        return rated == 0 ? double.NaN : (double)disputed / rated;
    }

    /// <summary>Fleiss' kappa over the pixels every annotator labelled: all classes (<paramref name="k"/> null) or class
    /// <paramref name="k"/> against the rest.</summary>
    public static double FleissKappa(LabelTuples t, int? k = null)
    {
        int r = t.Annotators, categories = k is null ? t.Classes : 2;
        Span<int> n = stackalloc int[t.Classes];
        Span<int> cat = stackalloc int[categories];
        double items = 0, agreement = 0;
        var totals = new double[categories];
        foreach (var (key, count) in t.Counts)
        {
            if (Counts(key, r, n) != r) continue;
            Categories(n, k, cat, r);
            double sumSq = 0;
            for (int c = 0; c < categories; c++) { sumSq += (double)cat[c] * cat[c]; totals[c] += (double)count * cat[c]; }
            agreement += count * (sumSq - r) / ((double)r * (r - 1));
            items += count;
        }
        if (items == 0) return double.NaN;
        double pBar = agreement / items, pE = 0;
        foreach (var total in totals) { double p = total / (items * r); pE += p * p; }
        return pE >= 1 ? double.NaN : (pBar - pE) / (1 - pE);
    }

    /// <summary>Krippendorff's alpha (nominal) over the pixels at least two annotators labelled: all classes
    /// (<paramref name="k"/> null) or class <paramref name="k"/> against the rest.</summary>
    public static double KrippendorffAlpha(LabelTuples t, int? k = null)
    {
        int categories = k is null ? t.Classes : 2;
        Span<int> n = stackalloc int[t.Classes];
        Span<int> cat = stackalloc int[categories];
        var values = new double[categories];
        double disagreeing = 0;
        foreach (var (key, count) in t.Counts)
        {
            int m = Counts(key, t.Annotators, n);
            if (m < 2) continue;
            Categories(n, k, cat, m);
            double sumSq = 0;
            for (int c = 0; c < categories; c++) { sumSq += (double)cat[c] * cat[c]; values[c] += (double)count * cat[c]; }
            disagreeing += count * ((double)m * m - sumSq) / (m - 1); // Σ_{c≠k} o_ck of this unit
        }
        double total = values.Sum(), expected = total * total - values.Sum(v => v * v); // Σ_{c≠k} n_c n_k
        if (total == 0 || expected <= 0) return double.NaN;
        return 1 - (total - 1) * disagreeing / expected;
    }

    static void Categories(ReadOnlySpan<int> perClass, int? k, Span<int> categories, int labelled)
    {
        if (k is not { } one) { perClass.CopyTo(categories); return; }
        categories[0] = perClass[one];
        categories[1] = labelled - perClass[one];
    }
}
