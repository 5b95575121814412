using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using SharpSeg.IO;

namespace SharpSeg.Curation.Embedding;

/// <summary>
/// Appends embedding rows to an embeddings set (<see cref="EmbeddingFiles"/>), so an interrupted run can resume: each
/// <see cref="Append"/> writes the rows, then their paths, then rewrites the .npy header's row count. After a crash the
/// set is cut back to the rows that have both a vector and a path, and <see cref="Done"/> lists them.
/// </summary>
public sealed class EmbeddingWriter : IDisposable
{
    static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    readonly EmbeddingFiles _files;
    readonly EmbeddingHeader _header;
    readonly FileStream _data;
    readonly FileStream _paths;
    readonly List<string> _done;
    bool _disposed;

    EmbeddingWriter(EmbeddingFiles files, EmbeddingHeader header, FileStream data, FileStream paths, List<string> done)
    {
        _files = files; _header = header; _data = data; _paths = paths; _done = done;
    }

    /// <summary>Relative paths of the rows already in the file (from an earlier, interrupted run), in row order.</summary>
    public IReadOnlyList<string> Done => _done;

    /// <summary>Rows in the file now.</summary>
    public long Rows => _done.Count;

    /// <summary>The files written.</summary>
    public EmbeddingFiles Files => _files;

    /// <summary>
    /// Opens <paramref name="npyPath"/> for appending. An existing set made by the same embedder over the same root is
    /// resumed; a different one is an error unless <paramref name="overwrite"/> (which starts afresh).
    /// </summary>
    public static EmbeddingWriter Open(string npyPath, EmbeddingHeader header, bool overwrite = false, string remedy = EmbedOptions.DefaultRemedy)
    {
        var files = EmbeddingFiles.For(npyPath);
        header = header with { DataFile = Path.GetFileName(files.Data), PathsFile = Path.GetFileName(files.Paths) };
        if (header.Dim < 1) throw new ArgumentException("embedding dimension must be positive", nameof(header));
        Directory.CreateDirectory(Path.GetDirectoryName(files.Data)!);
        bool exists = File.Exists(files.Data) || File.Exists(files.Paths) || File.Exists(files.Header);
        if (exists && !overwrite) return Resume(files, header, remedy);
        foreach (var f in new[] { files.Data, files.Paths, files.Header }) if (File.Exists(f)) File.Delete(f);
        WriteHeader(files, header with { Rows = 0 });
        var data = new FileStream(files.Data, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read);
        data.Write(NpyFormat.Header(0, header.Dim));
        data.Flush();
        var paths = new FileStream(files.Paths, FileMode.CreateNew, FileAccess.Write, FileShare.Read);
        return new EmbeddingWriter(files, header, data, paths, []);
    }

    static EmbeddingWriter Resume(EmbeddingFiles files, EmbeddingHeader header, string remedy)
    {
        if (!File.Exists(files.Header) || !File.Exists(files.Data) || !File.Exists(files.Paths))
            throw new SharpSegException($"{files.Data}: an incomplete embeddings set is there ({Path.GetFileName(files.Data)}, {Path.GetFileName(files.Paths)} and {Path.GetFileName(files.Header)} belong together); {remedy}.");
        var old = EmbeddingSet.ReadHeader(files.Header);
        if (old.Embedder != header.Embedder || old.Dim != header.Dim || old.Grid != header.Grid)
            throw new SharpSegException($"{files.Data}: was made by '{old.Embedder}' (dim {old.Dim}), this run is '{header.Embedder}' (dim {header.Dim}); {remedy}.");
        if (!string.Equals(Path.GetFullPath(old.ImageRoot), Path.GetFullPath(header.ImageRoot), StringComparison.Ordinal))
            throw new SharpSegException($"{files.Data}: holds images of '{old.ImageRoot}', this run embeds '{header.ImageRoot}'; {remedy}.");
        var data = new FileStream(files.Data, FileMode.Open, FileAccess.ReadWrite, FileShare.Read);
        try
        {
            var (_, dim, offset) = NpyFormat.ReadHeader(data, files.Data);
            if (dim != header.Dim || offset != NpyFormat.HeaderBytes)
                throw new SharpSegException($"{files.Data}: row file does not match its header {Path.GetFileName(files.Header)}; pass --overwrite to start afresh.");
            long rowBytes = 4L * dim;
            long rowsOnDisk = (data.Length - offset) / rowBytes;
            var (lines, lineEnds) = ReadCompleteLines(files.Paths);
            int rows = (int)Math.Min(rowsOnDisk, lines.Count);
            // Cut both files back to the rows that have a vector and a path (a crash may leave a partial row or line).
            data.SetLength(offset + rows * rowBytes);
            data.Position = 0;
            data.Write(NpyFormat.Header(rows, dim));
            data.Seek(0, SeekOrigin.End);
            data.Flush();
            long pathBytes = rows == 0 ? 0 : lineEnds[rows - 1];
            var paths = new FileStream(files.Paths, FileMode.Open, FileAccess.Write, FileShare.Read);
            paths.SetLength(pathBytes);
            paths.Seek(0, SeekOrigin.End);
            return new EmbeddingWriter(files, header, data, paths, lines.GetRange(0, rows));
        }
        catch
        {
            data.Dispose();
            throw;
        }
    }

    /// <summary>Complete ('\n'-terminated) lines of a UTF-8 file and the byte offset just after each.</summary>
    static (List<string> Lines, List<long> Ends) ReadCompleteLines(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var lines = new List<string>();
        var ends = new List<long>();
        int start = 0;
        for (int i = 0; i < bytes.Length; i++)
        {
            if (bytes[i] != (byte)'\n') continue;
            lines.Add(Encoding.UTF8.GetString(bytes, start, i - start));
            ends.Add(i + 1);
            start = i + 1;
        }
        return (lines, ends);
    }

    /// <summary>Appends rows (<c>relativePaths.Count × Dim</c> floats, row-major) and their image paths (relative to the
    /// image root, '/'-separated, no line breaks).</summary>
    public void Append(ReadOnlySpan<float> rows, IReadOnlyList<string> relativePaths)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (rows.Length != relativePaths.Count * _header.Dim)
            throw new ArgumentException($"expected {relativePaths.Count} × {_header.Dim} floats, got {rows.Length}", nameof(rows));
        if (relativePaths.Count == 0) return;
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("embeddings are written little-endian");
        _data.Write(MemoryMarshal.AsBytes(rows));
        _data.Flush();
        var sb = new StringBuilder();
        foreach (var p in relativePaths)
        {
            if (p.Contains('\n') || p.Contains('\r')) throw new SharpSegException($"{p}: image paths with line breaks cannot be listed.");
            sb.Append(p).Append('\n');
        }
        _paths.Write(Encoding.UTF8.GetBytes(sb.ToString()));
        _paths.Flush();
        _done.AddRange(relativePaths);
        long end = _data.Position;
        _data.Position = 0;
        _data.Write(NpyFormat.Header(_done.Count, _header.Dim));
        _data.Position = end;
        _data.Flush();
    }

    static void WriteHeader(EmbeddingFiles files, EmbeddingHeader header) =>
        AtomicFile.WriteAllText(files.Header, JsonSerializer.Serialize(header, Json) + "\n");

    /// <summary>Closes the files and records the final row count in the JSON sidecar.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _data.Flush(flushToDisk: true);
        _paths.Flush(flushToDisk: true);
        _data.Dispose();
        _paths.Dispose();
        WriteHeader(_files, _header with { Rows = _done.Count });
    }
}
