using System.Globalization;
using System.Text;
using System.Text.Json;
using SharpSeg.Imaging;

namespace SharpSeg.Import;

/// <summary>
/// The dataset folder an annotation import writes (<c>data from-coco</c>, <c>data from-labelme</c>): per split
/// <c>{out}/{split}/masks/</c> (8-bit index PNGs at the images' relative paths), <c>{out}/{split}/ids.txt</c> (the
/// split's images, so other files in the images folder stay out) and <c>{out}/{split}/import.json</c> (where the
/// images and annotations came from, and the class names); and <c>{out}/dataset.yaml</c>, rewritten after each import
/// to name every split there. All splits of one folder must have the same classes. Value 0 is background, class k of
/// the import is value k + 1; 255 is ignore.
/// </summary>
internal sealed class ImportedDataset
{
    const string Record = "import.json";
    readonly string _outDir, _split, _splitDir;
    readonly string[] _classes;
    readonly bool _overwrite;
    readonly StringBuilder _ids = new();
    bool _recursive;

    public ImportedDataset(string outDir, string split, string[] classes, bool overwrite)
    {
        if (split.Length == 0 || split.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || split.Contains('/'))
            throw new SharpSegException($"--split '{split}': not a split name; use e.g. train or val.");
        if (classes.Length > 254) throw new SharpSegException($"{classes.Length} classes; SharpSeg's masks hold at most 254 besides background.");
        _outDir = Path.GetFullPath(outDir); _split = split; _classes = classes; _overwrite = overwrite;
        _splitDir = Path.Combine(_outDir, split);
        MasksDir = Path.Combine(_splitDir, "masks");
        ImagesDir = Path.Combine(_splitDir, "images");
        if (Directory.Exists(MasksDir) && Directory.EnumerateFileSystemEntries(MasksDir).Any() && !overwrite)
            throw new SharpSegException($"{MasksDir}: already holds masks; pass --force to replace split '{split}', or choose another --out or --split.");
        foreach (var (name, record) in Splits(_outDir))
            if (name != split && !record.Classes.SequenceEqual(classes))
                throw new SharpSegException($"{_outDir}: split '{name}' was imported with classes [{string.Join(", ", record.Classes)}], this one has [{string.Join(", ", classes)}]; one dataset needs one class list: give this import the same classes (--classes {string.Join(",", record.Classes)}), or import into another --out.");
    }

    public string MasksDir { get; }

    /// <summary>Where an import that makes the images too (<c>data from-nifti</c>'s slices) writes them:
    /// <c>{out}/{split}/images</c>.</summary>
    public string ImagesDir { get; }

    /// <summary>The class names by mask value: background (or "unannotated" when a class is itself called background), then the imported classes.</summary>
    public IReadOnlyList<string> ClassNames => [BackgroundName(_classes), .. _classes];

    /// <summary>Clears the split's masks (with --force) and creates the folder; call after every input was checked.</summary>
    public void Begin()
    {
        if (Directory.Exists(MasksDir) && _overwrite) Directory.Delete(MasksDir, recursive: true);
        if (Directory.Exists(ImagesDir) && _overwrite) Directory.Delete(ImagesDir, recursive: true);
        IO.OutputFolder.Create(MasksDir);
    }

    /// <summary>Writes an image the import made into <see cref="ImagesDir"/> as <c>{key}.png</c>; its mask follows with
    /// <see cref="WriteMask"/> under the same key.</summary>
    public void WriteImage(string key, RgbImage image)
    {
        string path = Path.Combine(ImagesDir, key + ".png");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        ImageFile.SavePng(image, path);
    }

    /// <summary>Writes the mask of the image at <paramref name="imageRelative"/> (relative to the split's images folder).</summary>
    public void WriteMask(string imageRelative, int width, int height, byte[] labels)
    {
        string key = Path.ChangeExtension(imageRelative, null).Replace('\\', '/');
        _recursive |= key.Contains('/');
        string maskPath = Path.Combine(MasksDir, key + ".png");
        Directory.CreateDirectory(Path.GetDirectoryName(maskPath)!);
        PngCodec.SaveGray8(maskPath, width, height, labels);
        _ids.Append(key).Append('\n');
    }

    /// <summary>Writes ids.txt, the split's record and the dataset.yaml; returns the yaml's path.</summary>
    public string Finish(string imagesDir, string source, string command, string valuesNote, string? extraYaml = null)
    {
        IO.AtomicFile.WriteAllText(Path.Combine(_splitDir, "ids.txt"), _ids.ToString());
        IO.AtomicFile.WriteAllText(Path.Combine(_splitDir, Record), JsonSerializer.Serialize(
            new SplitRecord(Path.GetFullPath(imagesDir), _recursive, _classes, Path.GetFullPath(source)), new JsonSerializerOptions { WriteIndented = true }) + "\n");
        var splits = Splits(_outDir).ToList();
        var sb = new StringBuilder();
        sb.AppendLine($"# Written by 'sharpseg {command}' on {DateTime.UtcNow:yyyy-MM-dd}. Masks: value 0 is background, {valuesNote}.");
        sb.AppendLine("# Check it with 'sharpseg data check dataset.yaml'.");
        sb.AppendLine($"name: {Q(Path.GetFileName(_outDir))}");
        sb.AppendLine("root: \".\"");
        sb.AppendLine("splits:");
        foreach (var (name, r) in splits)
        {
            string images = Path.GetRelativePath(_outDir, r.Images).Replace('\\', '/');
            sb.AppendLine($"  {Q(name)}: {{ images: {Q(images)}, masks: {Q(name + "/masks")}, ids: {Q(name + "/ids.txt")}{(r.Recursive ? ", recursive: true" : "")} }}   # from {Q(r.Source)}");
        }
        sb.AppendLine("mask: { encoding: index, ignore_values: [255] }");
        if (extraYaml != null) sb.AppendLine(extraYaml);
        sb.AppendLine("classes:");
        var names = ClassNames;
        for (int i = 0; i < names.Count; i++)
            sb.AppendLine($"  - {{ name: {Q(names[i])}, value: {i.ToString(CultureInfo.InvariantCulture)} }}");
        string yaml = Path.Combine(_outDir, "dataset.yaml");
        IO.AtomicFile.WriteAllText(yaml, sb.ToString());
        return yaml;
    }

    /// <summary>Deletes, from <paramref name="outDir"/>, the splits imported from <paramref name="source"/> other than
    /// <paramref name="keep"/> (a re-import with --force that no longer writes a val split must not leave the old one
    /// beside a train split that now holds its images); returns their names.</summary>
    public static IReadOnlyList<string> RemoveOtherSplitsFrom(string outDir, string source, IReadOnlyCollection<string> keep)
    {
        outDir = Path.GetFullPath(outDir);
        var stale = Splits(outDir).Where(s => !keep.Contains(s.Name) && s.Record.Source == Path.GetFullPath(source)).Select(s => s.Name).ToList();
        foreach (var name in stale) Directory.Delete(Path.Combine(outDir, name), recursive: true);
        return stale;
    }

    static string BackgroundName(string[] classes) =>
        classes.Any(c => c.Equals("background", StringComparison.OrdinalIgnoreCase)) ? "unannotated" : "background";

    sealed record SplitRecord(string Images, bool Recursive, string[] Classes, string Source);

    static IEnumerable<(string Name, SplitRecord Record)> Splits(string outDir)
    {
        if (!Directory.Exists(outDir)) yield break;
        foreach (var dir in Directory.GetDirectories(outDir).Order(StringComparer.Ordinal))
        {
            string path = Path.Combine(dir, Record);
            if (!File.Exists(path)) continue;
            SplitRecord? record;
            try { record = JsonSerializer.Deserialize<SplitRecord>(File.ReadAllText(path)); }
            catch (JsonException e) { throw new SharpSegException($"{path}: cannot be read ({e.Message}); delete the folder {dir} and import that split again."); }
            if (record is { Classes: not null, Images: not null, Source: not null }) yield return (Path.GetFileName(dir), record);
        }
    }

    /// <summary>The images in <paramref name="imagesDir"/> and its subfolders by <see cref="Key"/>, sorted; two files with one
    /// key (<c>x.png</c> and <c>x.jpg</c>), or no image at all, are one line.</summary>
    public static SortedDictionary<string, string> ImagesByKey(string imagesDir)
    {
        var images = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var path in ImageFolder.List(imagesDir, recursive: true))
        {
            string key = Key(imagesDir, path);
            if (images.TryGetValue(key, out var other)) throw new SharpSegException($"{other} and {path} share the name '{key}'; their masks would too: rename one.");
            images[key] = path;
        }
        if (images.Count == 0) throw new SharpSegException($"--images '{imagesDir}' holds no images ({ImageFolder.ExtensionList}).");
        return images;
    }

    /// <summary>A file's path relative to <paramref name="root"/> without its extension, '/'-separated: what pairs an
    /// image with its mask or label file.</summary>
    public static string Key(string root, string path) => Path.ChangeExtension(Path.GetRelativePath(root, path), null).Replace('\\', '/');

    /// <summary>A YAML double-quoted scalar (JSON string syntax is valid YAML).</summary>
    static string Q(string s) => Configuration.YamlText.Quote(s);
}
