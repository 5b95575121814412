using System.Globalization;
using System.Text;

namespace SharpSeg.Curation.Scoring;

/// <summary>
/// The CSV <c>sharpseg score</c> writes and <c>sharpseg curate --scores</c> reads: a header
/// <c>path,entropy_mean,entropy_top,margin_mean,margin_top,least_confidence_mean,least_confidence_top,share:CLASS…</c>,
/// then one row per image (invariant culture). Rows are appended as images are scored, so a killed run resumes.
/// </summary>
public sealed class ImageScoreFile
{
    static readonly string[] Fixed = ["path", "entropy_mean", "entropy_top", "margin_mean", "margin_top", "least_confidence_mean", "least_confidence_top"];
    const string SharePrefix = "share:";

    ImageScoreFile(string root, IReadOnlyList<string> classNames, IReadOnlyList<ImageScores> rows, IReadOnlyDictionary<string, string>? comments = null)
    {
        Root = root; ClassNames = classNames; Rows = rows;
        Comments = comments ?? new Dictionary<string, string>();
    }

    /// <summary>The <c># key: value</c> lines above the header (<c>root</c>, <c>top share</c>, <c>model</c>,
    /// <c>precision</c>): what the scores were made with, checked when a run resumes.</summary>
    public IReadOnlyDictionary<string, string> Comments { get; }

    /// <summary>Folder the paths are relative to (the CSV's folder when read from a file without one).</summary>
    public string Root { get; }
    public IReadOnlyList<string> ClassNames { get; }
    public IReadOnlyList<ImageScores> Rows { get; }

    /// <summary>The header line for a class table.</summary>
    public static string HeaderLine(IReadOnlyList<string> classNames) =>
        string.Join(',', Fixed.Concat(classNames.Select(c => SharePrefix + Clean(c))));

    /// <summary>One CSV row.</summary>
    public static string Line(ImageScores s)
    {
        var u = s.Uncertainty;
        var sb = new StringBuilder(Quote(s.Path));
        foreach (double v in new[] { u.EntropyMean, u.EntropyTop, u.MarginMean, u.MarginTop, u.LeastConfidenceMean, u.LeastConfidenceTop })
            sb.Append(',').Append(v.ToString("0.######", CultureInfo.InvariantCulture));
        foreach (float v in s.ClassShares) sb.Append(',').Append(v.ToString("0.######", CultureInfo.InvariantCulture));
        return sb.ToString();
    }

    /// <summary>Reads a score CSV; <paramref name="root"/> is the folder the paths are relative to (default: the CSV's
    /// <c># root:</c> comment line, else its folder). A malformed line is a one-line error naming the line.</summary>
    public static ImageScoreFile Read(string path, string? root = null)
    {
        if (!File.Exists(path)) throw new SharpSegException($"{path}: scores file not found; make it with 'sharpseg score --checkpoint C --images DIR --out {Path.GetFileName(path)}'.");
        var lines = File.ReadAllLines(path);
        int li = 0;
        var comments = new Dictionary<string, string>(StringComparer.Ordinal);
        for (; li < lines.Length && lines[li].StartsWith('#'); li++)
        {
            int colon = lines[li].IndexOf(':');
            if (colon > 1) comments.TryAdd(lines[li][1..colon].Trim(), lines[li][(colon + 1)..].Trim());
        }
        string? fileRoot = comments.GetValueOrDefault("root");
        if (li >= lines.Length) throw new SharpSegException($"{path}: empty scores file (no header line).");
        var header = lines[li++].Split(',');
        if (header.Length < Fixed.Length || !header.Take(Fixed.Length).SequenceEqual(Fixed))
            throw new SharpSegException($"{path}: not a SharpSeg scores file (header must start with {string.Join(',', Fixed)}).");
        var classes = header.Skip(Fixed.Length).Select(h => h.StartsWith(SharePrefix, StringComparison.Ordinal) ? h[SharePrefix.Length..] : h).ToArray();
        var rows = new List<ImageScores>();
        for (; li < lines.Length; li++)
        {
            if (lines[li].Length == 0) continue;
            var f = SplitCsv(lines[li]);
            if (f.Count != header.Length) throw new SharpSegException($"{path}:{li + 1}: expected {header.Length} fields, found {f.Count}.");
            var v = new double[f.Count - 1];
            for (int k = 1; k < f.Count; k++)
                if (!double.TryParse(f[k], NumberStyles.Float, CultureInfo.InvariantCulture, out v[k - 1]))
                    throw new SharpSegException($"{path}:{li + 1}: '{f[k]}' in column {header[k]} is not a number.");
            rows.Add(new ImageScores(f[0], new UncertaintyScores(v[0], v[1], v[2], v[3], v[4], v[5]), v.Skip(6).Select(x => (float)x).ToArray()));
        }
        return new ImageScoreFile(root ?? fileRoot ?? Path.GetDirectoryName(Path.GetFullPath(path))!, classes, rows, comments);
    }

    /// <summary>Scores in memory (tests, simulations).</summary>
    public static ImageScoreFile FromRows(string root, IReadOnlyList<string> classNames, IReadOnlyList<ImageScores> rows) => new(root, classNames, rows);

    static string Clean(string name) => name.Replace(',', ' ').Replace('"', ' ').Replace('\n', ' ');

    static string Quote(string s) => s.IndexOfAny([',', '"']) >= 0 ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;

    /// <summary>Splits one CSV line (fields may be quoted with "", doubled quotes inside).</summary>
    internal static List<string> SplitCsv(string line)
    {
        var fields = new List<string>();
        var sb = new StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char ch = line[i];
            if (quoted)
            {
                if (ch == '"' && i + 1 < line.Length && line[i + 1] == '"') { sb.Append('"'); i++; }
                else if (ch == '"') quoted = false;
                else sb.Append(ch);
            }
            else if (ch == '"') quoted = true;
            else if (ch == ',') { fields.Add(sb.ToString()); sb.Clear(); }
            else sb.Append(ch);
        }
        fields.Add(sb.ToString());
        return fields;
    }

    /// <summary>CSV quoting for one field.</summary>
    internal static string CsvField(string s) => Quote(s);
}
