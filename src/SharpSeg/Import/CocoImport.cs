using System.Text.Json;
using SharpSeg.Imaging;
using SharpSeg.Instances;

namespace SharpSeg.Import;

/// <summary>What <see cref="CocoImport.Run"/> wrote for one split.</summary>
public sealed record CocoImportResult(string Split, int Masks, int ImagesWithoutAnnotations, int Annotations, int CrowdAnnotations,
    IReadOnlyList<string> Classes, string MasksDir, string YamlPath);

/// <summary>
/// Turns a COCO annotation file (instance polygons and RLE, as CVAT, Label Studio, Roboflow and Detectron2 export it)
/// into semantic-segmentation masks and a dataset.yaml (<c>sharpseg data from-coco</c>):
/// <list type="bullet">
/// <item>one 8-bit index PNG per image listed in the file, at <c>{out}/{split}/masks/{file_name stem}.png</c> (subfolders
/// of <c>file_name</c> kept); value 0 is background (pixels no annotation covers), category k (in the order of
/// category ids) is value k + 1;</item>
/// <item>where annotations overlap, the smaller one (by its <c>area</c>) is painted last, so a person in front of a
/// car keeps its pixels; crowd annotations (<c>iscrowd: 1</c>) are painted like the others (a crowd of people is
/// people);</item>
/// <item><c>{out}/{split}/ids.txt</c> lists the split's images, so images in the same folder that the file does not
/// list are not part of it; <c>{out}/dataset.yaml</c> names every split imported into <c>{out}</c> (their categories
/// must agree).</item>
/// </list>
/// Every problem is one line naming the file: not COCO JSON, an annotation of an image or category the file does not
/// list, an image missing from the images folder or whose size differs from the file's, an RLE of another size.
/// </summary>
public static class CocoImport
{
    public static CocoImportResult Run(string annotationsPath, string imagesDir, string outDir, string split, bool overwrite = false,
        IProgress<(int Done, int Total)>? progress = null, CancellationToken cancellationToken = default)
    {
        if (!File.Exists(annotationsPath)) throw new SharpSegException($"{annotationsPath}: annotation file not found; give the COCO JSON file (e.g. instances_train.json).");
        if (!Directory.Exists(imagesDir)) throw new SharpSegException($"images folder '{imagesDir}' does not exist; give the folder the COCO file's image file_name entries are relative to.");
        if (split.Length == 0 || split.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || split.Contains('/'))
            throw new SharpSegException($"--split '{split}': not a split name; use e.g. train or val.");
        imagesDir = Path.GetFullPath(imagesDir);
        outDir = Path.GetFullPath(outDir);
        var coco = Read(annotationsPath);

        var target = new ImportedDataset(outDir, split, coco.Categories.Select(c => c.Name).ToArray(), overwrite);

        // Check every image before writing anything: present, and the size the file says.
        foreach (var image in coco.Images)
        {
            string path = Path.GetFullPath(Path.Combine(imagesDir, image.FileName));
            if (!File.Exists(path))
                throw new SharpSegException($"{annotationsPath}: image '{image.FileName}' (id {image.Id}) is not in '{imagesDir}' ({coco.Images.Count(i => !File.Exists(Path.Combine(imagesDir, i.FileName)))} of {coco.Images.Count} listed images are missing); pass the folder the file_name entries are relative to with --images.");
            var (w, h) = ImageFile.ReadSize(path);
            if (w != image.Width || h != image.Height)
                throw new SharpSegException($"{path}: image is {w}x{h} but {annotationsPath} says {image.Width}x{image.Height} (image id {image.Id}); the annotations were made on another version of the image.");
        }

        target.Begin();
        var byImage = coco.Annotations.GroupBy(a => a.ImageId).ToDictionary(g => g.Key, g => g.OrderByDescending(a => a.Area).ToList());
        int done = 0, empty = 0;
        foreach (var image in coco.Images)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var labels = new byte[checked(image.Width * image.Height)];
            if (byImage.TryGetValue(image.Id, out var annotations))
                foreach (var a in annotations) Paint(labels, image, a, annotationsPath);
            else empty++;
            target.WriteMask(image.FileName, image.Width, image.Height, labels);
            progress?.Report((++done, coco.Images.Count));
        }
        string yaml = target.Finish(imagesDir, annotationsPath, "data from-coco", "category k (by COCO id) is k + 1; where annotations overlap the smaller one wins");
        return new CocoImportResult(split, done, empty, coco.Annotations.Count, coco.Annotations.Count(a => a.Crowd),
            target.ClassNames, target.MasksDir, yaml);
    }

    sealed record Category(long Id, string Name);
    sealed record ImageEntry(long Id, string FileName, int Width, int Height);
    sealed record Annotation(long ImageId, int ClassValue, double Area, bool Crowd, JsonElement Segmentation, long Id);
    sealed record CocoFile(IReadOnlyList<Category> Categories, IReadOnlyList<ImageEntry> Images, IReadOnlyList<Annotation> Annotations);

    static CocoFile Read(string path)
    {
        using (var doc = IO.JsonFile.Parse(path, "give a COCO annotation file"))
        {
            var root = doc.RootElement;
            SharpSegException Bad(string what) => new($"{path}: {what}; a COCO annotation file has 'images', 'annotations' and 'categories' lists.");
            if (root.ValueKind != JsonValueKind.Object) throw Bad("the top level is not an object");
            JsonElement List(string name) => root.TryGetProperty(name, out var e) && e.ValueKind == JsonValueKind.Array ? e : throw Bad($"no '{name}' list");

            var categories = new List<Category>();
            foreach (var c in List("categories").EnumerateArray())
                categories.Add(new Category(Long(c, "id", "a category"), Str(c, "name", "a category")));
            categories.Sort((a, b) => a.Id.CompareTo(b.Id));
            if (categories.Count == 0) throw Bad("the 'categories' list is empty");
            if (categories.Count > 254) throw new SharpSegException($"{path}: {categories.Count} categories; SharpSeg's masks hold at most 254 classes besides background.");
            if (categories.GroupBy(c => c.Id).FirstOrDefault(g => g.Count() > 1) is { } dup) throw Bad($"category id {dup.Key} is listed twice");
            var classOf = categories.Select((c, i) => (c.Id, Value: i + 1)).ToDictionary(t => t.Id, t => t.Value);

            var images = new List<ImageEntry>();
            foreach (var i in List("images").EnumerateArray())
            {
                var e = new ImageEntry(Long(i, "id", "an image"), Str(i, "file_name", "an image"), (int)Long(i, "width", "an image"), (int)Long(i, "height", "an image"));
                if (e.Width <= 0 || e.Height <= 0) throw Bad($"image '{e.FileName}' has size {e.Width}x{e.Height}");
                PixelLimit.Check($"{path} (image '{e.FileName}')", e.Width, e.Height);
                if (Path.IsPathRooted(e.FileName) || e.FileName.Split('/', '\\').Contains(".."))
                    throw Bad($"image file_name '{e.FileName}' leaves the images folder; file names are relative to --images");
                images.Add(e);
            }
            if (images.GroupBy(i => i.Id).FirstOrDefault(g => g.Count() > 1) is { } twice) throw Bad($"image id {twice.Key} is listed twice");
            if (images.GroupBy(i => Path.ChangeExtension(i.FileName, null)).FirstOrDefault(g => g.Count() > 1) is { } stems)
                throw Bad($"images '{string.Join("', '", stems.Select(i => i.FileName))}' share a file stem, so their masks would share a name");
            var imageIds = images.Select(i => i.Id).ToHashSet();

            var annotations = new List<Annotation>();
            foreach (var a in List("annotations").EnumerateArray())
            {
                long id = a.TryGetProperty("id", out var idEl) && idEl.TryGetInt64(out long v) ? v : annotations.Count;
                long imageId = Long(a, "image_id", $"annotation {id}"), categoryId = Long(a, "category_id", $"annotation {id}");
                if (!imageIds.Contains(imageId)) throw Bad($"annotation {id} is of image id {imageId}, which 'images' does not list");
                if (!classOf.TryGetValue(categoryId, out int value)) throw Bad($"annotation {id} has category id {categoryId}, which 'categories' does not list");
                if (!a.TryGetProperty("segmentation", out var seg)) throw Bad($"annotation {id} has no 'segmentation' (a box-only file cannot make masks)");
                double area = a.TryGetProperty("area", out var ar) && ar.TryGetDouble(out double av) ? av : 0;
                bool crowd = a.TryGetProperty("iscrowd", out var cr) && cr.ValueKind == JsonValueKind.Number && cr.GetInt32() != 0;
                annotations.Add(new Annotation(imageId, value, area, crowd, seg.Clone(), id));
            }
            return new CocoFile(categories, images, annotations);

            long Long(JsonElement e, string name, string what) =>
                e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.Number && p.TryGetDouble(out double d) && d == Math.Floor(d) && Math.Abs(d) < 9e15
                    ? (long)d : throw Bad($"{what} has no whole-number '{name}'");
            string Str(JsonElement e, string name, string what) =>
                e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.String && p.GetString() is { Length: > 0 } s
                    ? s : throw Bad($"{what} has no '{name}' text");
        }
    }

    /// <summary>Paints one annotation: polygons (a list of flat x, y lists) or RLE (<c>{size: [h, w], counts}</c>, counts as
    /// pycocotools' compressed string or as a list of run lengths).</summary>
    static void Paint(byte[] labels, ImageEntry image, Annotation a, string path)
    {
        var seg = a.Segmentation;
        byte value = (byte)a.ClassValue;
        if (seg.ValueKind == JsonValueKind.Array)
        {
            var rings = new List<IReadOnlyList<double>>();
            foreach (var ring in seg.EnumerateArray())
            {
                if (ring.ValueKind != JsonValueKind.Array) throw new SharpSegException($"{path}: annotation {a.Id}: a polygon is not a list of numbers; COCO polygons are [[x0, y0, x1, y1, ...], ...].");
                rings.Add(ring.EnumerateArray().Select(v => v.ValueKind == JsonValueKind.Number ? v.GetDouble()
                    : throw new SharpSegException($"{path}: annotation {a.Id}: a polygon holds '{v}', not a number.")).ToArray());
            }
            PolygonRaster.Fill(labels, image.Width, image.Height, rings, value);
            return;
        }
        if (seg.ValueKind != JsonValueKind.Object || !seg.TryGetProperty("counts", out var counts) || !seg.TryGetProperty("size", out var size)
            || size.ValueKind != JsonValueKind.Array || size.GetArrayLength() != 2)
            throw new SharpSegException($"{path}: annotation {a.Id}: 'segmentation' is neither polygons nor an RLE {{size: [h, w], counts}}.");
        int h = size[0].GetInt32(), w = size[1].GetInt32();
        if (h != image.Height || w != image.Width)
            throw new SharpSegException($"{path}: annotation {a.Id}: its RLE is {w}x{h} but image '{image.FileName}' is {image.Width}x{image.Height}.");
        var rle = counts.ValueKind == JsonValueKind.String ? CocoRle.FromCompressedString(counts.GetString()!, h, w)
            : counts.ValueKind == JsonValueKind.Array ? new CocoRle(h, w, counts.EnumerateArray().Select(c => c.GetInt64()).ToArray())
            : throw new SharpSegException($"{path}: annotation {a.Id}: RLE counts are neither a string nor a list.");
        bool[] mask;
        try { mask = rle.Decode(); }
        catch (SharpSegException e) { throw new SharpSegException($"{path}: annotation {a.Id}: {e.Message}"); }
        for (int i = 0; i < mask.Length; i++) if (mask[i]) labels[i] = value;
    }

}
