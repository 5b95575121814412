namespace SharpSeg.IO;

/// <summary>Folder arithmetic shared by the commands that write paths relative to others (dataset drafts, imports).</summary>
internal static class FolderPaths
{
    /// <summary>The deepest folder that holds both absolute paths (the filesystem root when they share nothing else).</summary>
    internal static string CommonParent(string a, string b)
    {
        var pa = a.TrimEnd(Path.DirectorySeparatorChar).Split(Path.DirectorySeparatorChar);
        var pb = b.TrimEnd(Path.DirectorySeparatorChar).Split(Path.DirectorySeparatorChar);
        int n = 0;
        while (n < pa.Length && n < pb.Length && pa[n] == pb[n]) n++;
        string joined = string.Join(Path.DirectorySeparatorChar, pa.Take(n));
        return joined.Length == 0 ? Path.GetPathRoot(a)! : joined;
    }

    /// <summary>Whether the absolute path <paramref name="inner"/> is <paramref name="outer"/> or lies below it.</summary>
    internal static bool IsWithin(string inner, string outer) =>
        CommonParent(inner, outer) == outer.TrimEnd(Path.DirectorySeparatorChar);
}
