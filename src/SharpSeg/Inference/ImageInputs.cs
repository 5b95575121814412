using System.Text.RegularExpressions;
using SharpSeg.Imaging;

namespace SharpSeg.Inference;

/// <summary>Turns a user's <c>--input</c> (a file, a folder, or a glob such as <c>photos/*.jpg</c>) into image files.</summary>
public static class ImageInputs
{
    /// <summary>File extensions treated as images when a folder is given.</summary>
    public static IReadOnlyList<string> Extensions => ImageFolder.Extensions;

    /// <summary>The image files <paramref name="input"/> names, sorted; an empty match is a one-line error.
    /// <paramref name="recursive"/>: a folder's subfolders too (only a folder can be read so).</summary>
    public static IReadOnlyList<string> Resolve(string input, bool recursive = false)
    {
        if (recursive && !Directory.Exists(input))
            throw new SharpSegException($"{input}: --recursive reads a folder and its subfolders; give a folder, or leave --recursive out.");
        if (File.Exists(input)) return new[] { Path.GetFullPath(input) };
        if (Directory.Exists(input))
        {
            var files = ImageFolder.List(input, recursive);
            if (files.Count == 0) throw new SharpSegException($"{input}: folder has no image files ({string.Join(", ", Extensions)}){InSubfolders(input)}.");
            return files;
        }
        if (input.IndexOfAny(new[] { '*', '?' }) >= 0)
        {
            string dir = Path.GetDirectoryName(input) is { Length: > 0 } d ? d : ".";
            if (dir.IndexOfAny(new[] { '*', '?' }) >= 0) throw new SharpSegException($"{input}: wildcards are supported in the file name only, not in folders.");
            if (!Directory.Exists(dir)) throw new SharpSegException($"{input}: folder '{dir}' does not exist.");
            var pattern = new Regex("^" + Regex.Escape(Path.GetFileName(input)).Replace("\\*", ".*").Replace("\\?", ".") + "$", RegexOptions.IgnoreCase);
            bool hiddenToo = Path.GetFileName(input).StartsWith('.'); // as a shell's glob: '*.png' leaves out '.a.png' and '._a.png'
            var files = Directory.EnumerateFiles(dir).Where(f => pattern.IsMatch(Path.GetFileName(f)) && (hiddenToo || !ImageFolder.IsHidden(Path.GetFileName(f))))
                .OrderBy(f => f, StringComparer.Ordinal).ToList();
            if (files.Count == 0) throw new SharpSegException($"{input}: no files match.");
            return files;
        }
        throw new SharpSegException($"{input}: no such file or folder.");
    }

    /// <summary>The inputs named as another input plus a mask-like suffix (<c>x_mask.png</c>, <c>x_label.png</c>,
    /// <c>x_gt.png</c> beside <c>x.png</c>): a dataset's masks in the folder given, which predict would read as images.</summary>
    public static IReadOnlyList<string> LooksLikeMasks(IReadOnlyList<string> files)
    {
        var stems = files.Select(f => Path.Combine(Path.GetDirectoryName(f) ?? "", Path.GetFileNameWithoutExtension(f))).ToHashSet(StringComparer.Ordinal);
        return files.Where(f =>
        {
            string stem = Path.Combine(Path.GetDirectoryName(f) ?? "", Path.GetFileNameWithoutExtension(f));
            return Data.Dataset.DatasetSpec.ExtendsKey(stem, stems.Contains) != null;
        }).ToList();
    }

    /// <summary>The subfolders with images that <see cref="Resolve"/> left out: those of a folder input read without
    /// <paramref name="recursive"/>; empty otherwise.</summary>
    public static IReadOnlyList<string> SubfoldersNotRead(string input, bool recursive) =>
        !recursive && Directory.Exists(input) ? ImageFolder.SubfoldersWithImages(input) : [];

    /// <summary>Where a folder's images are in its subfolders only (Cityscapes' one folder per city), how to give them.</summary>
    static string InSubfolders(string folder)
    {
        try
        {
            var withImages = ImageFolder.SubfoldersWithImages(folder, deep: true);
            if (withImages.Count == 0) return "";
            string first = Path.Combine(folder, Path.GetFileName(withImages[0]));
            return $"; its images are in {withImages.Count} subfolder{(withImages.Count == 1 ? "" : "s")} (e.g. {first}): add --recursive to read them all (the outputs keep the subfolders), or give one, e.g. --input {first}";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return ""; }
    }
}
