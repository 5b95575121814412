using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using SharpSeg.Imaging;

namespace SharpSeg.Instances;

/// <summary>The files <see cref="InstanceWriter.Finish"/> wrote over the whole folder.</summary>
public sealed record InstanceFolderFiles(string SummaryCsv, string PanopticJson, string CocoJson, int Images, int Instances, IReadOnlyList<InstanceWriter.ClassSummary> Classes);

/// <summary>
/// Writes the instance outputs of many images into one folder. Per image (stem = the image's name without extension):
/// <c>{stem}_instances.json</c> (every <see cref="Instance"/> with its RLE and polygon),
/// <c>{stem}_instances.png</c> (16-bit gray, instance id per pixel, 0 = none) and <c>{stem}_panoptic.png</c> (COCO
/// panoptic RGB ids). <see cref="Finish"/> adds, over all images written: <c>instances_summary.csv</c> (per class:
/// instances, images with any, total, median and mean area), <c>panoptic.json</c> (COCO panoptic: images, annotations
/// with segments_info, categories with isthing) and <c>instances_coco.json</c> (COCO detection: images, annotations
/// with RLE segmentation and bbox, categories). COCO category ids are class index + 1.
/// </summary>
public sealed class InstanceWriter
{
    static readonly JsonSerializerOptions Json = new() { WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    static readonly JsonSerializerOptions Compact = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    readonly string _out;
    readonly ResolvedInstanceOptions _options;
    readonly List<List<long>> _areas;
    readonly int[] _imagesWith;
    readonly List<object> _images = [], _panopticAnnotations = [], _cocoAnnotations = [];
    int _instances;

    public InstanceWriter(string outDirectory, ResolvedInstanceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        IO.OutputFolder.Create(outDirectory);
        _out = outDirectory; _options = options;
        _areas = Enumerable.Range(0, options.Classes.Count).Select(_ => new List<long>()).ToList();
        _imagesWith = new int[options.Classes.Count];
    }

    public string OutDirectory => _out;

    /// <summary>Per-image output paths for an image or mask path.</summary>
    public (string Json, string InstancePng, string PanopticPng) PathsFor(string imagePath)
    {
        string stem = Path.GetFileNameWithoutExtension(imagePath);
        return (Path.Combine(_out, stem + "_instances.json"), Path.Combine(_out, stem + "_instances.png"), Path.Combine(_out, stem + "_panoptic.png"));
    }

    /// <summary>Extracts the instances of one mask, writes its files and records it for <see cref="Finish"/>.</summary>
    /// <param name="imagePath">The image (or mask) the mask belongs to; names the outputs.</param>
    /// <param name="probabilities">Class-major probabilities for mean confidences, or null.</param>
    public ImageInstances Write(string imagePath, LabelMask mask, float[]? probabilities = null)
    {
        ArgumentNullException.ThrowIfNull(mask);
        return Write(imagePath, InstanceExtraction.Extract(mask, _options, probabilities));
    }

    /// <summary>The options instances are cut and classified with (thing and stuff classes, minimum area, …).</summary>
    public ResolvedInstanceOptions Options => _options;

    /// <summary>Writes the files of instances found elsewhere (e.g. <see cref="InstanceExtraction.FromSegments"/> from a
    /// mask-classification model's panoptic output, made with <see cref="Options"/>) and records them for <see cref="Finish"/>.</summary>
    public ImageInstances Write(string imagePath, ImageInstances result)
    {
        ArgumentNullException.ThrowIfNull(result);
        string name = Path.GetFileName(imagePath);
        var mask = (Width: result.Width, Height: result.Height);
        var idRaster = InstanceExtraction.InstanceIdRaster(result.Components, name);
        var paths = PathsFor(imagePath);
        var o = _options.Options;
        var doc = new
        {
            image = name,
            width = mask.Width,
            height = mask.Height,
            instances_from = result.Method,
            connectivity = (int)o.Connectivity,
            min_area = o.MinArea,
            fill_holes = o.FillHoles,
            instances = result.Instances,
            stuff = result.Stuff.Select(s => new { segment_id = s.SegmentId, @class = s.ClassName, class_index = s.ClassIndex, area = s.Area, bbox = s.BoundingBox }),
        };
        IO.AtomicFile.WriteAllText(paths.Json, JsonSerializer.Serialize(doc, Json) + "\n");
        PngCodec.Save(idRaster, paths.InstancePng);
        PngCodec.Save(PanopticPng.Encode(result.PanopticIds, mask.Width, mask.Height), paths.PanopticPng);

        int imageId = _images.Count + 1;
        _images.Add(new { id = imageId, file_name = name, width = mask.Width, height = mask.Height });
        var segments = result.Instances.Select(i => (object)new { id = i.Id, category_id = i.ClassIndex + 1, area = i.Area, bbox = i.BoundingBox, iscrowd = 0 })
            .Concat(result.Stuff.Select(s => (object)new { id = s.SegmentId, category_id = s.ClassIndex + 1, area = s.Area, bbox = s.BoundingBox, iscrowd = 0 }))
            .ToList();
        _panopticAnnotations.Add(new { image_id = imageId, file_name = Path.GetFileName(paths.PanopticPng), segments_info = segments });
        foreach (var i in result.Instances)
        {
            _cocoAnnotations.Add(new
            {
                id = _instances + 1,
                image_id = imageId,
                category_id = i.ClassIndex + 1,
                segmentation = i.Rle,
                area = i.Area,
                bbox = i.BoundingBox,
                iscrowd = 0,
                score = i.Score ?? i.MeanConfidence,
            });
            _instances++;
            _areas[i.ClassIndex].Add(i.Area);
        }
        foreach (int c in result.Instances.Select(i => i.ClassIndex).Distinct()) _imagesWith[c]++;
        return result;
    }

    /// <summary>Writes the folder-wide files (summary CSV, panoptic JSON, COCO instances JSON).</summary>
    public InstanceFolderFiles Finish()
    {
        var inv = CultureInfo.InvariantCulture;
        var csv = new StringBuilder("class,class_index,instances,images_with_instances,total_area,median_area,mean_area\n");
        var summary = Summary();
        foreach (var row in summary)
            csv.Append(inv, $"{CsvField(row.ClassName)},{row.ClassIndex},{row.Instances},{row.ImagesWithInstances},{row.TotalArea},{Number(row.MedianArea)},{Number(row.MeanArea)}\n");
        string summaryPath = Path.Combine(_out, "instances_summary.csv");
        IO.AtomicFile.WriteAllText(summaryPath, csv.ToString());
        var categories = Enumerable.Range(0, _options.Classes.Count).Where(c => _options.Things[c] || _options.Stuff[c])
            .Select(c => new { id = c + 1, name = _options.Classes[c].Name, isthing = _options.Things[c] ? 1 : 0, color = new[] { _options.Classes[c].Color.R, _options.Classes[c].Color.G, _options.Classes[c].Color.B } })
            .ToList();
        string panopticPath = Path.Combine(_out, "panoptic.json");
        IO.AtomicFile.WriteAllText(panopticPath, JsonSerializer.Serialize(new { images = _images, annotations = _panopticAnnotations, categories }, Compact) + "\n");
        string cocoPath = Path.Combine(_out, "instances_coco.json");
        IO.AtomicFile.WriteAllText(cocoPath, JsonSerializer.Serialize(new
        {
            images = _images,
            annotations = _cocoAnnotations,
            categories = categories.Where(c => c.isthing == 1).Select(c => new { c.id, c.name }),
        }, Compact) + "\n");
        return new InstanceFolderFiles(summaryPath, panopticPath, cocoPath, _images.Count, _instances, summary);
    }

    /// <summary>One row of the per-class summary.</summary>
    public sealed record ClassSummary(int ClassIndex, string ClassName, int Instances, int ImagesWithInstances, long TotalArea, double? MedianArea, double? MeanArea);

    /// <summary>Per thing class, over the images written so far: count, images with any, total, median and mean area.</summary>
    public IReadOnlyList<ClassSummary> Summary()
    {
        var rows = new List<ClassSummary>();
        for (int c = 0; c < _options.Classes.Count; c++)
        {
            if (!_options.Things[c]) continue;
            var a = _areas[c];
            if (a.Count == 0 && !_options.ListEmptyClasses) continue;
            rows.Add(new ClassSummary(c, _options.Classes[c].Name, a.Count, _imagesWith[c], a.Sum(), Median(a), a.Count == 0 ? null : a.Average()));
        }
        return rows;
    }

    static double? Median(List<long> values)
    {
        if (values.Count == 0) return null;
        var s = values.Order().ToArray();
        int m = s.Length / 2;
        return s.Length % 2 == 1 ? s[m] : (s[m - 1] + s[m]) / 2.0;
    }

    static string Number(double? v) => v is double d ? d.ToString("0.###", CultureInfo.InvariantCulture) : "";

    static string CsvField(string s) => s.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;
}
