using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SharpSeg.Data.Dataset;
using SharpSeg.Imaging;
using SharpSeg.IO;

namespace SharpSeg.Annotation;

/// <summary>How several annotators' masks are combined.</summary>
public enum FusionMethod
{
    /// <summary>Per-pixel (weighted) vote, <see cref="MajorityVote"/>.</summary>
    Majority,
    /// <summary>Multi-class STAPLE, <see cref="Annotation.Staple"/>.</summary>
    Staple,
}

/// <summary>What <see cref="MaskFusion.Run"/> fuses and how.</summary>
public sealed record FusionOptions
{
    public required AnnotatorMasks Masks { get; init; }
    public FusionMethod Method { get; init; } = FusionMethod.Staple;

    /// <summary>What majority-vote ties and pixels nobody labelled become: a class name, or null for ignore.</summary>
    public string? Tie { get; init; }

    /// <summary>Fused pixels whose confidence is below this become ignore (0: keep every pixel).</summary>
    public double MinConfidence { get; init; }

    /// <summary>One value per annotator (null: equal). Majority: vote weights. STAPLE: relative trust, mapped to the initial
    /// diagonal of the annotator's confusion matrix, 0.5 + 0.49 · w / max(w) (so the most trusted starts at ITK's 0.99).</summary>
    public IReadOnlyList<double>? Weights { get; init; }

    /// <summary>The output folder.</summary>
    public required string Out { get; init; }

    public static FusionMethod ParseMethod(string name) => name.Trim().ToLowerInvariant() switch
    {
        "majority" or "vote" => FusionMethod.Majority,
        "staple" => FusionMethod.Staple,
        _ => throw new SharpSegException($"--method '{name}' is not known: use majority or staple."),
    };
}

/// <summary>The outcome of a fusion run: where things were written and the numbers behind them.</summary>
public sealed record FusionResult(
    int Images, long Pixels, long IgnoredPixels, long BelowConfidence, LabelTuples Tuples, Staple? Staple,
    string MasksFolder, string ConfidenceFolder, string? DatasetYaml, string ReportJson, string? DatasetYamlSkipped);

/// <summary>
/// Fuses several annotators' masks of a dataset into one mask per image (<c>sharpseg masks fuse</c>): a first pass
/// counts every pixel's combination of labels (<see cref="LabelTuples"/>) and fits the rule (majority vote, or STAPLE
/// over the whole dataset, so each annotator gets one confusion matrix), a second writes per image the fused class
/// indices (<c>masks/SPLIT/STEM.png</c>, 255 = ignore), the confidence (<c>confidence/SPLIT/STEM.png</c>, 0-255 for
/// 0-1: STAPLE's posterior of the chosen class, or the winning share of the vote), a <c>dataset.yaml</c> over the
/// original images and the fused masks (train on it directly), and <c>fusion.json</c> with each annotator's estimated
/// confusion matrix, sensitivity and specificity per class.
/// </summary>
public static class MaskFusion
{
    public static FusionResult Run(FusionOptions o, IProgress<(int Done, int Total)>? progress = null, CancellationToken cancellationToken = default)
    {
        var masks = o.Masks;
        var spec = masks.Spec;
        int r = masks.Folders.Count, classes = masks.Classes;
        if (!(o.MinConfidence >= 0 && o.MinConfidence <= 1)) throw new SharpSegException($"--min-confidence {o.MinConfidence} must be in [0, 1].");
        byte tie = LabelMask.Ignore;
        if (o.Tie is { } tieName && !tieName.Equals("ignore", StringComparison.OrdinalIgnoreCase))
        {
            int k = spec.Classes.IndexOf(tieName);
            if (k < 0) throw new SharpSegException($"--tie '{tieName}' is not a class of {spec.SourcePath}; use ignore or one of: {string.Join(", ", spec.Classes.Names)}.");
            if (o.Method != FusionMethod.Majority) throw new SharpSegException("--tie applies to majority vote only (STAPLE has no ties: it takes the most probable class).");
            tie = (byte)k;
        }
        if (o.Weights is { } w && (w.Count != r || w.Any(x => !(x > 0) || double.IsInfinity(x))))
            throw new SharpSegException($"--weights needs {r} positive numbers, one per annotator in the order of --annotators; got {string.Join(",", w)}.");

        // Pass 1: the label combinations of every pixel.
        var tuples = new LabelTuples(r, classes);
        int total = masks.Images.Count;
        for (int i = 0; i < total; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            tuples.AddImage(masks.Read(masks.Images[i]));
            progress?.Report((i + 1, 2 * total));
        }
        Staple? staple = null;
        IFusionRule rule;
        if (o.Method == FusionMethod.Staple)
        {
            double[]? trust = o.Weights is { } weights ? weights.Select(x => 0.5 + 0.49 * x / weights.Max()).ToArray() : null;
            rule = staple = Staple.Fit(tuples, trust);
        }
        else rule = new MajorityVote(r, classes, o.Weights, tie);
        var cache = new Dictionary<ulong, (byte Label, double Confidence)>();
        foreach (var key in tuples.Counts.Keys) cache[key] = rule.Fuse(key);

        // Pass 2: fused masks and confidences.
        string outDir = Path.GetFullPath(o.Out), masksDir = Path.Combine(outDir, "masks"), confDir = Path.Combine(outDir, "confidence");
        long pixels = 0, ignored = 0, below = 0;
        var lines = new Dictionary<string, List<string>>();
        for (int i = 0; i < total; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var image = masks.Images[i];
            var read = masks.Read(image);
            var first = read.First(m => m != null)!;
            var keys = LabelTuples.Keys(read, classes);
            var fused = new byte[keys.Length];
            var confidence = new byte[keys.Length];
            ulong lastKey = 0; (byte Label, double Confidence) last = default; bool haveLast = false;
            for (int p = 0; p < keys.Length; p++)
            {
                if (!haveLast || keys[p] != lastKey) { last = cache[keys[p]]; lastKey = keys[p]; haveLast = true; }
                var (label, conf) = last;
                if (label != LabelMask.Ignore && conf < o.MinConfidence) { label = LabelMask.Ignore; below++; }
                if (label == LabelMask.Ignore) ignored++;
                fused[p] = label;
                confidence[p] = (byte)Math.Round(255 * conf);
            }
            pixels += keys.Length;
            string stem = Path.GetFileNameWithoutExtension(image.ImagePath);
            string maskPath = Path.Combine(masksDir, image.Split, stem + ".png");
            Directory.CreateDirectory(Path.GetDirectoryName(maskPath)!);
            PngCodec.SaveGray8(maskPath, first.Width, first.Height, fused);
            string confPath = Path.Combine(confDir, image.Split, stem + ".png");
            Directory.CreateDirectory(Path.GetDirectoryName(confPath)!);
            PngCodec.SaveGray8(confPath, first.Width, first.Height, confidence);
            if (!lines.TryGetValue(image.Split, out var list)) lines[image.Split] = list = [];
            list.Add($"{image.ImagePath} {maskPath}");
            progress?.Report((total + i + 1, 2 * total));
        }

        string report = Path.Combine(outDir, "fusion.json");
        AtomicFile.WriteAllText(report, Describe(o, masks, tuples, staple, pixels, ignored, below).ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        string? yaml = null, skipped = null;
        var spaced = lines.Values.SelectMany(l => l).FirstOrDefault(l => l.Count(char.IsWhiteSpace) > 1);
        if (spaced != null) skipped = $"no dataset.yaml written: a path has a space, which list files cannot hold ({spaced.Split(' ')[0]}); the fused masks are in {masksDir}.";
        else yaml = WriteDataset(spec, outDir, lines);
        return new FusionResult(total, pixels, ignored, below, tuples, staple, masksDir, confDir, yaml, report, skipped);
    }

    static string WriteDataset(DatasetSpec spec, string outDir, Dictionary<string, List<string>> lines)
    {
        static string Q(string s) => Configuration.YamlText.Quote(s);
        var sb = new StringBuilder();
        sb.Append($"# Written by sharpseg masks fuse from {spec.SourcePath}: the original images with the fused masks\n");
        sb.Append("# (class indices, 255 = ignore: ties, unlabelled or low-confidence pixels).\n");
        sb.Append($"name: {Q(spec.Name + "-fused")}\nroot: .\nsplits:\n");
        foreach (var (split, list) in lines)
        {
            string file = $"{split}.txt";
            AtomicFile.WriteAllText(Path.Combine(outDir, file), "# image_path mask_path\n" + string.Join("\n", list) + "\n");
            sb.Append($"  {Q(split)}: {{ list: {Q(file)} }}\n");
        }
        sb.Append($"image_channels: {spec.ImageChannels}\n");
        if (spec.ImageRange is { } range) sb.Append($"image_range: {range}\n");
        sb.Append("mask:\n  encoding: index\n  ignore_values: [255]\nclasses:\n");
        foreach (var c in spec.Classes.Classes) sb.Append($"  - {{ name: {Q(c.Name)}, color: [{c.Color.R}, {c.Color.G}, {c.Color.B}] }}\n");
        string path = Path.Combine(outDir, "dataset.yaml");
        AtomicFile.WriteAllText(path, sb.ToString());
        DatasetSpec.Load(path).ResolvePairs(lines.Keys.First()); // what was written must load
        return path;
    }

    static JsonObject Describe(FusionOptions o, AnnotatorMasks masks, LabelTuples tuples, Staple? staple, long pixels, long ignored, long below)
    {
        var names = masks.Names;
        var classNames = masks.Spec.Classes.Names;
        var annotators = new JsonArray();
        for (int j = 0; j < masks.Folders.Count; j++)
        {
            long labelled = tuples.Counts.Where(e => LabelTuples.Label(e.Key, j) != LabelMask.Ignore).Sum(e => e.Value);
            var a = new JsonObject
            {
                ["name"] = names[j], ["folder"] = masks.Folders[j],
                ["images"] = masks.Images.Count(i => i.MaskPaths[j] != null), ["labelled_pixels"] = labelled,
                ["unmatched_masks"] = masks.UnmatchedMasks[j],
            };
            if (staple != null)
            {
                a["sensitivity"] = new JsonObject(classNames.Select((n, k) => KeyValuePair.Create(n, (JsonNode?)Num(staple.Sensitivity(j, k)))));
                a["specificity"] = new JsonObject(classNames.Select((n, k) => KeyValuePair.Create(n, (JsonNode?)Num(staple.Specificity(j, k)))));
                a["confusion"] = new JsonArray(Enumerable.Range(0, tuples.Classes).Select(l =>
                    (JsonNode?)new JsonArray(Enumerable.Range(0, tuples.Classes).Select(k => (JsonNode?)Num(staple.Confusion[j][l, k])).ToArray())).ToArray());
            }
            annotators.Add(a);
        }
        var json = new JsonObject
        {
            ["method"] = o.Method.ToString().ToLowerInvariant(), ["dataset"] = masks.Spec.SourcePath, ["classes"] = new JsonArray(classNames.Select(n => (JsonNode?)n).ToArray()),
            ["images"] = masks.Images.Count, ["pixels"] = pixels, ["ignored_pixels"] = ignored, ["below_min_confidence"] = below,
            ["min_confidence"] = o.MinConfidence, ["tie"] = o.Tie ?? "ignore",
            ["weights"] = o.Weights is { } w ? new JsonArray(w.Select(x => (JsonNode?)x).ToArray()) : null,
            ["disputed_share"] = Num(AgreementStatistics.DisputedShare(tuples)),
            ["annotators"] = annotators,
        };
        if (staple != null)
        {
            json["staple"] = new JsonObject
            {
                ["iterations"] = staple.Iterations, ["converged"] = staple.Converged,
                ["prior"] = new JsonArray(staple.Prior.Select(p => (JsonNode?)Num(p)).ToArray()),
                ["estimated_class_shares"] = new JsonArray(staple.TruthShare.Select(p => (JsonNode?)Num(p)).ToArray()),
                ["confusion_layout"] = "confusion[l][k] = P(annotator says class l | the truth is class k)",
            };
        }
        return json;
    }

    static JsonNode? Num(double v) => double.IsFinite(v) ? JsonValue.Create(Math.Round(v, 6)) : null;
}
