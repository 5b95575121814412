using SharpSeg.Imaging;

namespace SharpSeg.Import;

/// <summary>What <see cref="ClassMaskImport.Run"/> wrote for one split.</summary>
/// <param name="Layout">"one folder per class" or "one folder per image".</param>
/// <param name="ClassMasks">Class mask files read.</param>
/// <param name="ImagesWithoutClassMasks">Images that no class mask names: their masks are all background.</param>
/// <param name="OverlapPixels">Pixels that two or more class masks claim (the later class in the list keeps them).</param>
public sealed record ClassMaskImportResult(string Split, int Masks, string Layout, int ClassMasks, int ImagesWithoutClassMasks,
    long OverlapPixels, IReadOnlyList<string> Classes, string MasksDir, string YamlPath);

/// <summary>
/// Turns per-class binary masks (one black-and-white mask per class and image, as many medical, inspection and
/// Kaggle datasets ship them) into one index mask per image and a dataset.yaml (<c>sharpseg data
/// from-class-masks</c>). Two layouts are read, found from the folder names:
/// <list type="bullet">
/// <item>one folder per class: <c>masks/crack/x.png</c>, <c>masks/rust/x.png</c> for <c>images/x.jpg</c> (subfolders
/// of the images folder are mirrored below each class folder);</item>
/// <item>one folder per image: <c>masks/x/crack.png</c>, <c>masks/x/rust.png</c>, when every folder is named as an
/// image.</item>
/// </list>
/// A pixel belongs to a class where its mask is at least 128 (white on black, 8 or 16 bits, soft edges cut at half),
/// or, in a mask whose values all stay below 128 (saved as 0 and 1), where it is not 0. A missing class mask means the
/// class is absent from that image. Where two class masks overlap, the later class in the list keeps the pixel and the
/// count is reported. The classes are the folder (or file) names, sorted, unless <c>--classes</c> gives their order.
/// Files are written as <see cref="ImportedDataset"/> describes.
/// </summary>
public static class ClassMaskImport
{
    /// <summary>One class mask file: the class it draws, and the image it belongs to (the key: its path relative to
    /// the images folder, without extension, '/'-separated).</summary>
    sealed record ClassMask(string Class, string ImageKey, string Path);

    public const string PerClass = "one folder per class", PerImage = "one folder per image";

    /// <param name="layout"><see cref="PerClass"/>, <see cref="PerImage"/>, or null to find it from the names (an error
    /// when both fit, as with class folders named 1, 2 for images named 1, 2).</param>
    public static ClassMaskImportResult Run(string masksDir, string imagesDir, string outDir, string split, IReadOnlyList<string>? classOrder = null,
        string? layout = null, bool overwrite = false, IProgress<(int Done, int Total)>? progress = null, CancellationToken cancellationToken = default)
    {
        if (!Directory.Exists(masksDir)) throw new SharpSegException($"folder '{masksDir}' does not exist; give the folder that holds the per-class masks.");
        if (!Directory.Exists(imagesDir)) throw new SharpSegException($"--images '{imagesDir}' does not exist; give the folder of the images the masks belong to.");
        masksDir = System.IO.Path.GetFullPath(masksDir);
        imagesDir = System.IO.Path.GetFullPath(imagesDir);
        if (IO.FolderPaths.IsWithin(masksDir, imagesDir))
            throw new SharpSegException($"'{masksDir}' lies inside --images '{imagesDir}', so its masks would be read as images; give the two folders side by side.");

        var images = ImportedDataset.ImagesByKey(imagesDir);

        var folders = Directory.GetDirectories(masksDir).Select(d => System.IO.Path.GetFileName(d)!).Where(n => !ImageFolder.IsHidden(n)).Order(StringComparer.Ordinal).ToList();
        if (folders.Count == 0)
            throw new SharpSegException($"'{masksDir}' holds no folders; per-class masks are one folder per class (masks/crack/x.png) or one folder per image (masks/x/crack.png).");
        if (layout is not (null or PerClass or PerImage)) throw new ArgumentException($"unknown layout '{layout}'", nameof(layout));
        bool foldersAreImages = folders.All(images.ContainsKey);
        // Each folder's files, keyed as images would be (relative path without extension): read once for both layouts' tests.
        var files = folders.ToDictionary(f => f, f => ImageFolder.List(System.IO.Path.Combine(masksDir, f), recursive: true)
            .Select(p => (Key: ImportedDataset.Key(System.IO.Path.Combine(masksDir, f), p), Path: p)).ToList());
        bool filesAreImages = folders.All(f => files[f].All(x => images.ContainsKey(x.Key)));
        if (layout == null && foldersAreImages && filesAreImages)
            throw new SharpSegException($"'{masksDir}': its folders ({string.Join(", ", folders.Take(3))}{(folders.Count > 3 ? ", ..." : "")}) and the files in them are both named like images, so either layout fits; pass --layout per-class (masks/<class>/<image>) or --layout per-image (masks/<image>/<class>).");
        if (layout == PerImage && folders.FirstOrDefault(f => !images.ContainsKey(f)) is { } stray)
            throw new SharpSegException($"{System.IO.Path.Combine(masksDir, stray)}: no image '{stray}.*' in --images {imagesDir}; with one folder per image, each folder is named as its image.");
        if (layout == null && !foldersAreImages && !filesAreImages && folders.Count(images.ContainsKey) * 2 > folders.Count)
            throw new SharpSegException($"{System.IO.Path.Combine(masksDir, folders.First(f => !images.ContainsKey(f)))}: no image of that name in --images {imagesDir}, while most folders are named as images (one folder per image); rename or remove it.");
        bool perImage = layout == PerImage || layout == null && foldersAreImages;
        var classMasks = perImage ? ReadPerImage(masksDir, folders) : ReadPerClass(files, imagesDir, images);
        if (classMasks.Count == 0) throw new SharpSegException($"'{masksDir}': its folders hold no mask files ({ImageFolder.ExtensionList}); nothing to import.");
        foreach (var group in classMasks.GroupBy(m => (m.Class, m.ImageKey)).Where(g => g.Count() > 1))
            throw new SharpSegException($"{string.Join(" and ", group.Select(m => m.Path))} are both the '{group.Key.Class}' mask of image '{group.Key.ImageKey}'; keep one.");

        string[] classes;
        if (classOrder is { Count: > 0 })
        {
            if (classOrder.GroupBy(c => c, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twice)
                throw new SharpSegException($"--classes names '{twice.Key}' twice.");
            if (classMasks.FirstOrDefault(m => !classOrder.Contains(m.Class)) is { } unlisted)
                throw new SharpSegException($"{unlisted.Path}: class '{unlisted.Class}' is not in --classes ({string.Join(", ", classOrder)}); add it, or move the file.");
            classes = classOrder.ToArray();
        }
        else classes = classMasks.Select(m => m.Class).Distinct().Order(StringComparer.Ordinal).ToArray();

        var target = new ImportedDataset(outDir, split, classes, overwrite);
        var byImage = classMasks.ToLookup(m => m.ImageKey);
        var valueOf = classes.Select((c, i) => (c, i)).ToDictionary(t => t.c, t => (byte)(t.i + 1));
        // Checked before anything is written: every class mask has its image's size and is black and white.
        var sizes = new Dictionary<string, (int W, int H)>(StringComparer.Ordinal);
        foreach (var (key, path) in images)
        {
            if (!byImage.Contains(key)) continue;
            var size = ImageFile.ReadSize(path);
            sizes[key] = size;
            foreach (var m in byImage[key])
            {
                // A lossy mask is never an index mask: its size from the header is enough. (The others are decoded here and
                // again when painted: keeping every decoded mask between the two would hold the whole split in memory.)
                var gray = ImageFile.IsJpeg(m.Path) ? null : ImageFile.Load(m.Path, channels: 1);
                var (w, h) = gray is null ? ImageFile.ReadSize(m.Path) : (gray.Width, gray.Height);
                if ((w, h) != size)
                    throw new SharpSegException($"{m.Path}: the '{m.Class}' mask is {w}x{h} but its image {path} is {size.Width}x{size.Height}; a class mask must have its image's size.");
                if (gray is not null && IndexValues(gray.Pixels) is { } values)
                    throw new SharpSegException($"{m.Path}: the '{m.Class}' mask holds the values {values}, as an index mask does, not one class's black-and-white mask (0 and 255, or 0 and 1); give such masks to 'sharpseg data init' as they are.");
            }
        }

        target.Begin();
        int done = 0, withoutMasks = 0;
        long overlap = 0;
        foreach (var (key, path) in images)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!sizes.TryGetValue(key, out var size)) { size = ImageFile.ReadSize(path); withoutMasks++; }
            var mask = new byte[checked(size.W * size.H)];
            foreach (var m in byImage[key].OrderBy(m => valueOf[m.Class]))
                overlap += Paint(mask, ImageFile.Load(m.Path, channels: 1).Pixels, valueOf[m.Class], lossy: ImageFile.IsJpeg(m.Path));
            target.WriteMask(System.IO.Path.GetRelativePath(imagesDir, path), size.W, size.H, mask);
            progress?.Report((++done, images.Count));
        }
        string yaml = target.Finish(imagesDir, masksDir, "data from-class-masks",
            "class k (in the order listed) is k + 1; where class masks overlap, the later class keeps the pixel");
        return new ClassMaskImportResult(split, done, perImage ? PerImage : PerClass, classMasks.Count, withoutMasks, overlap, target.ClassNames, target.MasksDir, yaml);
    }

    /// <summary>Paints <paramref name="value"/> where the binary mask <paramref name="gray"/> is on (at least 128, or not
    /// 0 when the whole mask stays below 128: saved as 0 and 1); returns how many of those pixels an earlier class had
    /// painted. A <paramref name="lossy"/> file (JPEG) is never a 0/1 mask: its faint values are compression noise, so
    /// it is cut at 128 alone.</summary>
    internal static long Paint(byte[] mask, byte[] gray, byte value, bool lossy = false)
    {
        byte max = 0;
        foreach (byte g in gray) if (g > max) max = g;
        byte on = max >= 128 || lossy ? (byte)128 : (byte)1;
        long overlap = 0;
        for (int i = 0; i < gray.Length; i++)
        {
            if (gray[i] < on) continue;
            if (mask[i] != 0) overlap++;
            mask[i] = value;
        }
        return overlap;
    }


    /// <summary>"0, 1, 2, 3" when a mask's values all stay below 128 and are more than two (class indices, not a 0/1 mask
    /// or a soft or noisy white-on-black one), else null.</summary>
    internal static string? IndexValues(byte[] gray)
    {
        Span<bool> seen = stackalloc bool[256];
        int distinct = 0;
        foreach (byte g in gray)
        {
            if (g >= 128) return null;
            if (!seen[g]) { seen[g] = true; distinct++; }
        }
        if (distinct <= 2) return null;
        var list = new List<int>();
        for (int v = 0; v < 128 && list.Count < 6; v++) if (seen[v]) list.Add(v);
        return string.Join(", ", list) + (distinct > list.Count ? ", ..." : "");
    }


    static List<ClassMask> ReadPerClass(Dictionary<string, List<(string Key, string Path)>> classFolders, string imagesDir, SortedDictionary<string, string> images)
    {
        var list = new List<ClassMask>();
        foreach (var (cls, files) in classFolders.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            foreach (var (key, path) in files)
            {
                if (!images.ContainsKey(key))
                    throw new SharpSegException($"{path}: no image '{key}.*' in --images {imagesDir}; a class mask is named as its image (masks/{cls}/{key}.png for images/{key}.jpg).");
                list.Add(new ClassMask(cls, key, path));
            }
        return list;
    }

    static List<ClassMask> ReadPerImage(string masksDir, List<string> imageFolders)
    {
        var list = new List<ClassMask>();
        foreach (var key in imageFolders)
            foreach (var path in ImageFolder.List(System.IO.Path.Combine(masksDir, key)))
                list.Add(new ClassMask(System.IO.Path.GetFileNameWithoutExtension(path), key, path));
        return list;
    }
}
