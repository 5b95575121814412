namespace SharpSeg.Configuration;

/// <summary>Suggests the closest valid name for a typo (Levenshtein distance), for "did you mean …?" messages.</summary>
public static class NearestName
{
    /// <summary>The candidate closest to <paramref name="name"/>, or null when none is reasonably close.</summary>
    public static string? Suggest(string name, IEnumerable<string> candidates)
    {
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (var c in candidates)
        {
            int d = Distance(name.ToLowerInvariant(), c.ToLowerInvariant());
            if (d < bestDistance) { bestDistance = d; best = c; }
        }
        return best != null && bestDistance <= Math.Max(2, best.Length / 2) ? best : null;
    }

    /// <summary>" (did you mean 'x'?)" or "" when nothing is close; for appending to an error message.</summary>
    public static string Hint(string name, IEnumerable<string> candidates)
    {
        var list = candidates.ToList();
        string? s = Suggest(name, list);
        return s != null ? $" (did you mean '{s}'?)" : list.Count > 0 ? $" (valid: {string.Join(", ", list)})" : "";
    }

    public static int Distance(string a, string b)
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
