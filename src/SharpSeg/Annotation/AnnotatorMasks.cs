using SharpSeg.Data.Dataset;
using SharpSeg.Data.Masks;
using SharpSeg.Imaging;

namespace SharpSeg.Annotation;

/// <summary>One image of the dataset with each annotator's mask file (null: that annotator has none for it).</summary>
public sealed record AnnotatedImage(string Split, string Id, string ImagePath, IReadOnlyList<string?> MaskPaths);

/// <summary>
/// Several annotators' masks for a dataset's images. Each annotator is a folder of mask files named like the images
/// (the image's stem, or the stem with the dataset's mask prefix/suffix, any image extension; subfolders are searched),
/// and every mask is decoded through the dataset's class table and mask encoding, as training reads masks.
/// </summary>
public sealed class AnnotatorMasks
{
    readonly MaskDecoder _decoder;

    AnnotatorMasks(DatasetSpec spec, IReadOnlyList<string> folders, IReadOnlyList<AnnotatedImage> images, IReadOnlyList<int> unmatched)
    {
        Spec = spec; Folders = folders; Images = images; UnmatchedMasks = unmatched;
        _decoder = new MaskDecoder(spec);
    }

    public DatasetSpec Spec { get; }

    /// <summary>The annotators' folders, full paths, in the order given.</summary>
    public IReadOnlyList<string> Folders { get; }

    /// <summary>Short, distinct annotator names for tables: each folder's name (its path where names repeat).</summary>
    public IReadOnlyList<string> Names => Folders.Select(Path.GetFileName).Distinct().Count() == Folders.Count
        ? Folders.Select(f => Path.GetFileName(f)!).ToList() : Folders;

    /// <summary>Images at least one annotator labelled, split by split in the dataset's order.</summary>
    public IReadOnlyList<AnnotatedImage> Images { get; }

    /// <summary>Per annotator: mask files that match no image of the chosen splits.</summary>
    public IReadOnlyList<int> UnmatchedMasks { get; }

    public int Classes => Spec.Classes.Count;

    /// <summary>Pairs the images of <paramref name="splits"/> (null: every split) with each annotator folder's masks.
    /// A missing folder, two masks for one image in a folder, or no image labelled by anyone is a one-line error.</summary>
    public static AnnotatorMasks Find(DatasetSpec spec, IReadOnlyList<string> annotatorFolders, IReadOnlyList<string>? splits = null)
    {
        if (annotatorFolders.Count is < 2 or > LabelTuples.MaxAnnotators)
            throw new SharpSegException($"give 2 to {LabelTuples.MaxAnnotators} annotator folders (--annotators a/ b/ c/), got {annotatorFolders.Count}.");
        var folders = annotatorFolders.Select(f => Path.GetFullPath(f)).ToList();
        var byStem = new List<Dictionary<string, string>>();
        foreach (var folder in folders)
        {
            if (!Directory.Exists(folder)) throw new SharpSegException($"{folder}: annotator folder not found; give folders of masks named like the images.");
            if (folders.Count(f => f == folder) > 1) throw new SharpSegException($"{folder}: annotator folder given twice; give each annotator once.");
            var index = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var file in ImageFolder.List(folder, recursive: true))
            {
                string stem = Path.GetFileNameWithoutExtension(file);
                if (index.TryGetValue(stem, out var other))
                    throw new SharpSegException($"{file}: a second mask for '{stem}' in annotator folder {folder} (the other is {other}); keep one.");
                index[stem] = file;
            }
            byStem.Add(index);
        }
        var images = new List<AnnotatedImage>();
        var used = folders.Select(_ => new HashSet<string>(StringComparer.Ordinal)).ToList();
        foreach (var split in splits ?? spec.SplitNames)
            foreach (var pair in spec.ListSplit(split).Pairs)
            {
                string stem = Path.GetFileNameWithoutExtension(pair.ImagePath), maskStem = spec.Pairing.MaskStemFor(stem);
                var paths = new string?[folders.Count];
                for (int j = 0; j < folders.Count; j++)
                {
                    string? found = byStem[j].TryGetValue(maskStem, out var m) ? m : byStem[j].TryGetValue(stem, out var s) ? s : null;
                    if (found != null) { paths[j] = found; used[j].Add(found); }
                }
                if (paths.Any(p => p != null)) images.Add(new AnnotatedImage(split, pair.Id, pair.ImagePath, paths));
            }
        if (images.Count == 0)
            throw new SharpSegException($"no annotator folder holds a mask named like an image of {spec.SourcePath} ({string.Join(", ", splits ?? spec.SplitNames)}); name each mask like its image, e.g. 0016E5_07983.png.");
        var unmatched = byStem.Select((index, j) => index.Values.Count(v => !used[j].Contains(v))).ToList();
        return new AnnotatorMasks(spec, folders, images, unmatched);
    }

    /// <summary>Decodes every annotator's mask of one image (null where an annotator has none). Masks of different sizes,
    /// or values the class table does not define, are one-line errors naming the file.</summary>
    public IReadOnlyList<LabelMask?> Read(AnnotatedImage image)
    {
        var masks = new LabelMask?[image.MaskPaths.Count];
        LabelMask? first = null; string? firstPath = null;
        for (int j = 0; j < masks.Length; j++)
        {
            if (image.MaskPaths[j] is not { } path) continue;
            var m = _decoder.Decode(path);
            if (first != null && (m.Width != first.Width || m.Height != first.Height))
                throw new SharpSegException($"{path}: mask is {m.Width}x{m.Height} but {firstPath} is {first.Width}x{first.Height}; every annotator's mask of an image must have the image's size.");
            first ??= m; firstPath ??= path;
            masks[j] = m;
        }
        return masks;
    }
}
