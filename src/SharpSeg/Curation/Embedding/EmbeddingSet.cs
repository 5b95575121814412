using System.Runtime.InteropServices;
using System.Text.Json;

namespace SharpSeg.Curation.Embedding;

/// <summary>
/// An embeddings set in memory: <see cref="Count"/> L2-normalised rows of <see cref="Dim"/> floats (row-major in
/// <see cref="Vectors"/>) and the image each row belongs to. 100,000 × 512 rows take 205 MB.
/// </summary>
public sealed class EmbeddingSet
{
    readonly Dictionary<string, int> _byFullPath;

    /// <param name="vectors">Row-major <c>[paths.Count, dim]</c>; rows should be L2-normalised (use <see cref="Normalize"/>).</param>
    /// <param name="dim">Floats per row.</param>
    /// <param name="relativePaths">Image of each row, relative to <paramref name="imageRoot"/>.</param>
    /// <param name="imageRoot">Folder the paths are relative to (absolute; "" when the paths are absolute).</param>
    /// <param name="header">The file's header, or null for a set made in memory.</param>
    public EmbeddingSet(float[] vectors, int dim, IReadOnlyList<string> relativePaths, string imageRoot = "", EmbeddingHeader? header = null)
    {
        ArgumentNullException.ThrowIfNull(vectors);
        ArgumentNullException.ThrowIfNull(relativePaths);
        if (dim < 1) throw new ArgumentOutOfRangeException(nameof(dim));
        if (vectors.LongLength != (long)relativePaths.Count * dim)
            throw new ArgumentException($"expected {relativePaths.Count} × {dim} floats, got {vectors.LongLength}", nameof(vectors));
        Vectors = vectors; Dim = dim; Paths = relativePaths; ImageRoot = imageRoot;
        Header = header ?? new EmbeddingHeader { Dim = dim, ImageRoot = imageRoot, Rows = relativePaths.Count, Embedder = "memory" };
        _byFullPath = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < relativePaths.Count; i++) _byFullPath.TryAdd(FullPath(i), i);
    }

    public int Count => Paths.Count;
    public int Dim { get; }
    public float[] Vectors { get; }

    /// <summary>Image paths as stored (relative to <see cref="ImageRoot"/>).</summary>
    public IReadOnlyList<string> Paths { get; }
    public string ImageRoot { get; }
    public EmbeddingHeader Header { get; }

    /// <summary>Row <paramref name="i"/>.</summary>
    public ReadOnlySpan<float> Row(int i) => Vectors.AsSpan(i * Dim, Dim);

    /// <summary>The absolute path of row <paramref name="i"/>'s image.</summary>
    public string FullPath(int i) => Path.GetFullPath(Path.Combine(ImageRoot.Length == 0 ? "." : ImageRoot, Paths[i]));

    /// <summary>The row of an image given by absolute path, path relative to the root, or (when unique) file name; -1 when absent.</summary>
    public int IndexOf(string path)
    {
        if (_byFullPath.TryGetValue(Path.GetFullPath(path), out int i)) return i;
        if (ImageRoot.Length > 0 && _byFullPath.TryGetValue(Path.GetFullPath(Path.Combine(ImageRoot, path)), out i)) return i;
        return -1;
    }

    /// <summary>Reads an embeddings set written by <see cref="EmbeddingWriter"/> (or any float32 .npy <c>[N, D]</c> with a
    /// paths file beside it; the JSON sidecar is then optional and rows are normalised on load).</summary>
    public static EmbeddingSet Read(string npyPath)
    {
        var files = EmbeddingFiles.For(npyPath);
        if (!File.Exists(files.Data)) throw new SharpSegException($"{files.Data}: embeddings file not found; make it with 'sharpseg embed --images DIR --out {Path.GetFileName(files.Data)}'.");
        if (!File.Exists(files.Paths)) throw new SharpSegException($"{files.Paths}: the image list of {Path.GetFileName(files.Data)} is missing (line i names the image of row i).");
        EmbeddingHeader? header = File.Exists(files.Header) ? ReadHeader(files.Header) : null;
        var lines = File.ReadAllLines(files.Paths);
        using var s = new FileStream(files.Data, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var (rows, dim, offset) = NpyFormat.ReadHeader(s, files.Data);
        if (header != null && header.Dim != dim)
            throw new SharpSegException($"{files.Data}: rows have {dim} floats but {Path.GetFileName(files.Header)} says {header.Dim}; the files do not belong together.");
        long onDisk = (s.Length - offset) / (4L * dim);
        // A run that is still going (or was killed) may have rows beyond the header's count or paths beyond the rows.
        long n = Math.Min(Math.Min(rows, onDisk), lines.Length);
        if (n * dim > Array.MaxLength)
            throw new SharpSegException($"{files.Data}: {n} × {dim} floats do not fit in memory as one array; reduce the image count or the dimension.");
        var vectors = new float[n * dim];
        s.Position = offset;
        s.ReadExactly(MemoryMarshal.AsBytes(vectors.AsSpan()));
        var paths = lines.Take((int)n).ToArray();
        string root = header?.ImageRoot ?? Path.GetDirectoryName(files.Data)!;
        var set = new EmbeddingSet(vectors, dim, paths, root, header);
        if (header == null) Normalize(vectors, dim);
        return set;
    }

    /// <summary>Reads and checks a JSON sidecar.</summary>
    public static EmbeddingHeader ReadHeader(string path)
    {
        EmbeddingHeader? h;
        try { h = JsonSerializer.Deserialize<EmbeddingHeader>(File.ReadAllText(path)); }
        catch (JsonException e) { throw new SharpSegException($"{path}: embeddings header is damaged ({e.Message}); re-run 'sharpseg embed' with --overwrite."); }
        if (h == null || h.Format != EmbeddingHeader.FormatName) throw new SharpSegException($"{path}: not a SharpSeg embeddings header (format '{h?.Format}').");
        if (h.Version > EmbeddingHeader.CurrentVersion) throw new SharpSegException($"{path}: embeddings format version {h.Version} is newer than this SharpSeg reads ({EmbeddingHeader.CurrentVersion}); upgrade SharpSeg.");
        return h;
    }

    /// <summary>L2-normalises each row of a row-major <c>[*, dim]</c> array in place (all-zero rows stay zero).</summary>
    public static void Normalize(Span<float> vectors, int dim)
    {
        for (int start = 0; start + dim <= vectors.Length; start += dim)
        {
            var row = vectors.Slice(start, dim);
            double ss = 0;
            foreach (float v in row) ss += (double)v * v;
            if (ss <= 0) continue;
            float inv = (float)(1 / Math.Sqrt(ss));
            for (int k = 0; k < row.Length; k++) row[k] *= inv;
        }
    }
}
