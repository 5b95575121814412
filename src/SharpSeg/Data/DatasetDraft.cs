using System.Globalization;
using System.Text;
using SharpSeg.Imaging;

namespace SharpSeg.Data;

/// <summary>
/// A first dataset.yaml for a folder of images and a folder of masks (<c>sharpseg data init</c>): pairs files by stem
/// (detecting a mask prefix/suffix such as <c>_L</c>), detects the mask encoding (palette PNG, grayscale index, or
/// colour masks; RGB with R = G = B everywhere counts as index), and lists the values or colours present with their
/// pixel share. Class names are placeholders for the user to edit.
/// </summary>
public sealed class DatasetDraft
{
    /// <summary>Masks inspected by default (evenly spaced over the pairs) before the draft is written.</summary>
    public const int DefaultMaxMasks = 200;

    /// <summary>At most this many values/colours are drafted as classes.</summary>
    const int MaxListedLabels = LabelMask.MaxClasses;

    /// <summary>Colour masks with more distinct colours than this are treated as noisy (lossy compression).</summary>
    const int NoisyColorCount = 64;

    /// <summary>In noisy colour masks, a colour must cover this fraction of inspected pixels to be drafted as a class.</summary>
    const double MinClassColorShare = 0.002;

    DatasetDraft(string imagesDir, string masksDir, PairingRule pairing, int pairs, int imagesWithoutMask, int masksWithoutImage,
        int masksInspected, DraftMaskKind kind, int maxBitDepth, IReadOnlyList<DraftLabel> labels, long otherPixels, int otherLabels)
    {
        ImagesDir = imagesDir; MasksDir = masksDir; Pairing = pairing; Pairs = pairs; ImagesWithoutMask = imagesWithoutMask;
        MasksWithoutImage = masksWithoutImage; MasksInspected = masksInspected; MaskKind = kind; MaxBitDepth = maxBitDepth;
        Labels = labels; OtherPixels = otherPixels; OtherLabels = otherLabels;
    }

    /// <summary>Absolute images folder.</summary>
    public string ImagesDir { get; }
    /// <summary>Absolute masks folder.</summary>
    public string MasksDir { get; }
    /// <summary>The detected pairing (mask prefix/suffix).</summary>
    public PairingRule Pairing { get; }
    /// <summary>Image/mask pairs found.</summary>
    public int Pairs { get; }
    public int ImagesWithoutMask { get; }
    public int MasksWithoutImage { get; }
    /// <summary>Masks decoded to find the values (all pairs up to the limit, else an even sample).</summary>
    public int MasksInspected { get; }
    public DraftMaskKind MaskKind { get; }
    /// <summary>Largest bits per sample seen in mask files (8, or 16 for 16-bit gray masks).</summary>
    public int MaxBitDepth { get; }
    /// <summary>Values or colours found, in value order (index) or by pixel count (colours); at most 255.</summary>
    public IReadOnlyList<DraftLabel> Labels { get; }
    /// <summary>Pixels of colours not listed in <see cref="Labels"/> (rare colours in noisy colour masks, typically JPEG damage).</summary>
    public long OtherPixels { get; }
    /// <summary>How many distinct colours were not listed.</summary>
    public int OtherLabels { get; }

    /// <summary>
    /// The values that look like "ignore": 255 in an index mask that also has at least two other values (the VOC
    /// border convention). A mask with only 0 and 255 is two classes (e.g. background/foreground), not ignore.
    /// </summary>
    public IReadOnlyList<int> SuggestedIgnoreValues =>
        MaskKind != DraftMaskKind.RgbColors && Labels.Count >= 3 && Labels.Any(l => l.Value == 255) ? [255] : [];

    /// <summary>Inspects the folders. Errors (missing/empty folder, no pairs) are one-line <see cref="SharpSegException"/>s.</summary>
    public static DatasetDraft Inspect(string imagesDir, string masksDir, int maxMasks = DefaultMaxMasks)
    {
        if (maxMasks < 1) throw new SharpSegException($"the number of masks to inspect must be at least 1, got {maxMasks}.");
        imagesDir = Path.GetFullPath(imagesDir); masksDir = Path.GetFullPath(masksDir);
        var images = FilesIn(imagesDir, "images");
        var masks = FilesIn(masksDir, "masks");
        var imageByStem = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var i in images) imageByStem.TryAdd(Path.GetFileNameWithoutExtension(i), i);
        var maskByStem = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var m in masks) maskByStem.TryAdd(Path.GetFileNameWithoutExtension(m), m);

        var pairing = DetectPairing(imageByStem.Keys, maskByStem.Keys);
        var pairs = new List<(string Image, string Mask)>();
        foreach (var (stem, img) in imageByStem.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            if (maskByStem.TryGetValue(pairing.MaskStemFor(stem), out var m)) pairs.Add((img, m));
        if (pairs.Count == 0)
            throw new SharpSegException($"no image in '{imagesDir}' has a mask with the same file stem in '{masksDir}' (e.g. image '{Path.GetFileName(images[0])}', mask '{Path.GetFileName(masks[0])}'); rename the files so that stems match, or write dataset.yaml by hand with pairing: {{ mask_prefix, mask_suffix }}.");

        var sample = pairs.Count <= maxMasks ? pairs : Enumerable.Range(0, maxMasks).Select(i => pairs[(int)((long)i * pairs.Count / maxMasks)]).ToList();
        var valueCounts = new Dictionary<int, long>();
        var valueMasks = new Dictionary<int, int>();
        var palette = new Dictionary<int, Rgb>();
        bool anyPalette = false, anyColor = false;
        int maxDepth = 8;
        long totalPixels = 0;
        // Keys are gray values for index masks, packed RGB colours for colour masks; decided per file, merged below.
        var colorCounts = new Dictionary<int, long>();
        var colorMasks = new Dictionary<int, int>();
        var grayFiles = new List<Dictionary<int, long>>();
        foreach (var (_, maskPath) in sample)
        {
            var (kind, counts, pal, depth) = ReadLabels(maskPath);
            maxDepth = Math.Max(maxDepth, depth);
            totalPixels += counts.Values.Sum();
            if (kind == DraftMaskKind.RgbColors)
            {
                anyColor = true;
                foreach (var (c, n) in counts) { colorCounts[c] = colorCounts.GetValueOrDefault(c) + n; colorMasks[c] = colorMasks.GetValueOrDefault(c) + 1; }
            }
            else
            {
                if (kind == DraftMaskKind.PaletteIndex) { anyPalette = true; foreach (var (v, c) in pal!) palette.TryAdd(v, c); }
                grayFiles.Add(counts);
                foreach (var (v, n) in counts) { valueCounts[v] = valueCounts.GetValueOrDefault(v) + n; valueMasks[v] = valueMasks.GetValueOrDefault(v) + 1; }
            }
        }

        List<DraftLabel> labels;
        long otherPixels = 0; int otherLabels = 0;
        DraftMaskKind result;
        if (anyColor)
        {
            result = DraftMaskKind.RgbColors;
            // Gray-looking files in a colour dataset are colour masks whose pixels happen to be gray.
            foreach (var counts in grayFiles)
                foreach (var (v, n) in counts)
                {
                    int c = (v << 16) | (v << 8) | v;
                    colorCounts[c] = colorCounts.GetValueOrDefault(c) + n; colorMasks[c] = colorMasks.GetValueOrDefault(c) + 1;
                }
            var ordered = colorCounts.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key).ToArray();
            // Many distinct colours means compression noise (JPEG masks): keep the colours that cover a real share
            // of pixels as class candidates and count the rest as noise, for color_tolerance to absorb.
            int keep = ordered.Length <= NoisyColorCount ? ordered.Length
                : Math.Min(MaxListedLabels, Math.Max(1, ordered.Count(kv => kv.Value >= MinClassColorShare * totalPixels)));
            keep = Math.Min(keep, MaxListedLabels);
            labels = ordered.Take(keep).Select(kv => new DraftLabel(null, Rgb.FromPacked(kv.Key), kv.Value, kv.Value / (double)totalPixels, colorMasks[kv.Key])).ToList();
            otherLabels = ordered.Length - keep;
            otherPixels = ordered.Skip(keep).Sum(kv => kv.Value);
        }
        else
        {
            result = anyPalette ? DraftMaskKind.PaletteIndex : DraftMaskKind.GrayIndex;
            var ordered = valueCounts.OrderBy(kv => kv.Key).ToArray();
            if (ordered.Length > MaxListedLabels)
                throw new SharpSegException($"masks in '{masksDir}' hold {ordered.Length} distinct values; SharpSeg supports at most {LabelMask.MaxClasses} classes. If they are colour or depth images rather than class masks, check the --masks folder.");
            labels = ordered.Select(kv => new DraftLabel(kv.Key, palette.TryGetValue(kv.Key, out var c) ? c : null, kv.Value, kv.Value / (double)totalPixels, valueMasks[kv.Key])).ToList();
        }
        return new DatasetDraft(imagesDir, masksDir, pairing, pairs.Count, images.Length - pairs.Count, masks.Length - pairs.Count,
            sample.Count, result, maxDepth, labels, otherPixels, otherLabels);
    }

    static string[] FilesIn(string dir, string what)
    {
        if (!Directory.Exists(dir)) throw new SharpSegException($"{what} folder '{dir}' does not exist; check --{what}.");
        var files = Directory.EnumerateFiles(dir).Where(p => DatasetSpec.ImageExtensions.Contains(Path.GetExtension(p).ToLowerInvariant()))
            .OrderBy(p => p, StringComparer.Ordinal).ToArray();
        if (files.Length == 0) throw new SharpSegException($"{what} folder '{dir}' holds no image files ({string.Join(", ", DatasetSpec.ImageExtensions)}); check --{what}.");
        return files;
    }

    static PairingRule DetectPairing(ICollection<string> imageStems, ICollection<string> maskStems)
    {
        int same = maskStems.Count(imageStems.Contains);
        if (same * 2 >= Math.Min(imageStems.Count, maskStems.Count)) return PairingRule.SameStem;
        // Most common (prefix, suffix) that turns an image stem into a mask stem.
        var votes = new Dictionary<(string, string), int>();
        foreach (var m in maskStems.Take(500))
            foreach (var i in imageStems)
            {
                int at = m.IndexOf(i, StringComparison.Ordinal);
                if (at < 0 || i.Length == 0) continue;
                var key = (m[..at], m[(at + i.Length)..]);
                votes[key] = votes.GetValueOrDefault(key) + 1;
            }
        if (votes.Count == 0) return PairingRule.SameStem;
        var best = votes.OrderByDescending(kv => kv.Value).First();
        return best.Value > same ? new PairingRule(best.Key.Item1, best.Key.Item2) : PairingRule.SameStem;
    }

    static (DraftMaskKind Kind, Dictionary<int, long> Counts, Dictionary<int, Rgb>? Palette, int Depth) ReadLabels(string path)
    {
        var counts = new Dictionary<int, long>();
        if (PngCodec.IsPng(path))
        {
            var r = PngCodec.Decode(path);
            var s = r.Samples;
            int n = r.Width * r.Height;
            switch (r.ColorType)
            {
                case PngColorType.Palette:
                    for (int i = 0; i < n; i++) counts[s[i]] = counts.GetValueOrDefault(s[i]) + 1;
                    var pal = new Dictionary<int, Rgb>();
                    foreach (var v in counts.Keys) pal[v] = r.Palette![v];
                    return (DraftMaskKind.PaletteIndex, counts, pal, r.BitDepth);
                case PngColorType.Gray:
                case PngColorType.GrayAlpha:
                    int step = r.Channels;
                    for (int i = 0; i < n; i++) counts[s[step * i]] = counts.GetValueOrDefault(s[step * i]) + 1;
                    return (DraftMaskKind.GrayIndex, counts, null, r.BitDepth);
                default:
                    int ch = r.Channels, shift = r.BitDepth == 16 ? 8 : 0;
                    bool gray = true;
                    for (int i = 0; i < n && gray; i++) gray = s[ch * i] == s[ch * i + 1] && s[ch * i + 1] == s[ch * i + 2];
                    if (gray)
                    {
                        for (int i = 0; i < n; i++) counts[s[ch * i]] = counts.GetValueOrDefault(s[ch * i]) + 1;
                        return (DraftMaskKind.GrayIndex, counts, null, r.BitDepth);
                    }
                    for (int i = 0; i < n; i++)
                    {
                        int c = ((s[ch * i] >> shift) << 16) | ((s[ch * i + 1] >> shift) << 8) | (s[ch * i + 2] >> shift);
                        counts[c] = counts.GetValueOrDefault(c) + 1;
                    }
                    return (DraftMaskKind.RgbColors, counts, null, 8);
            }
        }
        var img = ImageFile.Load(path, 3);
        var p = img.Pixels;
        int count = img.Width * img.Height;
        bool isGray = true;
        for (int i = 0; i < count && isGray; i++) isGray = p[3 * i] == p[3 * i + 1] && p[3 * i + 1] == p[3 * i + 2];
        for (int i = 0; i < count; i++)
        {
            int key = isGray ? p[3 * i] : (p[3 * i] << 16) | (p[3 * i + 1] << 8) | p[3 * i + 2];
            counts[key] = counts.GetValueOrDefault(key) + 1;
        }
        return (isGray ? DraftMaskKind.GrayIndex : DraftMaskKind.RgbColors, counts, null, 8);
    }

    /// <summary>
    /// The draft dataset.yaml text for a file at <paramref name="yamlPath"/>: paths relative to that file's folder,
    /// comments that say what was inspected and what to edit.
    /// </summary>
    public string ToYaml(string yamlPath)
    {
        string yamlFolder = Path.GetDirectoryName(Path.GetFullPath(yamlPath))!;
        string common = CommonParent(ImagesDir, MasksDir);
        string root = RelativeOrAbsolute(yamlFolder, common);
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine($"# Draft written by 'sharpseg data init' on {DateTime.UtcNow:yyyy-MM-dd}. Edit it, then run 'sharpseg data check {Path.GetFileName(yamlPath)}'.");
        sb.AppendLine($"# Pairs: {Pairs} image/mask pairs found by file stem" + (ImagesWithoutMask > 0 ? $"; {ImagesWithoutMask} images have no mask" : "") + (MasksWithoutImage > 0 ? $"; {MasksWithoutImage} masks have no image" : "") + ((ImagesWithoutMask | MasksWithoutImage) > 0 ? " ('data check' lists them)." : "."));
        sb.AppendLine(MasksInspected < Pairs
            ? $"# Inspected {MasksInspected} of {Pairs} masks (evenly spaced) for speed: values that appear only in other masks are not listed; 'data check' finds them."
            : $"# Inspected all {MasksInspected} masks.");
        sb.AppendLine("# Masks: " + MaskKind switch
        {
            DraftMaskKind.PaletteIndex => $"palette PNGs; the palette index is the class value ({Labels.Count} values found). Colours below are the palette's.",
            DraftMaskKind.GrayIndex => $"{MaxBitDepth}-bit grayscale, one class value per pixel ({Labels.Count} values found).",
            _ => $"colour masks, one colour per class ({Labels.Count + OtherLabels} colours found).",
        });
        sb.AppendLine("# TO EDIT: 1) give each class its real name (class_N are placeholders); 2) a value/colour that means");
        sb.AppendLine("#   'ignore' (void, border, unlabelled) is not a class: remove it from classes and list it under mask.ignore_*;");
        sb.AppendLine("#   3) add a val split (copy the train line, or use 'list:' files); 4) image_channels: 1 for grayscale-only models.");
        sb.AppendLine($"name: {Quote(DatasetName(common))}");
        sb.AppendLine($"root: {Quote(root)}   # relative to this file's folder; --data-root overrides it");
        sb.AppendLine("splits:");
        sb.AppendLine($"  train: {{ images: {Quote(RelPath(common, ImagesDir))}, masks: {Quote(RelPath(common, MasksDir))} }}");
        if (Pairing != PairingRule.SameStem)
        {
            sb.AppendLine("pairing:   # image foo.png <-> mask {mask_prefix}foo{mask_suffix}.png");
            sb.AppendLine($"  mask_prefix: {Quote(Pairing.MaskPrefix)}");
            sb.AppendLine($"  mask_suffix: {Quote(Pairing.MaskSuffix)}");
        }
        sb.AppendLine("image_channels: 3");
        sb.AppendLine("mask:");
        if (MaskKind == DraftMaskKind.RgbColors)
        {
            sb.AppendLine("  encoding: rgb");
            sb.AppendLine("  ignore_colors: []");
            if (OtherLabels > 0)
                sb.AppendLine($"  color_tolerance: 12   # {OtherLabels} more rare colours ({100.0 * OtherPixels / (OtherPixels + Labels.Sum(l => l.Pixels)):0.###} % of pixels) look like JPEG noise; keep only the real class colours below");
            else
                sb.AppendLine("  color_tolerance: 0   # raise (e.g. 10) if masks were saved as JPEG");
        }
        else
        {
            sb.AppendLine("  encoding: index");
            var ignore = SuggestedIgnoreValues;
            string why = ignore.Count > 0 ? "   # 255 with several other values: usually the 'void'/border label (VOC); make it a class if it is one"
                : Labels.Count == 2 && Labels.Any(l => l.Value == 255) ? "   # 0/255 masks: both values are classes" : "";
            sb.AppendLine($"  ignore_values: [{string.Join(", ", ignore)}]{why}");
        }
        sb.AppendLine("classes:");
        int index = 0;
        foreach (var l in Labels)
        {
            if (l.Value is { } v && SuggestedIgnoreValues.Contains(v))
            {
                sb.AppendLine($"  # value {v} is in ignore_values: {100 * l.Share:0.##} % of inspected pixels, in {l.Masks} masks");
                continue;
            }
            string share = $"# {(100 * l.Share).ToString("0.###", inv)} % of inspected pixels, in {l.Masks} of {MasksInspected} masks";
            if (MaskKind == DraftMaskKind.RgbColors)
                sb.AppendLine($"  - {{ name: class_{index}, color: [{l.Color!.Value.R}, {l.Color.Value.G}, {l.Color.Value.B}] }}   {share}");
            else
            {
                string color = l.Color is { } c ? $", color: [{c.R}, {c.G}, {c.B}]" : "";
                sb.AppendLine($"  - {{ name: class_{l.Value}, value: {l.Value}{color} }}   {share}");
            }
            index++;
        }
        return sb.ToString();
    }

    /// <summary>Writes <see cref="ToYaml"/> to <paramref name="yamlPath"/> (atomically).</summary>
    public void Write(string yamlPath)
    {
        string text = ToYaml(yamlPath);
        IO.AtomicFile.WriteAllText(yamlPath, text);
    }

    static readonly string[] SplitFolderNames = ["train", "training", "val", "valid", "validation", "test", "testing", "data"];

    /// <summary>The dataset's folder name; above a split-named folder (train/, val/, ...) the parent's name.</summary>
    static string DatasetName(string folder)
    {
        var dir = new DirectoryInfo(folder);
        while (dir.Parent != null && SplitFolderNames.Contains(dir.Name.ToLowerInvariant())) dir = dir.Parent;
        return dir.Parent == null || dir.Name.Length == 0 ? "dataset" : dir.Name;
    }

    static string CommonParent(string a, string b)
    {
        var pa = a.TrimEnd(Path.DirectorySeparatorChar).Split(Path.DirectorySeparatorChar);
        var pb = b.TrimEnd(Path.DirectorySeparatorChar).Split(Path.DirectorySeparatorChar);
        int n = 0;
        while (n < pa.Length && n < pb.Length && pa[n] == pb[n]) n++;
        string joined = string.Join(Path.DirectorySeparatorChar, pa.Take(n));
        return joined.Length == 0 ? Path.GetPathRoot(a)! : joined;
    }

    // Relative when the two paths share more than the filesystem root; absolute otherwise (a relative path through / is fragile).
    static string RelativeOrAbsolute(string from, string to)
    {
        string common = CommonParent(from, to);
        return common == Path.GetPathRoot(from) ? to : RelPath(from, to);
    }

    static string RelPath(string from, string to)
    {
        string rel = Path.GetRelativePath(from, to).Replace(Path.DirectorySeparatorChar, '/');
        return rel;
    }

    static string Quote(string s) => "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
}
