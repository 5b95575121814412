using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using SharpSeg.IO;
using SharpSeg.Curation.Embedding;

namespace SharpSeg.Curation.Selection;

/// <summary>
/// The report of a curation run as JSON (counts, near-duplicate groups and their size histogram, coverage before and
/// after, predicted class distribution of pool, labelled and selected images, stage timings) and as text lines for the
/// console.
/// </summary>
public static class CurationReport
{
    static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>Largest duplicate groups listed with their member paths.</summary>
    public const int ListedGroups = 50;

    /// <summary>The report as a JSON object.</summary>
    public static JsonObject ToJson(CurationResult r, EmbeddingSet embeddings, CurationOptions options)
    {
        var o = new JsonObject
        {
            ["strategy"] = r.Strategy.Text,
            ["budget"] = options.Budget,
            ["seed"] = options.Seed,
            ["embedder"] = embeddings.Header.Embedder,
            ["pool"] = r.Pool,
            ["labelled"] = r.Labelled.Count,
            ["candidates"] = r.Candidates,
            ["selected"] = r.Selected.Count,
        };
        if (r.Dedupe is { } d)
        {
            var hist = new JsonObject();
            foreach (var (size, count) in d.SizeHistogram) hist[size.ToString(CultureInfo.InvariantCulture)] = count;
            var groups = new JsonArray();
            foreach (var g in d.Groups.Take(ListedGroups))
                groups.Add(new JsonObject
                {
                    ["representative"] = embeddings.FullPath(g.Representative),
                    ["size"] = g.Size,
                    ["members"] = new JsonArray(g.Members.Select(m => (JsonNode)JsonValue.Create(embeddings.FullPath(m))!).ToArray()),
                    ["min_similarity"] = g.Similarities.Count > 0 ? Math.Round(g.Similarities.Min(), 4) : null,
                });
            o["dedupe"] = new JsonObject
            {
                ["threshold"] = d.Threshold,
                ["groups"] = d.Groups.Count,
                ["removed"] = d.Removed,
                ["group_sizes"] = hist,
                ["largest_groups"] = groups,
            };
        }
        o["coverage"] = new JsonObject { ["before"] = Coverage(r.CoverageBefore), ["after"] = Coverage(r.CoverageAfter) };
        if (r.ClassSharesPool != null)
            o["class_distribution"] = new JsonObject
            {
                ["classes"] = new JsonArray(r.ClassNames.Select(c => (JsonNode)JsonValue.Create(c)!).ToArray()),
                ["pool"] = Shares(r.ClassSharesPool),
                ["labelled"] = Shares(r.ClassSharesLabelled),
                ["selected"] = Shares(r.ClassSharesSelected),
            };
        var secs = new JsonObject();
        foreach (var (k, v) in r.Seconds) secs[k] = Math.Round(v, 3);
        o["seconds"] = secs;
        return o;
    }

    /// <summary>Writes the JSON report atomically.</summary>
    public static void Write(string path, CurationResult r, EmbeddingSet embeddings, CurationOptions options) =>
        AtomicFile.WriteAllText(path, ToJson(r, embeddings, options).ToJsonString(Json) + "\n");

    /// <summary>A few plain lines summarising the run (for the console).</summary>
    public static IReadOnlyList<string> Summary(CurationResult r)
    {
        var lines = new List<string>
        {
            $"pool {r.Pool} images, {r.Labelled.Count} labelled, {r.Candidates} candidates after dedupe; selected {r.Selected.Count} with {r.Strategy.Text}",
        };
        if (r.Dedupe is { } d)
            lines.Add($"near-duplicates (cosine ≥ {d.Threshold.ToString("0.###", CultureInfo.InvariantCulture)}): {d.Removed} removed in {d.Groups.Count} groups"
                + (d.Groups.Count > 0 ? $"; group sizes {string.Join(", ", d.SizeHistogram.Select(p => $"{p.Key}: {p.Value}"))}" : ""));
        if (r.CoverageBefore is { } cb) lines.Add($"coverage by labelled images: mean distance {F(cb.MeanDistance)}, max {F(cb.MaxDistance)}");
        if (r.CoverageAfter is { } ca) lines.Add($"coverage by labelled + selected: mean distance {F(ca.MeanDistance)}, 90th percentile {F(ca.P90Distance)}, max {F(ca.MaxDistance)}");
        if (r.ClassSharesPool != null && r.ClassSharesSelected != null)
            lines.Add("predicted class share pool → selected: " + string.Join(", ", r.ClassNames.Select((c, i) =>
                $"{c} {(100 * r.ClassSharesPool[i]).ToString("0.0", CultureInfo.InvariantCulture)} → {(100 * r.ClassSharesSelected[i]).ToString("0.0", CultureInfo.InvariantCulture)} %")));
        return lines;
    }


    static JsonNode? Coverage(CoverageStats? c) => c == null ? null : new JsonObject
    {
        ["chosen"] = c.Chosen,
        ["mean_distance"] = Math.Round(c.MeanDistance, 5),
        ["p90_distance"] = Math.Round(c.P90Distance, 5),
        ["max_distance"] = Math.Round(c.MaxDistance, 5),
    };

    static JsonNode? Shares(IReadOnlyList<double>? s) => s == null ? null : new JsonArray(s.Select(v => (JsonNode)JsonValue.Create(Math.Round(v, 5))!).ToArray());

    static string F(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);
}
