using System.Runtime.InteropServices;

namespace SharpSeg.IO;

/// <summary>
/// Writes files so that a crash never leaves a half-written one: a temp file beside the target (a new, unpredictable
/// name, created exclusively, so a planted file or symlink is never followed), flushed to disk, renamed into place, and
/// the folder synced so that the rename itself survives a power cut.
/// </summary>
public static class AtomicFile
{
    /// <summary>Creates the parent folder, writes to a temp file beside <paramref name="path"/>, then renames it into place.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        string full = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(full)!;
        if (Directory.Exists(full)) throw new SharpSegException($"{path}: is a folder; give the name of a file to write.");
        Directory.CreateDirectory(folder);
        string tmp = full + TempMarker + Environment.ProcessId + "-" + Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8));
        try
        {
            // CreateNew is O_CREAT|O_EXCL: it fails on anything already there, a symlink included, instead of following it.
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                write(fs);
                if (fs.CanWrite) fs.Flush(flushToDisk: true); // the writer may have closed the stream itself
            }
            File.Move(tmp, full, overwrite: true);
            SyncFolder(folder);
            AfterReplace.Value?.Invoke(full);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }

    /// <summary>
    /// Fault injection for tests, per execution context: called with the full path after each file is in place, it can
    /// throw to stop the writer exactly there, as a kill between two writes would.
    /// </summary>
    internal static readonly AsyncLocal<Action<string>?> AfterReplace = new();

    /// <summary>
    /// Flushes a folder's entries (a rename or a new file in it) to disk, as fsync on the folder does on Linux and macOS;
    /// nothing on Windows, whose rename is journaled. Throws <see cref="IOException"/> when the folder cannot be opened.
    /// </summary>
    public static void SyncFolder(string folder)
    {
        if (OperatingSystem.IsWindows()) return;
        int fd = Open(System.Text.Encoding.UTF8.GetBytes(folder + "\0"), 0 /* O_RDONLY */);
        if (fd < 0) throw new IOException($"{folder}: cannot open the folder to sync it (errno {Marshal.GetLastPInvokeError()}).");
        try
        {
            // Some file systems cannot sync a folder (EINVAL); the data itself was already flushed.
            Fsync(fd);
        }
        finally { Close(fd); }
    }

    // Plain DllImports of blittable arguments (the path as NUL-terminated UTF-8 bytes): no unsafe code needed.
    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    static extern int Open(byte[] path, int flags);

    [DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
    static extern int Fsync(int fd);

    [DllImport("libc", EntryPoint = "close")]
    static extern int Close(int fd);

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
