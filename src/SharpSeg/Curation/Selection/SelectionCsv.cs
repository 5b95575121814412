using System.Globalization;
using System.Text;
using SharpSeg.IO;
using SharpSeg.Curation.Scoring;

namespace SharpSeg.Curation.Selection;

/// <summary>
/// Writes the selection as CSV: <c>rank,path,score,uncertainty,typicality,distance,class_balance_gain,duplicates,reasons</c>
/// (empty fields where a strategy was not used), one row per selected image in pick order. Paths are absolute.
/// </summary>
public static class SelectionCsv
{
    /// <summary>The header line.</summary>
    public const string Header = "rank,path,score,uncertainty,typicality,distance,class_balance_gain,duplicates,reasons";

    /// <summary>Writes <paramref name="result"/>'s selection to <paramref name="path"/> atomically.</summary>
    public static void Write(string path, CurationResult result)
    {
        var sb = new StringBuilder(Header).Append('\n');
        foreach (var s in result.Selected)
        {
            sb.Append(s.Rank).Append(',')
              .Append(ImageScoreFile.CsvField(s.Path)).Append(',')
              .Append(N(s.Score)).Append(',').Append(N(s.Uncertainty)).Append(',').Append(N(s.Typicality)).Append(',')
              .Append(N(s.Distance)).Append(',').Append(N(s.ClassBalanceGain)).Append(',')
              .Append(s.Duplicates).Append(',')
              .Append(ImageScoreFile.CsvField(s.Reasons)).Append('\n');
        }
        AtomicFile.WriteAllText(path, sb.ToString());
    }

    /// <summary>Reads the image paths of a selection CSV (its <c>path</c> column) in rank order.</summary>
    public static IReadOnlyList<string> ReadPaths(string path)
    {
        if (!File.Exists(path)) throw new SharpSegException($"{path}: selection file not found.");
        var lines = File.ReadAllLines(path);
        if (lines.Length == 0 || !lines[0].StartsWith("rank,path", StringComparison.Ordinal))
            throw new SharpSegException($"{path}: not a selection CSV (header must start with 'rank,path').");
        return lines.Skip(1).Where(l => l.Length > 0).Select(l => ImageScoreFile.SplitCsv(l)[1]).ToList();
    }

    static string N(double? v) => v is double d ? d.ToString("0.######", CultureInfo.InvariantCulture) : "";
}
