using SharpSeg.Imaging;

namespace SharpSeg.Curation.Embedding;

/// <summary>A set of image files named relative to one root folder (what <c>sharpseg embed</c> and <c>score</c> walk).</summary>
/// <param name="Root">Absolute folder the paths are relative to.</param>
/// <param name="RelativePaths">Image files, '/'-separated, sorted ordinally.</param>
public sealed record ImageCollection(string Root, IReadOnlyList<string> RelativePaths)
{
    /// <summary>The absolute path of image <paramref name="i"/>.</summary>
    public string FullPath(int i) => Path.GetFullPath(Path.Combine(Root, RelativePaths[i]));

    /// <summary>
    /// The images <paramref name="input"/> names: a folder (its images; with <paramref name="recursive"/> also those in
    /// subfolders), a glob in the file name (<c>frames/*.jpg</c>), or one file. No image is a one-line error.
    /// </summary>
    public static ImageCollection Find(string input, bool recursive = false)
    {
        if (Directory.Exists(input))
        {
            string root = Path.GetFullPath(input);
            var files = ImageFolder.List(root, recursive).Select(f => Path.GetRelativePath(root, f).Replace('\\', '/'))
                .OrderBy(f => f, StringComparer.Ordinal).ToList();
            if (files.Count == 0)
                throw new SharpSegException($"{input}: folder has no image files ({ImageFolder.ExtensionList}){(recursive ? "" : "; add --recursive to look in subfolders")}.");
            return new ImageCollection(root, files);
        }
        var found = Inference.ImageInputs.Resolve(input);
        string dir = Path.GetDirectoryName(Path.GetFullPath(found[0]))!;
        return new ImageCollection(dir, found.Select(f => Path.GetRelativePath(dir, Path.GetFullPath(f)).Replace('\\', '/')).ToList());
    }
}
