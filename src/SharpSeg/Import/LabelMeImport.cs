using System.Text.Json;
using SharpSeg.Imaging;

namespace SharpSeg.Import;

/// <summary>What <see cref="LabelMeImport.Run"/> wrote for one split.</summary>
public sealed record LabelMeImportResult(string Split, int Masks, int Shapes, int ShapesWithoutArea, IReadOnlyList<string> Classes,
    string MasksDir, string YamlPath);

/// <summary>
/// Turns a folder of LabelMe files (one JSON per image: <c>shapes</c> with a <c>label</c>, <c>points</c> and a
/// <c>shape_type</c>) into semantic-segmentation masks and a dataset.yaml (<c>sharpseg data from-labelme</c>), as
/// LabelMe's own <c>labelme2voc.py</c> does:
/// <list type="bullet">
/// <item>polygons, rectangles (two corners) and circles (centre and a point on the circle) are filled; lines and points
/// have no area and are counted, not painted; shapes are painted in the order listed, the later on top (as LabelMe
/// shows them);</item>
/// <item>the classes are the labels found, sorted, unless <c>--classes</c> gives their order (then an unlisted label
/// is an error); the labels <c>_background_</c> and <c>__ignore__</c> paint background (0) and ignore (255);</item>
/// <item>the image is the JSON's <c>imagePath</c>, relative to the JSON file; its size must be the JSON's
/// <c>imageWidth</c> × <c>imageHeight</c>.</item>
/// </list>
/// Files are written as <see cref="ImportedDataset"/> describes.
/// </summary>
public static class LabelMeImport
{
    sealed record Shape(string Label, string Type, double[] Points);
    sealed record Entry(string JsonPath, string ImagePath, int Width, int Height, IReadOnlyList<Shape> Shapes);

    public static LabelMeImportResult Run(string jsonDir, string outDir, string split, IReadOnlyList<string>? classOrder = null,
        bool overwrite = false, IProgress<(int Done, int Total)>? progress = null, CancellationToken cancellationToken = default)
    {
        if (!Directory.Exists(jsonDir)) throw new SharpSegException($"folder '{jsonDir}' does not exist; give the folder of LabelMe .json files.");
        jsonDir = Path.GetFullPath(jsonDir);
        var files = Directory.EnumerateFiles(jsonDir, "*.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
        if (files.Count == 0) throw new SharpSegException($"'{jsonDir}' holds no .json files; give the folder LabelMe saved its annotations in.");
        var entries = files.Select(Read).ToList();

        var labels = entries.SelectMany(e => e.Shapes).Select(s => s.Label).Where(l => l is not ("_background_" or "__ignore__")).Distinct().Order(StringComparer.Ordinal).ToList();
        string[] classes;
        if (classOrder is { Count: > 0 })
        {
            if (entries.SelectMany(e => e.Shapes.Select(s => (e, s))).FirstOrDefault(t => t.s.Label is not ("_background_" or "__ignore__") && !classOrder.Contains(t.s.Label)) is { e: not null } bad)
                throw new SharpSegException($"{bad.e.JsonPath}: label '{bad.s.Label}' is not in --classes ({string.Join(", ", classOrder)}); add it, or fix the label.");
            classes = classOrder.ToArray();
        }
        else classes = labels.ToArray();
        if (classes.Length == 0) throw new SharpSegException($"'{jsonDir}': no labelled shapes in {files.Count} LabelMe files; nothing to make masks of.");

        // Every image must sit in one folder tree, the split's images folder: the JSON folder or a folder all images share.
        string imagesDir = entries.Select(e => Path.GetDirectoryName(e.ImagePath)!).Aggregate(IO.FolderPaths.CommonParent);
        var target = new ImportedDataset(outDir, split, classes, overwrite);
        foreach (var e in entries)
        {
            if (!File.Exists(e.ImagePath)) throw new SharpSegException($"{e.JsonPath}: its image '{e.ImagePath}' does not exist; fix imagePath or copy the image there.");
            var (w, h) = ImageFile.ReadSize(e.ImagePath);
            if (w != e.Width || h != e.Height)
                throw new SharpSegException($"{e.ImagePath}: image is {w}x{h} but {e.JsonPath} says {e.Width}x{e.Height}; the annotation was made on another version of the image.");
        }
        if (entries.GroupBy(e => Path.ChangeExtension(Path.GetRelativePath(imagesDir, e.ImagePath), null)).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw new SharpSegException($"{string.Join(" and ", twice.Select(e => e.JsonPath))} annotate images with one file stem ({twice.Key}); their masks would share a name.");
        target.Begin();
        var valueOf = classes.Select((c, i) => (c, i)).ToDictionary(t => t.c, t => (byte)(t.i + 1));
        valueOf["_background_"] = 0;
        valueOf["__ignore__"] = LabelMask.Ignore;
        int done = 0, shapes = 0, noArea = 0;
        foreach (var e in entries)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var mask = new byte[checked(e.Width * e.Height)];
            foreach (var s in e.Shapes)
            {
                shapes++;
                if (Ring(s) is not { } ring) { noArea++; continue; }
                PolygonRaster.Fill(mask, e.Width, e.Height, [ring], valueOf[s.Label]);
            }
            target.WriteMask(Path.GetRelativePath(imagesDir, e.ImagePath), e.Width, e.Height, mask);
            progress?.Report((++done, entries.Count));
        }
        string yaml = target.Finish(imagesDir, jsonDir, "data from-labelme", "class k (the labels in order) is k + 1; later shapes are painted over earlier ones");
        return new LabelMeImportResult(split, done, shapes, noArea, target.ClassNames, target.MasksDir, yaml);
    }

    /// <summary>The outline to fill: a polygon's points, a rectangle's four corners, a circle as 64 points; null for
    /// shapes without area (lines, points, polygons of fewer than 3 points).</summary>
    static double[]? Ring(Shape s)
    {
        var p = s.Points;
        switch (s.Type)
        {
            case "polygon" when p.Length >= 6: return p;
            case "rectangle" when p.Length == 4: return [p[0], p[1], p[2], p[1], p[2], p[3], p[0], p[3]];
            case "circle" when p.Length == 4:
                double r = Math.Sqrt((p[2] - p[0]) * (p[2] - p[0]) + (p[3] - p[1]) * (p[3] - p[1]));
                return Enumerable.Range(0, 64).SelectMany(k => new[] { p[0] + r * Math.Cos(k * Math.PI / 32), p[1] + r * Math.Sin(k * Math.PI / 32) }).ToArray();
            default: return null;
        }
    }

    static Entry Read(string path)
    {
        using (var doc = IO.JsonFile.Parse(path, "give a folder of LabelMe annotation files"))
        {
            var root = doc.RootElement;
            SharpSegException Bad(string what) => new($"{path}: {what}; a LabelMe file has 'shapes', 'imagePath', 'imageWidth' and 'imageHeight'.");
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("shapes", out var shapesEl) || shapesEl.ValueKind != JsonValueKind.Array)
                throw Bad("no 'shapes' list");
            string imagePath = root.TryGetProperty("imagePath", out var ip) && ip.ValueKind == JsonValueKind.String && ip.GetString() is { Length: > 0 } ipath
                ? ipath.Replace('\\', '/') : throw Bad("no 'imagePath'");
            int Size(string name) => root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int n) && n > 0 ? n : throw Bad($"no positive '{name}'");
            int width = Size("imageWidth"), height = Size("imageHeight");
            PixelLimit.Check(path, width, height);
            var shapes = new List<Shape>();
            foreach (var s in shapesEl.EnumerateArray())
            {
                string label = s.TryGetProperty("label", out var l) && l.ValueKind == JsonValueKind.String && l.GetString() is { Length: > 0 } ls ? ls : throw Bad("a shape without a 'label'");
                string type = s.TryGetProperty("shape_type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : "polygon";
                if (type is not ("polygon" or "rectangle" or "circle" or "line" or "linestrip" or "point" or "points"))
                    throw new SharpSegException($"{path}: shape '{label}' is a '{type}', which data from-labelme does not read (it fills polygons, rectangles and circles); redraw it as a polygon.");
                if (!s.TryGetProperty("points", out var pts) || pts.ValueKind != JsonValueKind.Array) throw Bad($"shape '{label}' has no 'points'");
                var points = new List<double>();
                foreach (var pt in pts.EnumerateArray())
                {
                    if (pt.ValueKind != JsonValueKind.Array || pt.GetArrayLength() != 2 || pt[0].ValueKind != JsonValueKind.Number || pt[1].ValueKind != JsonValueKind.Number)
                        throw Bad($"shape '{label}' has a point that is not [x, y]");
                    points.Add(pt[0].GetDouble()); points.Add(pt[1].GetDouble());
                }
                shapes.Add(new Shape(label, type, points.ToArray()));
            }
            return new Entry(path, Path.GetFullPath(Path.Combine(Path.GetDirectoryName(path)!, imagePath)), width, height, shapes);
        }
    }
}
