namespace SharpSeg.IO;

/// <summary>Writes files so that a crash never leaves a half-written one: temp file beside the target, then rename.</summary>
public static class AtomicFile
{
    /// <summary>Creates the parent folder, writes to a temp file beside <paramref name="path"/>, then renames it into place.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        string full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        string tmp = full + TempMarker + Environment.ProcessId + "-" + Environment.CurrentManagedThreadId;
        try
        {
            using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                write(fs);
                if (fs.CanWrite) fs.Flush(flushToDisk: true); // the writer may have closed the stream itself
            }
            File.Move(tmp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }

    /// <summary>Suffix of the temp files <see cref="Write"/> leaves only when the process is killed mid-write.</summary>
    public const string TempMarker = ".tmp-";

    /// <summary>
    /// Deletes temp files that a killed writer left in <paramref name="directory"/> (a hard kill cannot run the
    /// cleanup in <see cref="Write"/>). Call it when a run folder is taken over again, e.g. on resume.
    /// Returns how many were removed.
    /// </summary>
    public static int RemoveLeftovers(string directory) => Remove(directory, "*" + TempMarker + "*");

    /// <summary>Deletes the temp files a killed writer of <paramref name="path"/> left beside it; returns how many.</summary>
    public static int RemoveLeftoversOf(string path)
    {
        string full = Path.GetFullPath(path);
        return Remove(Path.GetDirectoryName(full)!, Path.GetFileName(full) + TempMarker + "*");
    }

    static int Remove(string directory, string pattern)
    {
        if (!Directory.Exists(directory)) return 0;
        int removed = 0;
        foreach (var f in Directory.EnumerateFiles(directory, pattern))
        {
            try { File.Delete(f); removed++; } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
        return removed;
    }

    /// <summary>Writes text (UTF-8) atomically.</summary>
    public static void WriteAllText(string path, string text) =>
        Write(path, s => { using var w = new StreamWriter(s, new System.Text.UTF8Encoding(false), leaveOpen: true); w.Write(text); });
}
