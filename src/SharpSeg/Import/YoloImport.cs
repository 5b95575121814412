using System.Globalization;
using SharpSeg.Imaging;
using YamlDotNet.RepresentationModel;

namespace SharpSeg.Import;

/// <summary>What <see cref="YoloImport.Run"/> wrote for one split.</summary>
/// <param name="Polygons">Polygons painted.</param>
/// <param name="ImagesWithoutLabels">Images with no label file: YOLO's "no objects here", so their masks are all background.</param>
public sealed record YoloImportResult(string Split, int Masks, int Polygons, int ImagesWithoutLabels, IReadOnlyList<string> Classes,
    string MasksDir, string YamlPath);

/// <summary>
/// Turns a YOLO segmentation dataset (Ultralytics' format, which Roboflow, CVAT and Label Studio export: one
/// <c>labels/x.txt</c> per image <c>images/x.jpg</c>, a line per object, <c>class x1 y1 x2 y2 …</c> with the polygon's
/// points normalised to 0..1) into index masks and a dataset.yaml (<c>sharpseg data from-yolo</c>).
/// <list type="bullet">
/// <item>Class id k becomes value k + 1 (0 is background). The names come from the dataset's YOLO yaml (<c>names:</c>
/// as a list or as a map from id to name, <c>--names</c>), a classes.txt (one name per line: <c>--names</c>, or found
/// in the labels folder) or <c>--classes</c>; without any, <c>class_0</c>, … up to the largest id found.</item>
/// <item>Polygons are filled at pixel centres in the order of the lines, later ones on top; an image without a label
/// file has no objects (YOLO's convention) and gets an all-background mask.</item>
/// <item>A detection label (<c>class cx cy w h</c>: a box, not an outline), coordinates that are not normalised, an
/// unknown class id, a label file without an image: one line naming the file and the line.</item>
/// </list>
/// Files are written as <see cref="ImportedDataset"/> describes.
/// </summary>
public static class YoloImport
{
    sealed record Polygon(int Class, double[] Points);

    public static YoloImportResult Run(string labelsDir, string imagesDir, string outDir, string split, IReadOnlyList<string>? classNames = null,
        string? namesYaml = null, bool overwrite = false, IProgress<(int Done, int Total)>? progress = null, CancellationToken cancellationToken = default)
    {
        if (!Directory.Exists(labelsDir)) throw new SharpSegException($"folder '{labelsDir}' does not exist; give the folder of YOLO .txt label files.");
        if (!Directory.Exists(imagesDir)) throw new SharpSegException($"--images '{imagesDir}' does not exist; give the folder of the images the labels belong to.");
        if (classNames is { Count: > 0 } && namesYaml != null) throw new SharpSegException("give the class names once: --classes or --names, not both.");
        labelsDir = Path.GetFullPath(labelsDir);
        imagesDir = Path.GetFullPath(imagesDir);

        var images = ImportedDataset.ImagesByKey(imagesDir);

        var labelFiles = Directory.EnumerateFiles(labelsDir, "*.txt", SearchOption.AllDirectories)
            .Where(f => !ImageFolder.IsHidden(Path.GetRelativePath(labelsDir, f)) && !Path.GetFileName(f).Equals("classes.txt", StringComparison.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal).ToList();
        if (labelFiles.Count == 0) throw new SharpSegException($"'{labelsDir}' holds no .txt label files; give the labels folder of a YOLO segmentation dataset.");
        var labels = new Dictionary<string, List<Polygon>>(StringComparer.Ordinal);
        foreach (var file in labelFiles)
        {
            string key = ImportedDataset.Key(labelsDir, file);
            if (!images.ContainsKey(key))
                throw new SharpSegException($"{file}: no image '{key}.*' in --images {imagesDir}; a label file is named as its image (labels/{key}.txt for images/{key}.jpg).");
            labels[key] = Read(file);
        }

        int maxId = labels.Values.SelectMany(p => p).Select(p => p.Class).DefaultIfEmpty(-1).Max();
        // A classes.txt beside the labels (LabelImg, CVAT's YOLO export) names them when nothing else does.
        string besideLabels = Path.Combine(labelsDir, "classes.txt");
        string[] classes = classNames is { Count: > 0 } ? classNames.ToArray()
            : namesYaml != null ? Names(namesYaml)
            : File.Exists(besideLabels) ? Names(besideLabels)
            : Enumerable.Range(0, maxId + 1).Select(i => $"class_{i}").ToArray();
        if (classes.Length == 0) throw new SharpSegException($"'{labelsDir}': no polygons in {labelFiles.Count} label files and no class names; nothing to make masks of.");
        if (classes.Distinct(StringComparer.Ordinal).Count() != classes.Length)
            throw new SharpSegException($"the class names [{string.Join(", ", classes)}] name one class twice.");
        foreach (var (key, polygons) in labels)
            if (polygons.FirstOrDefault(p => p.Class >= classes.Length) is { } unknown)
                throw new SharpSegException($"{Path.Combine(labelsDir, key + ".txt")}: class id {unknown.Class}, but only {classes.Length} classes are named ({string.Join(", ", classes)}); name them all (--classes or --names data.yaml).");

        var target = new ImportedDataset(outDir, split, classes, overwrite);
        var sizes = images.ToDictionary(kv => kv.Key, kv => ImageFile.ReadSize(kv.Value), StringComparer.Ordinal);
        target.Begin();
        int done = 0, polygonsPainted = 0, withoutLabels = 0;
        foreach (var (key, path) in images)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (w, h) = sizes[key];
            var mask = new byte[checked(w * h)];
            if (labels.TryGetValue(key, out var polygons))
                foreach (var p in polygons)
                {
                    var ring = new double[p.Points.Length];
                    for (int i = 0; i < ring.Length; i += 2) { ring[i] = p.Points[i] * w; ring[i + 1] = p.Points[i + 1] * h; }
                    PolygonRaster.Fill(mask, w, h, [ring], (byte)(p.Class + 1));
                    polygonsPainted++;
                }
            else withoutLabels++;
            target.WriteMask(Path.GetRelativePath(imagesDir, path), w, h, mask);
            progress?.Report((++done, images.Count));
        }
        string yaml = target.Finish(imagesDir, labelsDir, "data from-yolo", "YOLO class id k is k + 1; later lines are painted over earlier ones");
        return new YoloImportResult(split, done, polygonsPainted, withoutLabels, target.ClassNames, target.MasksDir, yaml);
    }


    static List<Polygon> Read(string path)
    {
        var list = new List<Polygon>();
        int lineNo = 0;
        foreach (var raw in File.ReadLines(path))
        {
            lineNo++;
            var parts = raw.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 0) continue;
            string where = $"{path}, line {lineNo}";
            if (!int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int cls))
                throw new SharpSegException($"{where}: '{parts[0]}' is not a class id; a YOLO segmentation line is 'class x1 y1 x2 y2 ...'.");
            var values = new double[parts.Length - 1];
            for (int i = 1; i < parts.Length; i++)
                if (!double.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out values[i - 1]) || !double.IsFinite(values[i - 1]))
                    throw new SharpSegException($"{where}: '{parts[i]}' is not a number.");
            if (values.Length == 4)
                throw new SharpSegException($"{where}: 'class cx cy w h' is a YOLO detection box, not a segmentation outline; export the dataset in YOLO segmentation format (polygons).");
            if (values.Length < 6 || values.Length % 2 != 0)
                throw new SharpSegException($"{where}: {values.Length} coordinates; a polygon needs x y pairs, at least 3 points.");
            if (values.Any(v => v < -0.01 || v > 1.01))
                throw new SharpSegException($"{where}: coordinate {values.First(v => v < -0.01 || v > 1.01).ToString(CultureInfo.InvariantCulture)} is outside 0..1; YOLO coordinates are fractions of the image's width and height, not pixels.");
            list.Add(new Polygon(cls, values));
        }
        return list;
    }

    /// <summary>The class names of a YOLO dataset yaml: <c>names: [a, b]</c> or <c>names: {0: a, 1: b}</c>.</summary>
    internal static string[] Names(string yamlPath)
    {
        if (!File.Exists(yamlPath)) throw new SharpSegException($"--names '{yamlPath}' is not a file; give the YOLO dataset's yaml (data.yaml) that lists 'names', or a classes.txt.");
        if (Path.GetExtension(yamlPath).Equals(".txt", StringComparison.OrdinalIgnoreCase))
        {
            // classes.txt: one name per line, the line number is the class id (or 'id name' lines).
            var entries = Data.Dataset.ClassList.Read(yamlPath).Entries.OrderBy(e => e.Value).ToList();
            if (entries.Select((e, i) => e.Value != i).Any(b => b))
                throw new SharpSegException($"{yamlPath}: class ids {string.Join(", ", entries.Select(e => e.Value))} are not 0..{entries.Count - 1} without gaps.");
            return entries.Select(e => e.Name).ToArray();
        }
        var stream = new YamlStream();
        try { using var reader = new StreamReader(yamlPath); stream.Load(reader); }
        catch (YamlDotNet.Core.YamlException e) { throw new SharpSegException($"{yamlPath}: not valid YAML ({e.Message})."); }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root
            || !root.Children.TryGetValue(new YamlScalarNode("names"), out var names))
            throw new SharpSegException($"{yamlPath}: no 'names' list; a YOLO dataset yaml has names: [class, ...] or names: {{0: class, ...}}.");
        switch (names)
        {
            case YamlSequenceNode seq:
                return seq.Children.Select(n => n is YamlScalarNode { Value: { Length: > 0 } v } ? v : throw new SharpSegException($"{yamlPath}: 'names' holds an entry that is not a name.")).ToArray();
            case YamlMappingNode map:
                var byId = new SortedDictionary<int, string>();
                foreach (var (k, v) in map.Children)
                {
                    if (k is not YamlScalarNode { Value: { } ks } || !int.TryParse(ks, NumberStyles.None, CultureInfo.InvariantCulture, out int id) || v is not YamlScalarNode { Value: { Length: > 0 } name })
                        throw new SharpSegException($"{yamlPath}: 'names' maps something other than a class id to a name.");
                    byId[id] = name;
                }
                if (byId.Count > 0 && (byId.Keys.First() != 0 || byId.Keys.Last() != byId.Count - 1))
                    throw new SharpSegException($"{yamlPath}: 'names' ids are not 0..{byId.Count - 1} without gaps.");
                return byId.Values.ToArray();
            default:
                throw new SharpSegException($"{yamlPath}: 'names' is neither a list nor a map of class names.");
        }
    }
}
