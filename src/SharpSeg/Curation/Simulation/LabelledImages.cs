using SharpSeg.Curation.Embedding;
using SharpSeg.Curation.Selection;
namespace SharpSeg.Curation.Simulation;

/// <summary>
/// Reads the list of images that are already labelled (<c>--labelled LIST</c>) and finds them in an embeddings set. The
/// list may be one image path per line, a dataset list file (<c>image_path mask_path</c> lines: the first field is
/// used), or a selection CSV from an earlier <c>curate</c> run; '#' lines are comments. Each path is tried as given,
/// relative to the list's folder, and relative to the embeddings' image root.
/// </summary>
public static class LabelledImages
{
    /// <summary>Rows of the listed images in <paramref name="embeddings"/>, and the listed paths not found there.</summary>
    public static (IReadOnlyList<int> Rows, IReadOnlyList<string> NotFound) Resolve(string listPath, EmbeddingSet embeddings, string? datasetRoot = null)
    {
        if (!File.Exists(listPath)) throw new SharpSegException($"{listPath}: labelled list not found (one image path per line, or a dataset list file).");
        var lines = File.ReadAllLines(listPath);
        IEnumerable<string> paths;
        if (lines.Length > 0 && lines[0].StartsWith("rank,path", StringComparison.Ordinal)) paths = SelectionCsv.ReadPaths(listPath);
        else paths = lines.Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l => l.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)[0]);
        string listDir = Path.GetDirectoryName(Path.GetFullPath(listPath))!;
        var rows = new List<int>();
        var notFound = new List<string>();
        foreach (var p in paths)
        {
            int row = embeddings.IndexOf(p);
            if (row < 0) row = embeddings.IndexOf(Path.Combine(listDir, p));
            if (row < 0 && datasetRoot != null) row = embeddings.IndexOf(Path.Combine(datasetRoot, p));
            if (row >= 0) rows.Add(row); else notFound.Add(p);
        }
        return (rows.Distinct().ToList(), notFound);
    }
}
