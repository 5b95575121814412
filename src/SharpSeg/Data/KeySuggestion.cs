namespace SharpSeg.Data;

/// <summary>"Did you mean ...?" for misspelt keys and names, by Levenshtein edit distance.</summary>
internal static class KeySuggestion
{
    /// <summary>The nearest of <paramref name="valid"/> to <paramref name="typed"/>, or null when none is close (more than a third of the letters differ).</summary>
    public static string? Nearest(string typed, IEnumerable<string> valid)
    {
        string? best = null; int bestDistance = int.MaxValue;
        foreach (var v in valid)
        {
            int d = Levenshtein(typed.ToLowerInvariant(), v.ToLowerInvariant());
            if (d < bestDistance) { bestDistance = d; best = v; }
        }
        return best != null && bestDistance <= Math.Max(2, best.Length / 3) ? best : null;
    }

    /// <summary>" (did you mean 'x'?)" or " (valid: a, b, c)".</summary>
    public static string Hint(string typed, IReadOnlyCollection<string> valid)
    {
        string? near = Nearest(typed, valid);
        return near != null ? $" (did you mean '{near}'?)" : $" (valid: {string.Join(", ", valid)})";
    }

    public static int Levenshtein(string a, string b)
    {
        var prev = new int[b.Length + 1];
        var cur = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) prev[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            cur[0] = i;
            for (int j = 1; j <= b.Length; j++)
                cur[j] = Math.Min(Math.Min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (prev, cur) = (cur, prev);
        }
        return prev[b.Length];
    }
}
