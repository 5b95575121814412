using System.Text.Json;
using System.Text.Json.Nodes;

namespace SharpSeg.Training;

/// <summary>
/// The run folder's <c>metrics.jsonl</c>: one JSON object per line (<c>"kind": "train"</c> for loss/LR/speed samples,
/// <c>"kind": "val"</c> for validations), appended and flushed line by line so that a killed run keeps what it logged.
/// </summary>
public sealed class MetricsLog : IDisposable
{
    readonly StreamWriter _writer;

    public MetricsLog(string path, bool append)
    {
        Path = path;
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
        _writer = new StreamWriter(path, append) { AutoFlush = true };
    }

    public string Path { get; }

    /// <summary>Raised after each record is written (the trainer draws its curves and TensorBoard scalars from it).</summary>
    public event Action<JsonObject>? Written;

    public void Write(JsonObject record)
    {
        _writer.WriteLine(record.ToJsonString(new JsonSerializerOptions { WriteIndented = false }));
        Written?.Invoke(record);
    }

    /// <summary>Reads every record of a metrics log (skipping a torn last line from a killed run).</summary>
    public static IReadOnlyList<JsonObject> Read(string path)
    {
        var list = new List<JsonObject>();
        foreach (var line in File.ReadLines(path))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            try { if (JsonNode.Parse(line) is JsonObject o) list.Add(o); }
            catch (JsonException) { }
        }
        return list;
    }

    public void Dispose() => _writer.Dispose();
}
