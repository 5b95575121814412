using System.Globalization;

namespace SharpSeg.Curation.Selection;

/// <summary>Parses <c>--class-target</c>: <c>uniform</c> (every class the same share), or relative weights
/// <c>Pole=3,Bicyclist=3</c> (classes not named weigh 1), normalised to sum to 1.</summary>
public static class ClassTargets
{
    /// <summary>
    /// Refuses a class target that would change nothing: one needs class scores (<paramref name="hasScores"/>: a
    /// checkpoint or a scores CSV) and a strategy mix with class balance in it.
    /// </summary>
    public static void RefuseUnused(string? text, bool hasScores, StrategyMix mix)
    {
        if (text == null) return;
        if (!hasScores)
            throw new SharpSegException("--class-target needs predicted classes: give --checkpoint (a trained model) or --scores (a CSV from 'sharpseg score') as well.");
        if (mix.Weight(SelectionStrategy.ClassBalance) <= 0)
            throw new SharpSegException($"--class-target steers the class-balance strategy, which --strategy '{mix.Text}' does not use: add it, e.g. --strategy class-balance or uncertainty:0.5,class-balance:0.5.");
    }

    /// <summary>Target shares for <paramref name="classNames"/>.</summary>
    public static double[] Parse(string? text, IReadOnlyList<string> classNames)
    {
        var w = Enumerable.Repeat(1.0, classNames.Count).ToArray();
        if (!string.IsNullOrWhiteSpace(text) && !text.Trim().Equals("uniform", StringComparison.OrdinalIgnoreCase))
        {
            foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                var kv = part.Split('=', 2, StringSplitOptions.TrimEntries);
                int c = kv.Length == 2 ? IndexOf(classNames, kv[0]) : -1;
                if (kv.Length != 2) throw new SharpSegException($"--class-target '{part}': write CLASS=WEIGHT, e.g. Pole=3.");
                if (c < 0) throw new SharpSegException($"--class-target: no class '{kv[0]}'{Configuration.NearestName.Hint(kv[0], classNames)}.");
                if (!double.TryParse(kv[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !(v >= 0) || double.IsInfinity(v))
                    throw new SharpSegException($"--class-target '{part}': the weight must be a number ≥ 0.");
                w[c] = v;
            }
        }
        double sum = w.Sum();
        if (!(sum > 0)) throw new SharpSegException("--class-target: the weights sum to 0.");
        return w.Select(v => v / sum).ToArray();
    }

    static int IndexOf(IReadOnlyList<string> names, string name)
    {
        for (int i = 0; i < names.Count; i++) if (string.Equals(names[i], name, StringComparison.OrdinalIgnoreCase)) return i;
        return -1;
    }
}
