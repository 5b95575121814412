using System.Text.Json;
using System.Text.Json.Nodes;


namespace SharpSeg.Metrics;

/// <summary>
/// The run folder's <c>metrics.jsonl</c>: one JSON object per line (<c>"kind": "train"</c> for loss/LR/speed samples,
/// <c>"kind": "val"</c> for validations), appended and flushed line by line so that a killed run keeps what it logged.
/// </summary>
public sealed class MetricsLog : IDisposable
{
    /// <summary>The log's name in a run folder.</summary>
    public const string FileName = "metrics.jsonl";

    readonly StreamWriter _writer;

    /// <summary>Opens the log; <paramref name="append"/> continues it (after ending a torn last line, <see cref="IO.JsonLines"/>),
    /// otherwise it starts empty.</summary>
    public MetricsLog(string path, bool append)
    {
        Path = path;
        if (!append && File.Exists(path)) File.Delete(path);
        _writer = IO.JsonLines.OpenAppend(path);
    }

    public string Path { get; }

    /// <summary>Raised after each record is written (the trainer draws its curves and TensorBoard scalars from it).</summary>
    public event Action<JsonObject>? Written;

    public void Write(JsonObject record)
    {
        _writer.WriteLine(record.ToJsonString(new JsonSerializerOptions { WriteIndented = false }));
        Written?.Invoke(record);
    }

    /// <summary>Reads every record of a metrics log (skipping a line torn by a killed run).</summary>
    public static IReadOnlyList<JsonObject> Read(string path) => IO.JsonLines.Read<JsonObject>(path);

    public void Dispose() => _writer.Dispose();
}
