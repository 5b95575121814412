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
        if (FileInTheWay(full) is { } p)
            throw new SharpSegException(p == full
                ? $"{path}: is a file, not a folder; give a folder to write into (or move the file)."
                : $"{path}: cannot create this folder: '{p}' is a file; give another folder.");
        Directory.CreateDirectory(full);
        return path;
    }

    /// <summary>The first of <paramref name="full"/> and the folders above it, up to the first that exists, that is an
    /// existing file (so no folder can be made there); null when none is.</summary>
    internal static string? FileInTheWay(string full)
    {
        for (string? p = full; !string.IsNullOrEmpty(p); p = Path.GetDirectoryName(p))
        {
            if (Directory.Exists(p)) return null;
            if (File.Exists(p)) return p;
        }
        return null;
    }
}

/// <summary>
/// Checks a file a user named for output (<c>--out model.onnx</c>, <c>--out scores.csv</c>) before any work starts: a
/// path that is an existing folder, or lies under a file, is a one-line <see cref="SharpSegException"/>, instead of an
/// IOException when the file is finally written (after a whole evaluation, say).
/// </summary>
public static class OutputFile
{
    /// <summary>Returns <paramref name="path"/>, or throws naming <paramref name="option"/> when it cannot be a file.</summary>
    public static string Check(string path, string option = "--out")
    {
        string full = Path.GetFullPath(path);
        if (Directory.Exists(full))
            throw new SharpSegException($"{option} {path}: is a folder; give the name of the file to write (e.g. {Path.Combine(path, "out" + Path.GetExtension(path))}).");
        if (Path.GetDirectoryName(full) is { } folder && OutputFolder.FileInTheWay(folder) is { } p)
            throw new SharpSegException($"{option} {path}: cannot write there: '{p}' is a file, not a folder.");
        return path;
    }
}
