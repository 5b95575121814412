using System.Text.Json;
using System.Text.Json.Serialization;
using SharpSeg.Imaging;

namespace SharpSeg.Inference;

/// <summary>
/// Writes one image's prediction into an output folder: <c>{stem}_mask.png</c> (8-bit class indices),
/// <c>{stem}_color.png</c> (class colours), <c>{stem}_overlay.png</c> (image blended with the colours),
/// <c>{stem}_summary.json</c> (size, tiles and the pixel share of every class, see <see cref="PredictionSummary"/>) and,
/// when the result carries probabilities, <c>{stem}_prob/{index}_{class}.png</c>: one 8-bit greyscale map per class
/// (0 = probability 0, 255 = probability 1).
/// </summary>
public sealed class PredictionWriter
{
    static readonly JsonSerializerOptions Json = new() { WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }; // class names as written (ü, 核), not \u escapes

    readonly string _outDirectory;
    readonly IReadOnlyList<Rgb> _colours;
    readonly IReadOnlyList<string> _classNames;
    readonly double _opacity;

    /// <param name="outDirectory">Folder to write into (created).</param>
    /// <param name="colours">Colour of each class, index order.</param>
    /// <param name="opacity">Colour weight in the overlay, 0..1.</param>
    /// <param name="classNames">Name of each class, index order (null: "class0", "class1", …).</param>
    public PredictionWriter(string outDirectory, IReadOnlyList<Rgb> colours, double opacity = 0.5, IReadOnlyList<string>? classNames = null)
    {
        if (opacity < 0 || opacity > 1) throw new SharpSegException($"--opacity {opacity}: must be between 0 and 1.");
        IO.OutputFolder.Create(outDirectory);
        _outDirectory = outDirectory; _colours = colours; _opacity = opacity;
        _classNames = classNames ?? Enumerable.Range(0, colours.Count).Select(i => $"class{i}").ToList();
    }

    /// <summary>Also writes each image's instances (<c>predict --instances</c>) with this writer; null = none.</summary>
    public Instances.InstanceWriter? Instances { get; init; }

    /// <summary>With <see cref="Instances"/>: find them with a mask-classification checkpoint's panoptic inference (these
    /// thresholds; <see cref="FolderPrediction"/> then runs <see cref="Predictor.InferPanoptic"/>) instead of cutting the
    /// predicted mask into connected components; null = connected components.</summary>
    public Models.MaskClassification.PanopticInferenceOptions? QueryInstances { get; init; }

    /// <summary>Writes <c>{stem}_mask.png</c> in a dataset's own mask encoding (its class values, colours or 0/255:
    /// <c>predict --masks-like DATASET.yaml</c>) instead of class indices; null = class indices.</summary>
    public Data.Masks.MaskEncoder? MaskEncoder { get; init; }

    /// <summary>Write the per-class probability maps when a result carries probabilities (false when they were kept
    /// only for the instances' mean confidences).</summary>
    public bool ProbabilityMaps { get; init; } = true;

    /// <summary>The folder the inputs were found in (<c>predict --recursive</c>): each image's outputs go into the same
    /// subfolder of the output folder as the image is in this one. Null: every output in the output folder itself.</summary>
    public string? InputRoot { get; init; }

    /// <summary>The output folder and file stem of an input image: <c>OUT/[subfolder/]stem</c>.</summary>
    string OutBase(string imagePath)
    {
        string stem = Path.GetFileNameWithoutExtension(imagePath);
        if (InputRoot == null) return Path.Combine(_outDirectory, stem);
        string sub = Path.GetRelativePath(InputRoot, Path.GetDirectoryName(Path.GetFullPath(imagePath))!);
        return sub == "." || sub.StartsWith("..", StringComparison.Ordinal) ? Path.Combine(_outDirectory, stem) : Path.Combine(_outDirectory, sub, stem);
    }

    /// <summary>
    /// Throws a one-line <see cref="SharpSegException"/> when two inputs would write the same output files (<c>a.png</c>
    /// and <c>a.jpg</c>; the same name in two subfolders without <see cref="InputRoot"/>), before anything is written:
    /// the second would overwrite the first's masks.
    /// </summary>
    public void RefuseCollisions(IReadOnlyList<string> imagePaths)
    {
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var path in imagePaths)
        {
            string key = OutBase(path);
            // Outputs among the inputs would replace a file of the same name (a ground-truth x_mask.png beside x.png),
            // and a later run over the folder would read them as images.
            if (string.Equals(Path.GetDirectoryName(Path.GetFullPath(key)), Path.GetDirectoryName(Path.GetFullPath(path)), StringComparison.Ordinal))
                throw new SharpSegException($"--out {Path.GetDirectoryName(key)} is the folder of the images ({Path.GetFileName(path)}): the outputs ({Path.GetFileName(key)}_mask.png, …) would sit among them and replace any file of that name, such as a ground-truth mask; choose another --out.");
            if (seen.TryGetValue(key, out var first))
                throw new SharpSegException($"{first} and {path} would both write {Path.GetFileName(key)}_mask.png (and the other outputs) in {Path.GetDirectoryName(key)}; rename one, or predict them into different --out folders{(InputRoot == null && Path.GetDirectoryName(first) != Path.GetDirectoryName(path) ? " (or read their folder with --recursive)" : "")}.");
            seen[key] = path;
        }
    }

    /// <summary>The files written for an input image path (the probability maps go into <c>{stem}_prob/</c>).</summary>
    public (string Mask, string Colour, string Overlay) PathsFor(string imagePath)
    {
        string b = OutBase(imagePath);
        return (b + "_mask.png", b + "_color.png", b + "_overlay.png");
    }

    /// <summary>Path of the JSON summary for an input image path.</summary>
    public string SummaryPathFor(string imagePath) => OutBase(imagePath) + "_summary.json";

    /// <summary>Folder of the per-class probability maps for an input image path.</summary>
    public string ProbabilityFolderFor(string imagePath) => OutBase(imagePath) + "_prob";

    /// <summary>Writes the mask, colour mask and overlay of a bare mask (no summary, no probabilities).</summary>
    public (string Mask, string Colour, string Overlay) Write(string imagePath, RgbImage image, LabelMask prediction)
    {
        var paths = PathsFor(imagePath);
        Directory.CreateDirectory(Path.GetDirectoryName(paths.Mask)!);
        if (MaskEncoder is { } encoder) encoder.Save(prediction, paths.Mask);
        else ImageFile.SaveMaskPng(prediction, paths.Mask);
        ImageFile.SavePng(MaskRenderer.ColourMask(prediction, _colours), paths.Colour);
        ImageFile.SavePng(MaskRenderer.Overlay(image, prediction, _colours, _opacity), paths.Overlay);
        return paths;
    }

    /// <summary>Writes everything for one inference result: mask, colour mask, overlay, the JSON summary, and the
    /// per-class probability maps when <see cref="InferenceResult.Probabilities"/> is set. Returns the summary.</summary>
    public PredictionSummary Write(string imagePath, RgbImage image, InferenceResult result) => Write(imagePath, image, result, null);

    /// <summary>Like <see cref="Write(string, RgbImage, InferenceResult)"/>; with <paramref name="panoptic"/> (a
    /// mask-classification model's panoptic output, <see cref="Predictor.InferPanoptic"/>) the <see cref="Instances"/> are
    /// its segments (<see cref="Instances.InstanceExtraction.FromSegments"/>) rather than connected components of the mask.</summary>
    public PredictionSummary Write(string imagePath, RgbImage image, InferenceResult result, Models.MaskClassification.PanopticResult? panoptic)
    {
        ArgumentNullException.ThrowIfNull(result);
        Write(imagePath, image, result.Mask);
        var summary = PredictionSummary.Of(Path.GetFileName(imagePath), result, _classNames);
        IO.AtomicFile.WriteAllText(SummaryPathFor(imagePath), JsonSerializer.Serialize(summary, Json) + "\n");
        if (Instances is { } instances)
        {
            if (panoptic is null) instances.Write(imagePath, result.Mask, result.Probabilities);
            else instances.Write(imagePath, SharpSeg.Instances.InstanceExtraction.FromSegments(panoptic.SegmentIds, panoptic.Width, panoptic.Height,
                [.. panoptic.Segments.Select(s => new SharpSeg.Instances.SegmentInfo(s.Id, s.ClassIndex, s.Score))], instances.Options, result.Probabilities));
        }
        if (ProbabilityMaps && result.Probabilities is { } probabilities) WriteProbabilityMaps(ProbabilityFolderFor(imagePath), probabilities, result.Mask.Width, result.Mask.Height, result.Classes);
        return summary;
    }

    /// <summary>Writes class-major probabilities <c>[C, H, W]</c> as one 8-bit greyscale PNG per class, named
    /// <c>{index}_{class}.png</c> (probability × 255, rounded).</summary>
    void WriteProbabilityMaps(string folder, float[] probabilities, int width, int height, int classes)
    {
        Directory.CreateDirectory(folder);
        long plane = (long)width * height;
        var pixels = new byte[plane];
        for (int c = 0; c < classes; c++)
        {
            var span = probabilities.AsSpan((int)(c * plane), (int)plane);
            for (int i = 0; i < span.Length; i++) pixels[i] = (byte)Math.Clamp(MathF.Round(span[i] * 255f), 0f, 255f);
            PngCodec.SaveGray8(Path.Combine(folder, $"{c}_{SafeName(c < _classNames.Count ? _classNames[c] : $"class{c}")}.png"), width, height, pixels);
        }
    }

    /// <summary>A class name usable in a file name: letters, digits, '-' and '_' kept, everything else '_'.</summary>
    internal static string SafeName(string name)
    {
        var chars = name.Select(ch => char.IsAsciiLetterOrDigit(ch) || ch is '-' or '_' ? ch : '_').ToArray();
        return chars.Length == 0 ? "class" : new string(chars);
    }
}
