using System.Text;
using System.Text.Json;

namespace SharpSeg.IO;

/// <summary>
/// Append-only JSON Lines files (a run's <c>metrics.jsonl</c>, <c>curate-simulate</c>'s <c>results.jsonl</c>): one JSON
/// value per line, written a line at a time, so that a killed writer loses at most the line it was writing. Appending
/// after such a kill first ends the torn line, so the next record starts a line of its own instead of being glued to
/// it; readers skip lines that do not parse.
/// </summary>
public static class JsonLines
{
    /// <summary>
    /// Opens <paramref name="path"/> for appending (created with its folder when missing), after ending a torn last line
    /// with a newline. The writer flushes each write.
    /// </summary>
    public static StreamWriter OpenAppend(string path)
    {
        string full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var stream = new FileStream(full, FileMode.Append, FileAccess.Write, FileShare.Read);
        try
        {
            if (stream.Position > 0 && LastByte(full) != '\n') stream.WriteByte((byte)'\n');
            return new StreamWriter(stream, new UTF8Encoding(false)) { AutoFlush = true };
        }
        catch { stream.Dispose(); throw; }
    }

    /// <summary>Appends one line (<paramref name="json"/> must not contain a newline) and flushes it to disk.</summary>
    public static void Append(string path, string json)
    {
        if (json.Contains('\n')) throw new ArgumentException("a JSON Lines record is one line", nameof(json));
        using var w = OpenAppend(path);
        w.Write(json);
        w.Write('\n');
        w.Flush();
        ((FileStream)w.BaseStream).Flush(flushToDisk: true);
    }

    /// <summary>
    /// The records of <paramref name="path"/> (none when the file is missing), each line deserialised as
    /// <typeparamref name="T"/>; blank lines and lines that do not parse (torn by a killed writer) are skipped.
    /// </summary>
    public static List<T> Read<T>(string path, JsonSerializerOptions? options = null) where T : class
    {
        var list = new List<T>();
        if (!File.Exists(path)) return list;
        foreach (var line in File.ReadLines(path))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            try { if (JsonSerializer.Deserialize<T>(line, options) is { } record) list.Add(record); }
            catch (Exception e) when (e is JsonException or InvalidOperationException or NotSupportedException) { }
        }
        return list;
    }

    static int LastByte(string path)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        if (fs.Length == 0) return '\n';
        fs.Seek(-1, SeekOrigin.End);
        return fs.ReadByte();
    }
}
