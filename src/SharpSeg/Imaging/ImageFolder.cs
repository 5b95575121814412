namespace SharpSeg.Imaging;

/// <summary>Which files count as images, and the images in a folder: the one place every reader that walks folders
/// (dataset splits, <c>data init</c>, <c>predict</c>/<c>embed</c>/<c>score</c> inputs, pretraining images) asks.</summary>
public static class ImageFolder
{
    /// <summary>File extensions read as images (lower case, with the dot); what <see cref="ImageFile"/> decodes.</summary>
    public static IReadOnlyList<string> Extensions { get; } = [".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".gif", ".npy"];

    /// <summary>The extension list for messages: ".png, .jpg, …".</summary>
    public static string ExtensionList => string.Join(", ", Extensions);

    /// <summary>Whether <paramref name="path"/>'s extension is an image extension (any case).</summary>
    public static bool IsImage(string path) => Extensions.Contains(Path.GetExtension(path).ToLowerInvariant());

    /// <summary>The image files in <paramref name="folder"/> (and its subfolders when <paramref name="recursive"/>), full
    /// paths as enumerated, sorted ordinally so every platform lists them in the same order. Empty when there are none.
    /// Hidden files and folders (names starting with '.') are not listed: macOS's <c>._a.png</c> resource forks and
    /// Jupyter's <c>.ipynb_checkpoints</c> copies are not images of the dataset.</summary>
    public static IReadOnlyList<string> List(string folder, bool recursive = false) =>
        Directory.EnumerateFiles(folder, "*", recursive ? SearchOption.AllDirectories : SearchOption.TopDirectoryOnly)
            .Where(f => IsImage(f) && !IsHidden(Path.GetRelativePath(folder, f))).Order(StringComparer.Ordinal).ToList();

    /// <summary>Whether a relative path names a hidden file or lies in a hidden folder (a part starting with '.', other
    /// than '.' and '..').</summary>
    public static bool IsHidden(string relativePath) =>
        relativePath.Split(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar).Any(part => part.Length > 0 && part[0] == '.' && part is not ("." or ".."));

    /// <summary>The subfolders of <paramref name="folder"/> (hidden ones left out), sorted, that hold images directly,
    /// or with <paramref name="deep"/> anywhere below them: what a folder read without <c>recursive</c> leaves out.</summary>
    public static IReadOnlyList<string> SubfoldersWithImages(string folder, bool deep = false) =>
        Directory.EnumerateDirectories(folder).Where(d => !IsHidden(Path.GetFileName(d)) && List(d, deep).Count > 0)
            .Order(StringComparer.Ordinal).ToList();
}
