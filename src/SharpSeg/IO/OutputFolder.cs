namespace SharpSeg.IO;

/// <summary>
/// Creates a folder a user named for output (<c>--out</c>, <c>--report</c>, a run folder). Where the path, or a folder
/// above it, is an existing file, that is a one-line <see cref="SharpSegException"/> naming it, instead of the
/// IOException "the file already exists" from deep inside a writer.
/// </summary>
public static class OutputFolder
{
    /// <summary>Creates <paramref name="path"/> (and its parents) unless it exists; returns it.</summary>
    public static string Create(string path)
    {
        string full = Path.GetFullPath(path);
        for (string? p = full; !string.IsNullOrEmpty(p); p = Path.GetDirectoryName(p))
        {
            if (Directory.Exists(p)) break;
            if (File.Exists(p))
                throw new SharpSegException(p == full
                    ? $"{path}: is a file, not a folder; give a folder to write into (or move the file)."
                    : $"{path}: cannot create this folder: '{p}' is a file; give another folder.");
        }
        Directory.CreateDirectory(full);
        return path;
    }
}
