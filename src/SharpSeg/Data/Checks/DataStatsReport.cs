using System.Text.Json;
using System.Text.Json.Serialization;

namespace SharpSeg.Data.Checks;

/// <summary>The result of <see cref="DataStats.Compute"/>: statistics per labelled split; unlabelled splits are listed as skipped.</summary>
public sealed record DataStatsReport(string Dataset, string SourcePath, IReadOnlyList<SplitStats> Splits, IReadOnlyList<string> SkippedUnlabelledSplits)
{
    static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Indented JSON (camelCase names).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Options);

    /// <summary>Writes <see cref="ToJson"/> to a file (atomically).</summary>
    public void WriteJson(string path)
    {
        string json = ToJson();
        IO.AtomicFile.WriteAllText(path, json);
    }

    /// <summary>Reads a report written by <see cref="WriteJson"/>.</summary>
    public static DataStatsReport ReadJson(string path) =>
        JsonSerializer.Deserialize<DataStatsReport>(File.ReadAllText(path), Options) ?? throw new SharpSegException($"{path}: empty statistics file.");
}
