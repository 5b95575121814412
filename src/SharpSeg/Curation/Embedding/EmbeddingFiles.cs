namespace SharpSeg.Curation.Embedding;

/// <summary>The three files of one embeddings set: <c>X.npy</c> (rows), <c>X.paths.txt</c> (one image per row), <c>X.json</c> (header).</summary>
/// <param name="Data">The .npy row file.</param>
/// <param name="Paths">The image list, line i = row i.</param>
/// <param name="Header">The JSON sidecar (<see cref="EmbeddingHeader"/>).</param>
public sealed record EmbeddingFiles(string Data, string Paths, string Header)
{
    /// <summary>The files for <paramref name="npyPath"/> (must end in <c>.npy</c>).</summary>
    public static EmbeddingFiles For(string npyPath)
    {
        if (!npyPath.EndsWith(".npy", StringComparison.OrdinalIgnoreCase))
            throw new SharpSegException($"{npyPath}: the embeddings file must end in .npy (it is a NumPy array; X.paths.txt and X.json are written beside it).");
        string full = Path.GetFullPath(npyPath);
        string stem = full[..^4];
        return new EmbeddingFiles(full, stem + ".paths.txt", stem + ".json");
    }
}
