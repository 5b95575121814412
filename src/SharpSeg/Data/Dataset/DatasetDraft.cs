using System.Globalization;
using System.Text;
using SharpSeg.Imaging;
using SharpSeg.Data.Masks;

namespace SharpSeg.Data.Dataset;

/// <summary>
/// A first dataset.yaml for a folder of images and a folder of masks (<c>sharpseg data init</c>): pairs files by stem
/// (detecting a mask prefix/suffix such as <c>_L</c>), detects the mask encoding (palette PNG, grayscale index, or
/// colour masks; RGB with R = G = B everywhere counts as index), and lists the values or colours present with their
/// pixel share. Classes are named from a class list where one fits (<c>DatasetDraft.ClassNaming.cs</c>), else with
/// placeholders for the user to edit.
/// </summary>
public sealed partial class DatasetDraft
{
    /// <summary>Masks inspected by default (evenly spaced over the pairs) before the draft is written.</summary>
    public const int DefaultMaxMasks = 200;

    /// <summary>At most this many values/colours are drafted as classes.</summary>
    const int MaxListedLabels = LabelMask.MaxClasses;

    /// <summary>Colour masks with more distinct colours than this are treated as noisy (lossy compression).</summary>
    const int NoisyColorCount = 64;

    /// <summary>In noisy colour masks, colours this close (largest channel difference) to a more frequent one are its
    /// compression noise, not a class.</summary>
    const int NoiseRadius = 40;

    static bool Grayish(Rgb c) => Math.Max(c.R, Math.Max(c.G, c.B)) - Math.Min(c.R, Math.Min(c.G, c.B)) <= 24;

    static int Luma(int packed) { var c = Rgb.FromPacked(packed); return MaskDecoder.Luma(c.R, c.G, c.B); }

    /// <summary>In noisy colour masks, a colour's cluster must cover this fraction of inspected pixels to be drafted as a class.</summary>
    const double MinClassColorShare = 0.0005;

    /// <summary>In noisy colour masks, a class colour's cluster has at least this share of its pixels inside a region of
    /// the cluster (all four neighbours in it too). The colours JPEG leaves along an edge between two classes, or rings
    /// around it, form bands one or two pixels wide: on JPEG CamVid masks at two qualities at most 0.1 % of their pixels
    /// are inside, against 43–95 % for the 12 class colours, Pole included.</summary>
    const double MinInteriorShare = 0.1;

    /// <summary>In noisy colour masks, at least this share of the pixels must be within 4 levels of a drafted class colour.
    /// Measured on 6 CamVid train frames (2026-12-07): 74–85 % for their colour masks saved as JPEG at quality 30–90,
    /// 22–32 % for renderings that blend the image with the class colours, 16 % for the photos themselves.</summary>
    const double MinPixelsAtClassColours = 0.55;

    /// <summary>
    /// The class colours of noisy (lossy-compressed) colour masks, with their pixels and masks: seeds are the colours, most
    /// frequent first, farther than <see cref="NoiseRadius"/> from every earlier seed; every colour joins its nearest
    /// seed within that radius; a seed is a class when its cluster covers <see cref="MinClassColorShare"/> of the pixels
    /// and has regions, not only edge bands (<see cref="MinInteriorShare"/>, read from <paramref name="maskPaths"/>).
    /// Judging clusters, not exact colours, keeps thin classes whose pixels JPEG scatters over many near colours
    /// (CamVid's Pole: 0.07 % of the pixels exactly, 1.2 % clustered).
    /// </summary>
    static List<(int Colour, long Pixels, int Masks)> NoisyClusters(KeyValuePair<int, long>[] ordered, Dictionary<int, int> colourMasks, long counted, IEnumerable<string> maskPaths)
    {
        const int MaxSeeds = 4096;
        var seeds = new List<Rgb>();
        foreach (var (colour, _) in ordered)
        {
            var c = Rgb.FromPacked(colour);
            if (!seeds.Exists(s => s.MaxChannelDistance(c) <= NoiseRadius)) seeds.Add(c);
            if (seeds.Count == MaxSeeds) break;
        }
        var pixels = new long[seeds.Count];
        var masks = new int[seeds.Count];
        var clusterOf = new Dictionary<int, int>(ordered.Length);
        foreach (var (colour, n) in ordered)
        {
            var c = Rgb.FromPacked(colour);
            int best = -1, bestDistance = int.MaxValue;
            for (int j = 0; j < seeds.Count; j++)
            {
                int d = seeds[j].MaxChannelDistance(c);
                if (d < bestDistance) { bestDistance = d; best = j; }
            }
            if (bestDistance > NoiseRadius) { clusterOf[colour] = -1; continue; }
            clusterOf[colour] = best;
            pixels[best] += n;
            masks[best] = Math.Max(masks[best], colourMasks[colour]);
        }
        // Pixels whose four neighbours are in their cluster: a region's inside, which edge bands do not have.
        var interior = new long[seeds.Count];
        foreach (var path in maskPaths)
        {
            var (w, h, packed, _) = MaskDecoder.ReadPackedColors(path);
            var cluster = new int[packed.Length];
            for (int i = 0; i < packed.Length; i++) cluster[i] = clusterOf.GetValueOrDefault(packed[i], -1);
            for (int y = 1; y < h - 1; y++)
                for (int x = 1, i = y * w + 1; x < w - 1; x++, i++)
                {
                    int l = cluster[i];
                    if (l >= 0 && cluster[i - 1] == l && cluster[i + 1] == l && cluster[i - w] == l && cluster[i + w] == l) interior[l]++;
                }
        }
        var kept = Enumerable.Range(0, seeds.Count)
            .Where(j => pixels[j] >= MinClassColorShare * counted && interior[j] >= MinInteriorShare * pixels[j])
            .OrderByDescending(j => pixels[j]).ThenBy(j => seeds[j].Packed).Take(MaxListedLabels)
            .Select(j => (seeds[j].Packed, pixels[j], masks[j])).ToList();
        // Always at least one class: the most frequent colour's.
        return kept.Count > 0 ? kept : [(ordered[0].Key, pixels[0], masks[0])];
    }

    /// <summary>Gray masks with at least this many distinct values may be soft-edged binary masks (see <see cref="DraftMaskKind.GrayThreshold"/>).</summary>
    const int SoftBinaryMinValues = 8;

    /// <summary>In soft-edged binary masks, the two peaks (±2 values) hold at least this share of the pixels.</summary>
    const double SoftBinaryPeakShare = 0.9;

    /// <summary>The drafted <c>mask.color_tolerance</c> for noisy colour masks (0: exact colours).</summary>
    public int ColorTolerance { get; private init; }

    /// <summary>Whether the images and masks were found in subfolders (the draft says <c>recursive: true</c>).</summary>
    public bool Recursive { get; private set; }

    /// <summary>Other mask kinds found beside each image's mask (e.g. Cityscapes' <c>_gtFine_color</c> and
    /// <c>_gtFine_instanceIds</c> beside <c>_gtFine_labelIds</c>), as mask suffixes or prefixes, best first; the draft
    /// names them so that the user can pick another.</summary>
    public IReadOnlyList<PairingRule> OtherMaskKinds { get; private set; } = [];

    /// <summary>Images and masks left out because their names do not match the detected pairing's prefixes/suffixes.</summary>
    public int FilesOfOtherKinds { get; private set; }

    /// <summary>The raw values the inspected 16-bit images use (<see cref="IntensityRange.Measure"/>), or null when none
    /// is 16-bit. The draft writes it as <c>image_range</c> when it is narrow (under <see cref="IntensityRange.NarrowSpan"/>).</summary>
    public IntensityRange? ImageRange { get; private set; }

    /// <summary>How many of the inspected images store more than 8 bits per sample.</summary>
    public int DeepImages { get; private set; }

    /// <summary>
    /// Split id lists found beside the folders, Pascal VOC's way (<c>ImageSets/Segmentation/train.txt</c>, <c>val.txt</c>
    /// under the folders' common parent): the split name and the file's absolute path. The draft writes one split per
    /// list with <c>ids:</c> (trainval only when train and val are not both there); empty when there are none.
    /// </summary>
    public IReadOnlyList<(string Split, string Path)> IdLists { get; private set; } = [];

    /// <summary>Folder, under the images' and masks' common parent, where Pascal VOC keeps its segmentation id lists.</summary>
    public static readonly string IdListFolder = Path.Combine("ImageSets", "Segmentation");

    /// <summary>Most images decoded to measure <see cref="ImageRange"/> (evenly spaced over the pairs).</summary>
    public const int MaxRangeImages = 32;

    DatasetDraft(string imagesDir, string masksDir, PairingRule pairing, int pairs, int imagesWithoutMask, int masksWithoutImage,
        int masksInspected, DraftMaskKind kind, int maxBitDepth, IReadOnlyList<DraftLabel> labels, long otherPixels, int otherLabels,
        IReadOnlyList<DraftMaskNote> differing, MaskEncoding? threshold, long bandPixels, int distinctValues)
    {
        ImagesDir = imagesDir; MasksDir = masksDir; Pairing = pairing; Pairs = pairs; ImagesWithoutMask = imagesWithoutMask;
        MasksWithoutImage = masksWithoutImage; MasksInspected = masksInspected; MaskKind = kind; MaxBitDepth = maxBitDepth;
        Labels = labels; OtherPixels = otherPixels; OtherLabels = otherLabels; DifferingMasks = differing; ThresholdEncoding = threshold;
        BandPixels = bandPixels; DistinctValues = distinctValues;
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
    /// <summary>A folder beside the images named as region-of-interest masks (fov, roi, mask) with a file for (nearly)
    /// every paired image, named as the image plus a suffix (DRIVE's <c>mask/21_training_mask.gif</c>): the draft
    /// suggests it as <c>roi</c>, commented out. Null when there is none.</summary>
    public (string Folder, string Suffix)? RoiFolder { get; private set; }

    static readonly string[] RoiFolderNames = ["fov", "roi", "mask", "masks", "fov_masks", "fovmasks", "roi_masks", "field_of_view"];

    static (string, string)? FindRoiFolder(string imagesDir, string masksDir, IReadOnlyList<string> pairedStems)
    {
        if (pairedStems.Count == 0 || Path.GetDirectoryName(imagesDir) is not { } parent) return null;
        foreach (var dir in Directory.EnumerateDirectories(parent).Order(StringComparer.Ordinal))
        {
            if (dir == imagesDir || dir == masksDir || !RoiFolderNames.Contains(Path.GetFileName(dir).ToLowerInvariant())) continue;
            var stems = ImageFolder.List(dir).Select(f => Path.GetFileNameWithoutExtension(f)).ToHashSet(StringComparer.Ordinal);
            string first = pairedStems[0];
            foreach (var suffix in stems.Where(t => t.StartsWith(first, StringComparison.Ordinal)).Select(t => t[first.Length..]).Order(StringComparer.Ordinal))
                if (pairedStems.Count(st => stems.Contains(st + suffix)) * 10 >= pairedStems.Count * 9) return (dir, suffix);
        }
        return null;
    }

    /// <summary>Files in the images folder without a mask, named as a paired image plus a suffix (<c>x_mask_1.png</c>,
    /// <c>x_superpixels.png</c> beside <c>x.png</c>): extra files of that image, not counted in <see cref="ImagesWithoutMask"/>.</summary>
    public IReadOnlyList<string> ExtraFiles { get; private set; } = [];
    /// <summary>Mask files of unpaired images in a format SharpSeg does not read (<c>x.npz</c> beside <c>x.png</c>'s
    /// missing mask): those images have a mask, just not one SharpSeg can use.</summary>
    public IReadOnlyList<string> UnreadableMasks { get; private set; } = [];
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
    /// Inspected masks whose encoding differs from the rest (e.g. one RGB colour mask among 8-bit index masks, or 2-bit
    /// palette PNGs among RGB colour masks), with what the draft does with them; empty when all agree.
    /// </summary>
    public IReadOnlyList<DraftMaskNote> DifferingMasks { get; }

    /// <summary>For <see cref="DraftMaskKind.GrayThreshold"/>: the drafted threshold and ignore band; null otherwise.</summary>
    public MaskEncoding? ThresholdEncoding { get; }

    /// <summary>For <see cref="DraftMaskKind.GrayThreshold"/>: inspected pixels inside the ignore band.</summary>
    public long BandPixels { get; }

    /// <summary>Distinct gray values in the inspected index masks (for <see cref="DraftMaskKind.GrayThreshold"/> many more than <see cref="Labels"/>).</summary>
    public int DistinctValues { get; }

    /// <summary>
    /// The values that look like "ignore": 255 in an index mask that also has at least two other values (the VOC
    /// border convention). A mask with only 0 and 255 is two classes (e.g. background/foreground), not ignore.
    /// </summary>
    public IReadOnlyList<int> SuggestedIgnoreValues =>
        MaskKind != DraftMaskKind.RgbColors && Labels.Count >= 3 && Labels.Any(l => l.Value == 255) && !ScaledForVisibility && OthersLookLikeIndices ? [255] : [];

    /// <summary>Whether the values are a class index scaled to fill 0..255 (0, 128, 255 for three classes; 0, 85, 170,
    /// 255 for four), as masks saved "to be seen" are: 255 is then the last class, not VOC's void.</summary>
    public bool ScaledForVisibility
    {
        get
        {
            if (MaskKind == DraftMaskKind.RgbColors || Labels.Count < 3) return false;
            var v = Labels.Select(l => l.Value ?? -1).Order().ToList();
            int n = v.Count;
            return v[0] == 0 && v[^1] == 255 && Enumerable.Range(0, n).All(i => Math.Abs(v[i] - i * 255.0 / (n - 1)) <= 1.5);
        }
    }

    /// <summary>Whether the values besides 255 look like class indices beside VOC's void: small (below 64, as VOC's
    /// 0..20 and Cityscapes' train ids), or dense (COCO-stuff's 0..181), rather than a few values spread over 0..255.</summary>
    bool OthersLookLikeIndices
    {
        get
        {
            var others = Labels.Where(l => l.Value is not (null or 255)).Select(l => l.Value!.Value).ToList();
            return others.Count > 0 && (others.Max() < 64 || others.Max() <= 2 * others.Count + 8);
        }
    }

    /// <summary>Inspects the folders. Errors (missing/empty folder, no pairs) are one-line <see cref="SharpSegException"/>s.</summary>
    /// <param name="classes">The class names to draft (<c>data init --classes</c>); it must fit the masks. Null: a class
    /// list found beside the masks (<see cref="ClassList.Find"/>) names them where it fits.</param>
    /// <param name="masksDir">The masks folder; null for masks beside their images (Roboflow's x.jpg and x_mask.png).</param>
    public static DatasetDraft Inspect(string imagesDir, string? masksDir, int maxMasks = DefaultMaxMasks, ClassList? classes = null)
    {
        if (maxMasks < 1) throw new SharpSegException($"the number of masks to inspect must be at least 1, got {maxMasks}.");
        bool beside = masksDir == null;
        imagesDir = Path.GetFullPath(imagesDir); masksDir = Path.GetFullPath(masksDir ?? imagesDir);
        // Images or masks only in subfolders (Cityscapes' one folder per city): read the folders recursively and pair
        // within the same relative subfolder.
        bool recursive = InSubfoldersOnly(imagesDir) || InSubfoldersOnly(masksDir);
        var images = FilesIn(imagesDir, "images", recursive);
        var masks = FilesIn(masksDir, "masks", recursive);
        var imageByKey = KeyedByRelativeStem(imagesDir, images);
        var maskByKey = KeyedByRelativeStem(masksDir, masks);

        // Images and masks in one folder (img_001.png beside img_001_mask.png): every file pairs with itself by stem, so
        // the rule must tell them apart.
        bool sameFolder = string.Equals(imagesDir, masksDir, StringComparison.Ordinal);
        // x.png beside x.npy (or x.tif): image and mask by the same name in one folder. Pairing is by name without the
        // extension, so no rule tells them apart (a guessed one paired unrelated frames in a new-user audit).
        if (sameFolder && images.GroupBy(f => Path.ChangeExtension(f, null), StringComparer.Ordinal).Where(g => g.Count() > 1).ToList() is { Count: > 0 } twins
            && twins.Count * 4 >= images.Length)
        {
            var exts = twins[0].Select(f => Path.GetExtension(f).ToLowerInvariant()).ToList();
            string maskExt = new[] { ".npy", ".tif", ".tiff", ".png", ".bmp" }.FirstOrDefault(exts.Contains) ?? exts[^1];
            throw new SharpSegException($"'{imagesDir}' holds images and masks by the same name ({string.Join(" and ", twins[0].Select(Path.GetFileName))}, and {twins.Count - 1} more such pairs); SharpSeg pairs files by name without the extension, so move the masks (likely the {maskExt} files) into a folder of their own and give it with --masks DIR.");
        }
        var (pairing, otherMaskKinds) = DetectPairing(imageByKey.Keys, maskByKey.Keys, sameFolder);
        if (beside && (pairing == PairingRule.SameStem || Preference(pairing) <= 0))
            throw new SharpSegException($"no masks beside the images in '{imagesDir}' (such as x_mask.png for x.jpg); give the masks folder with --masks DIR"
                + (MaskFolderNear(imagesDir) is { } near ? $", e.g. --masks {near}." : "."));
        if (sameFolder && pairing == PairingRule.SameStem)
            throw new SharpSegException($"'{imagesDir}' is both the images and the masks folder, and no file name rule tells a mask from its image (such as img_001.png and img_001_mask.png); put the masks in their own folder, or write dataset.yaml by hand with pairing: {{ mask_suffix: ... }}.");
        var pairs = new List<(string Image, string Mask)>();
        foreach (var (key, img) in imageByKey.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            var (sub, stem) = SplitKey(key);
            if (pairing.KeyOfImage(stem) is { } k && maskByKey.TryGetValue(sub + pairing.MaskStemFor(k), out var m)) pairs.Add((img, m));
        }
        if (pairs.Count == 0 && LooksLikeClassMasks(imageByKey.Keys, maskByKey.Keys))
            throw new SharpSegException($"'{masksDir}' holds one binary mask per class (a folder per class or per image), not one mask per image; merge them with 'sharpseg data from-class-masks {masksDir} --images {imagesDir} --out DIR', which writes the masks and the dataset.yaml (docs/DATASETS.md).");
        if (pairs.Count == 0)
            throw new SharpSegException($"no image in '{imagesDir}' has a mask with the same file stem in '{masksDir}' (e.g. image '{Path.GetFileName(images[0])}', mask '{Path.GetFileName(masks[0])}'); rename the files so that stems match, or write dataset.yaml by hand with pairing: {{ image_prefix, image_suffix, mask_prefix, mask_suffix }}.");
        int masksOfOtherKinds = pairing.FiltersMasks ? maskByKey.Keys.Count(k => pairing.KeyOfMask(SplitKey(k).Stem) == null) : 0;
        int imagesOfOtherKinds = pairing.FiltersImages ? imageByKey.Keys.Count(k => pairing.KeyOfImage(SplitKey(k).Stem) == null) : 0;
        int imagesWithoutMask = images.Length - imagesOfOtherKinds - pairs.Count, masksWithoutImage = masks.Length - masksOfOtherKinds - pairs.Count;
        if (sameFolder)
        {
            // One folder of both (Roboflow's x.jpg beside x_mask.png): the files named as masks are the masks, the others
            // the images, as DatasetSpec lists them; neither is an "other mask kind".
            int maskFiles = maskByKey.Keys.Count(k => pairing.KeyOfMask(SplitKey(k).Stem) != null);
            imagesOfOtherKinds = pairing.FiltersImages ? imageByKey.Keys.Count(k => pairing.KeyOfImage(SplitKey(k).Stem) == null && pairing.KeyOfMask(SplitKey(k).Stem) == null) : 0;
            imagesWithoutMask = images.Length - maskFiles - imagesOfOtherKinds - pairs.Count;
            masksWithoutImage = maskFiles - pairs.Count;
            masksOfOtherKinds = 0;
        }

        var sample = pairs.Count <= maxMasks ? pairs : Enumerable.Range(0, maxMasks).Select(i => pairs[(int)((long)i * pairs.Count / maxMasks)]).ToList();
        var files = sample.Select(p => ReadLabels(p.Mask)).ToList();
        // Gray masks saved as JPEG: compression scatters each class value over its neighbours. Values spread over 0..255
        // (0, 128, 255) can be read back as the nearest class colour, as JPEG colour masks are; small class indices
        // (0, 1, 2) cannot, since the noise is as large as the gap between them.
        var grayJpegs = files.Where(f => f.Kind == DraftMaskKind.GrayIndex && f.Depth == 8 && f.Palette == null && ImageFile.IsJpeg(f.Path)).ToList();
        if (grayJpegs.Count > 0)
        {
            var jpegValues = grayJpegs.SelectMany(f => f.Counts).GroupBy(kv => kv.Key).Select(g => new KeyValuePair<int, long>(g.Key, g.Sum(kv => kv.Value))).OrderBy(kv => kv.Key).ToArray();
            long jpegPixels = jpegValues.Sum(kv => kv.Value);
            if (jpegValues.Length > SoftBinaryMinValues && SoftBinary(jpegValues, jpegPixels) == null)
            {
                var major = jpegValues.Where(kv => kv.Value >= 0.01 * jpegPixels).Select(kv => kv.Key).ToList();
                if (major.Count > 1 && major.Max() < NoiseRadius)
                    throw new SharpSegException($"masks in '{masksDir}' are JPEG files (e.g. {Path.GetFileName(grayJpegs[0].Path)}) holding small class values ({ValueList(major)}), which JPEG compression has changed ({jpegValues.Length} values found): they cannot be read back exactly; re-export the masks as PNG.");
                files = files.Select(f => grayJpegs.Contains(f) ? f with { Kind = DraftMaskKind.RgbColors, Counts = f.AsColours(), Encoding = f.Encoding + ", JPEG" } : f).ToList();
            }
        }
        var depth = new IntensityRange.Histogram();
        foreach (var (image, _) in sample.Count <= MaxRangeImages ? sample : Enumerable.Range(0, MaxRangeImages).Select(i => sample[i * sample.Count / MaxRangeImages]))
            if (IntensityRange.MayBeDeep(image)) depth.Add(ImageFile.ReadRaw(image, intensities: true)!);
        var idLists = FindIdLists(imagesDir, masksDir, pairs.Select(p => Path.GetFileNameWithoutExtension(p.Image)));
        // Images whose mask is there in a format SharpSeg does not read (.npz, .mat): not images without a mask.
        var pairedImages = pairs.Select(p => p.Image).ToHashSet(StringComparer.Ordinal);
        var unreadableMasks = new List<string>();
        foreach (var (key, img) in imageByKey)
        {
            if (pairedImages.Contains(img)) continue;
            var (sub, stem) = SplitKey(key);
            if (pairing.KeyOfImage(stem) is not { } k) continue;
            if (DatasetSpec.UnreadableMaskFile(Path.Combine(masksDir, sub), pairing.MaskStemFor(k)) is { } other) unreadableMasks.Add(other);
        }
        // Unpaired images named as a paired one plus a suffix (BUSI's x_mask_1 beside x_mask, ISIC's x_superpixels): extra
        // files of that image, not images without a mask (to which mask.missing would be offered).
        var pairedKeys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (key, img) in imageByKey) if (pairedImages.Contains(img)) pairedKeys.Add(key);
        var extraFiles = imageByKey.Where(kv => !pairedImages.Contains(kv.Value) && (!sameFolder || pairing.KeyOfMask(SplitKey(kv.Key).Stem) == null)
            && DatasetSpec.ExtendsKey(kv.Key, pairedKeys.Contains) != null).Select(kv => kv.Value).Order(StringComparer.Ordinal).ToList();
        imagesWithoutMask -= extraFiles.Count;
        DatasetDraft Finish(DatasetDraft draft)
        {
            draft.PairKeys = imageByKey.Where(kv => pairedImages.Contains(kv.Value)).Select(kv => SplitKey(kv.Key) is var (sub, stem) ? sub + pairing.KeyOfImage(stem) : kv.Key)
                .Order(StringComparer.Ordinal).ToList();
            draft.ExtraFiles = extraFiles;
            draft.IdLists = idLists;
            draft.RoiFolder = recursive ? null : FindRoiFolder(imagesDir, masksDir, pairs.Select(p => Path.GetFileNameWithoutExtension(p.Image)).ToList());
            draft.UnreadableMasks = unreadableMasks;
            draft.Recursive = recursive; draft.OtherMaskKinds = otherMaskKinds; draft.FilesOfOtherKinds = imagesOfOtherKinds + masksOfOtherKinds;
            draft.ImageRange = depth.Range(); draft.DeepImages = depth.Images;
            var datasetFolders = DatasetFolders(IO.FolderPaths.CommonParent(imagesDir, masksDir));
            draft.NameClasses(classes, [masksDir, imagesDir, .. datasetFolders,
                .. draft.SplitsFromFolders.Where(f => f.Split == "train").SelectMany(f => new[] { f.Masks ?? f.Images, f.Images })],
                Path.GetDirectoryName(datasetFolders[^1]) is { } above ? [above] : []);
            return draft;
        }

        int maxDepth = Math.Max(8, files.Max(f => f.Depth));
        long totalPixels = files.Sum(f => f.Pixels);
        var colourFiles = files.Where(f => f.Kind == DraftMaskKind.RgbColors).ToList();
        var paletteFiles = files.Where(f => f.Kind == DraftMaskKind.PaletteIndex).ToList();
        var grayFiles = files.Where(f => f.Kind == DraftMaskKind.GrayIndex).ToList();
        var differing = new List<DraftMaskNote>();

        // A dataset is colour-coded when colour masks (with palette PNGs read as their palette colours) are at least as
        // many as the gray masks that look like class indices (small values, as (k, k, k) they are not colours seen).
        if (colourFiles.Count > 0)
        {
            var known = new HashSet<int>(colourFiles.SelectMany(f => f.Counts.Keys).Concat(paletteFiles.SelectMany(f => f.AsColours().Keys)));
            var strayGray = grayFiles.Where(f => f.Counts.Keys.All(v => v < 32 || v == 255) && !f.AsColours().Keys.All(known.Contains)).ToList();
            if (strayGray.Count <= colourFiles.Count + paletteFiles.Count)
            {
                var colourCounts = new Dictionary<int, long>();
                var colourMasks = new Dictionary<int, int>();
                foreach (var f in files.Except(strayGray))
                    foreach (var (c, n) in f.AsColours()) { colourCounts[c] = colourCounts.GetValueOrDefault(c) + n; colourMasks[c] = colourMasks.GetValueOrDefault(c) + 1; }
                long counted = colourCounts.Values.Sum();
                var ordered = colourCounts.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key).ToArray();
                // Many distinct colours means compression noise (JPEG masks): cluster the colours around the class
                // colours (NoisyClusters) and count the rest as noise, for color_tolerance and unmatched: ignore.
                bool noisy = ordered.Length > NoisyColorCount || (ordered.Length > SoftBinaryMinValues && colourFiles.Any(f => ImageFile.IsJpeg(f.Path)));
                var kept = noisy ? NoisyClusters(ordered, colourMasks, counted, files.Except(strayGray).Select(f => f.Path))
                    : ordered.Take(MaxListedLabels).Select(kv => (Colour: kv.Key, Pixels: kv.Value, Masks: colourMasks[kv.Key])).ToList();
                long keptPixels = kept.Sum(k => k.Pixels);
                if (noisy)
                {
                    // Class masks, even as JPEG, keep most pixels within a few levels of their class colour; pictures
                    // (renderings, overlays, photos) do not (MinPixelsAtClassColours).
                    var seeds = kept.Select(k => Rgb.FromPacked(k.Colour)).ToList();
                    long atSeeds = ordered.Where(kv => seeds.Exists(c => c.MaxChannelDistance(Rgb.FromPacked(kv.Key)) <= 4)).Sum(kv => kv.Value);
                    if (atSeeds < MinPixelsAtClassColours * counted)
                        throw new SharpSegException($"'{masksDir}' does not hold class masks: its files (e.g. {colourFiles[0].Path}) have {ordered.Length} colours, and only {100.0 * atSeeds / Math.Max(1, counted):0.#} % of their pixels have one of the {kept.Count} most common (class masks, even saved as JPEG, have most of theirs); they look like pictures (renderings, overlays, photos). Give the folder of the masks that hold one value or colour per class (e.g. masks_machine, SegmentationClass).");
                }
                // Two gray-looking colours far apart in brightness: a black-and-white mask saved as a colour JPEG
                // (Kvasir-SEG, ISIC): split it by brightness, as soft-edged gray masks are.
                if (noisy && kept.Count == 2 && kept.All(k => Grayish(Rgb.FromPacked(k.Colour))) && strayGray.Count == 0 && paletteFiles.Count == 0)
                {
                    var (dark, bright) = Luma(kept[0].Colour) < Luma(kept[1].Colour) ? (kept[0], kept[1]) : (kept[1], kept[0]);
                    int low = Luma(dark.Colour), high = Luma(bright.Colour), quarter = (high - low + 2) / 4;
                    if (high - low >= 96)
                    {
                        var encoding = new MaskEncoding(MaskEncodingKind.Threshold, [], [], 0) { Threshold = (low + high + 1) / 2, IgnoreBand = (low + quarter, high - quarter) };
                        long below = ordered.Where(kv => Luma(kv.Key) < low + quarter).Sum(kv => kv.Value), above = ordered.Where(kv => Luma(kv.Key) > high - quarter).Sum(kv => kv.Value);
                        var bw = new List<DraftLabel> { new(low, null, below, below / (double)totalPixels, dark.Masks), new(high, null, above, above / (double)totalPixels, bright.Masks) };
                        return Finish(new DatasetDraft(imagesDir, masksDir, pairing, pairs.Count, imagesWithoutMask, masksWithoutImage,
                            sample.Count, DraftMaskKind.GrayThreshold, maxDepth, bw, 0, 0, differing, encoding, totalPixels - below - above, ordered.Select(kv => Luma(kv.Key)).Distinct().Count()));
                    }
                }
                // The tolerance that reads each noisy pixel as the nearest class colour: half the distance between the two
                // closest class colours, within 12..64.
                int minGap = kept.SelectMany((a, i) => kept.Skip(i + 1).Select(b => Rgb.FromPacked(a.Colour).MaxChannelDistance(Rgb.FromPacked(b.Colour)))).DefaultIfEmpty(255).Min();
                int tolerance = Math.Clamp(minGap / 2 - 1, 12, 64);
                var colourLabels = kept.Select(k => new DraftLabel(null, Rgb.FromPacked(k.Colour), k.Pixels, k.Pixels / (double)totalPixels, k.Masks)).ToList();
                // The minority of colour and palette files differs from the rest, but decodes to the same colours.
                var minority = paletteFiles.Count <= colourFiles.Count ? paletteFiles : colourFiles;
                differing.AddRange(minority.Select(f => new DraftMaskNote(f.Path, f.Encoding, true,
                    f.Kind == DraftMaskKind.PaletteIndex ? "read as its palette colours, as 'data check' decodes it" : "its colours are drafted with the palette colours")));
                differing.AddRange(strayGray.Select(f => new DraftMaskNote(f.Path, f.Encoding, false,
                    $"gray values {ValueList(f.Counts.Keys)} are not class colours: 'data check' reports it; re-export it as a colour mask")));
                return Finish(new DatasetDraft(imagesDir, masksDir, pairing, pairs.Count, imagesWithoutMask, masksWithoutImage,
                    sample.Count, DraftMaskKind.RgbColors, maxDepth, colourLabels, counted - keptPixels, ordered.Length - kept.Count,
                    differing, null, 0, 0) { ColorTolerance = noisy ? tolerance : 0 });
            }
            // Index masks are the majority: the colour masks are the odd ones, left out of the draft.
            differing.AddRange(colourFiles.Select(f => new DraftMaskNote(f.Path, f.Encoding, false,
                $"{f.Counts.Count} colours in a dataset of index masks: 'data check' reports it; re-export it as an index mask")));
            totalPixels = files.Except(colourFiles).Sum(f => f.Pixels);
        }

        var valueCounts = new Dictionary<int, long>();
        var valueMasks = new Dictionary<int, int>();
        var palette = new Dictionary<int, Rgb>();
        KeyValuePair<int, long>[] CountValues()
        {
            valueCounts.Clear(); valueMasks.Clear();
            foreach (var f in files.Where(f => f.Kind != DraftMaskKind.RgbColors))
            {
                foreach (var (v, n) in f.Counts) { valueCounts[v] = valueCounts.GetValueOrDefault(v) + n; valueMasks[v] = valueMasks.GetValueOrDefault(v) + 1; }
                if (f.Palette != null) foreach (var (v, c) in f.Palette) palette.TryAdd(v, c);
            }
            return valueCounts.OrderBy(kv => kv.Key).ToArray();
        }
        var values = CountValues();
        if (paletteFiles.Count == 0 && maxDepth == 8 && SoftBinary(values, totalPixels) is { } soft)
        {
            var (low, high, encoding) = soft;
            // Read by brightness, a float .npy of only 0.0 and 1.0 is 0/255 (NpyCodec), not the classes 0 and 1: count the
            // float files as 'data check' and training will read them.
            var floatFiles = files.Where(f => f.Kind == DraftMaskKind.GrayIndex && NpyCodec.HoldsFloats(f.Path)).ToHashSet();
            if (floatFiles.Count > 0)
            {
                files = files.Select(f => floatFiles.Contains(f) ? ReadLabels(f.Path, intensities: true) : f).ToList();
                values = CountValues();
            }
            long below = values.Where(kv => kv.Key < encoding.Threshold && !InBand(kv.Key, encoding)).Sum(kv => kv.Value);
            long above = values.Where(kv => kv.Key >= encoding.Threshold && !InBand(kv.Key, encoding)).Sum(kv => kv.Value);
            long band = totalPixels - below - above;
            int Masks(Func<int, bool> side) => files.Count(f => f.Kind != DraftMaskKind.RgbColors && f.Counts.Keys.Any(side));
            var two = new List<DraftLabel>
            {
                new(low, null, below, below / (double)totalPixels, Masks(v => v < encoding.Threshold && !InBand(v, encoding))),
                new(high, null, above, above / (double)totalPixels, Masks(v => v >= encoding.Threshold && !InBand(v, encoding))),
            };
            return Finish(new DatasetDraft(imagesDir, masksDir, pairing, pairs.Count, imagesWithoutMask, masksWithoutImage,
                sample.Count, DraftMaskKind.GrayThreshold, maxDepth, two, 0, 0, differing, encoding, band, values.Length));
        }
        // Cityscapes' instanceIds (and masks like them): class × 1000 + instance, so each car is its own value.
        var instanceLike = values.Where(kv => kv.Key >= 1000).ToList();
        if (instanceLike.GroupBy(kv => kv.Key / 1000).Any(g => g.Count() > 1) && instanceLike.Sum(kv => kv.Value) >= 0.001 * totalPixels)
            throw new SharpSegException($"masks in '{masksDir}' hold values like {ValueList(instanceLike.Select(kv => kv.Key).Take(4))}: a class × 1000 plus an instance number (Cityscapes' instanceIds), so every object would be a class of its own; give the masks of class ids (Cityscapes' *_gtFine_labelIds.png beside them).");
        if (values.Length > MaxListedLabels)
            throw new SharpSegException($"masks in '{masksDir}' hold {values.Length} distinct values; SharpSeg supports at most {LabelMask.MaxClasses} classes. If they are colour or depth images rather than class masks, check the --masks folder; binary masks with soft edges can use mask.encoding: threshold (docs/DATASETS.md).");
        var labels = values.Select(kv => new DraftLabel(kv.Key, palette.TryGetValue(kv.Key, out var c) ? c : null, kv.Value, kv.Value / (double)totalPixels, valueMasks[kv.Key])).ToList();
        return Finish(new DatasetDraft(imagesDir, masksDir, pairing, pairs.Count, imagesWithoutMask, masksWithoutImage,
            sample.Count, paletteFiles.Count > 0 ? DraftMaskKind.PaletteIndex : DraftMaskKind.GrayIndex, maxDepth, labels, 0, 0, differing, null, 0, values.Length));
    }

    static bool InBand(int v, MaskEncoding e) => e.IgnoreBand is var (lo, hi) && v >= lo && v <= hi;

    /// <summary>
    /// Binary masks whose edges were anti-aliased or resized bilinearly: many gray values, but most pixels at a dark and
    /// a bright peak. Returns the two peaks and a threshold halfway between them with the middle half of the range
    /// between the peaks as the ignore band (64..192 for 0/255), or null when the histogram is not two-peaked.
    /// </summary>
    static (int Low, int High, MaskEncoding Encoding)? SoftBinary(KeyValuePair<int, long>[] values, long total)
    {
        if (values.Length < SoftBinaryMinValues || total == 0) return null;
        var dark = values.Where(kv => kv.Key < 128).DefaultIfEmpty().MaxBy(kv => kv.Value);
        var bright = values.Where(kv => kv.Key >= 128).DefaultIfEmpty().MaxBy(kv => kv.Value);
        if (dark.Value == 0 || bright.Value == 0) return null;
        long atPeaks = values.Where(kv => Math.Abs(kv.Key - dark.Key) <= 2 || Math.Abs(kv.Key - bright.Key) <= 2).Sum(kv => kv.Value);
        if (atPeaks < SoftBinaryPeakShare * total) return null;
        // A soft edge lies between the two peaks; pixels well beyond them are a third class (0, 128, 255 as JPEG).
        if (values.Where(kv => kv.Key < dark.Key - 8 || kv.Key > bright.Key + 8).Sum(kv => kv.Value) >= 0.005 * total) return null;
        int low = dark.Key, high = bright.Key, quarter = (high - low + 2) / 4;
        var encoding = new MaskEncoding(MaskEncodingKind.Threshold, [], [], 0) { Threshold = (low + high + 1) / 2, IgnoreBand = (low + quarter, high - quarter) };
        return (low, high, encoding);
    }

    static string[] FilesIn(string dir, string what, bool recursive)
    {
        if (!Directory.Exists(dir)) throw new SharpSegException($"{what} folder '{dir}' does not exist; check --{what}.");
        var files = ImageFolder.List(dir, recursive).ToArray();
        if (files.Length == 0) throw new SharpSegException($"{what} folder '{dir}' holds no image files ({ImageFolder.ExtensionList}){(recursive ? " in it or its subfolders" : "")}; check --{what}.");
        return files;
    }

    static bool InSubfoldersOnly(string dir) =>
        Directory.Exists(dir) && ImageFolder.List(dir).Count == 0 && ImageFolder.List(dir, recursive: true).Count > 0;

    /// <summary>Files by "subfolder/stem" (just the stem at the top), the key <see cref="DatasetSpec"/> pairs by.</summary>

    /// <summary>Whether masks whose keys are <c>folder/stem</c> are per-class binary masks of the images: a folder per
    /// class (<c>crack/x</c> for image <c>x</c>) or a folder per image (<c>x/crack</c>) (<see cref="Import.ClassMaskImport"/>).</summary>
    internal static bool LooksLikeClassMasks(IEnumerable<string> imageKeys, IEnumerable<string> maskKeys)
    {
        var images = imageKeys.ToHashSet(StringComparer.Ordinal);
        var inFolders = maskKeys.Where(k => k.Contains('/')).Select(k => (Folder: k[..k.IndexOf('/')], Inner: k[(k.IndexOf('/') + 1)..])).ToList();
        if (inFolders.Count == 0) return false;
        bool perClass = inFolders.All(m => images.Contains(m.Inner));
        bool perImage = inFolders.All(m => images.Contains(m.Folder) && !m.Inner.Contains('/'));
        return perClass || perImage;
    }
    static Dictionary<string, string> KeyedByRelativeStem(string dir, string[] files)
    {
        var byKey = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var f in files) byKey.TryAdd(DatasetSpec.RelativeKey(dir, f, Path.GetFileNameWithoutExtension(f)), f);
        return byKey;
    }

    /// <summary>"city/stem" → ("city/", "stem").</summary>
    static (string Sub, string Stem) SplitKey(string key)
    {
        int slash = key.LastIndexOf('/');
        return (key[..(slash + 1)], key[(slash + 1)..]);
    }

    /// <summary>
    /// The pairing rule that pairs most images with a mask: the same stem; a mask stem that contains the image stem
    /// (<c>foo</c> ↔ <c>foo_L</c>, <c>mask_foo</c>); or image and mask stems that share a key and differ in prefix or
    /// suffix (<c>x_leftImg8bit</c> ↔ <c>x_gtFine_labelIds</c>, <c>img_001</c> ↔ <c>mask_001</c>). Where several mask
    /// kinds sit beside each image, the one whose name says label/class/mask/gt is taken over colour renderings and
    /// instance maps; the others are returned for the draft to name.
    /// </summary>
    static (PairingRule Rule, IReadOnlyList<PairingRule> Others) DetectPairing(ICollection<string> imageKeys, ICollection<string> maskKeys, bool sameFolder = false)
    {
        var imageSet = imageKeys.ToHashSet(StringComparer.Ordinal);
        // In one folder every stem is "shared" with itself: only a rule with an affix can pair anything.
        int same = sameFolder ? 0 : maskKeys.Count(imageSet.Contains);
        if (!sameFolder && same * 2 >= Math.Min(imageKeys.Count, maskKeys.Count)) return (PairingRule.SameStem, []);
        var votes = new Dictionary<PairingRule, int>();
        var masksBySub = maskKeys.Select(SplitKey).GroupBy(k => k.Sub)
            .ToDictionary(g => g.Key, g => (Stems: g.Select(k => k.Stem).Order(StringComparer.Ordinal).ToArray(),
                                           Reversed: g.Select(k => Reverse(k.Stem)).Order(StringComparer.Ordinal).ToArray()));
        foreach (var (sub, stem) in imageKeys.Take(300).Select(SplitKey))
        {
            if (!masksBySub.TryGetValue(sub, out var m)) continue;
            var rules = new HashSet<PairingRule>();
            // A mask stem that contains the image stem.
            foreach (var ms in NearestByPrefix(m.Stems, stem, out _).Concat(NearestByPrefix(m.Reversed, Reverse(stem), out _).Select(Reverse)))
            {
                int at = ms.IndexOf(stem, StringComparison.Ordinal);
                if (at >= 0 && stem.Length > 0) rules.Add(new PairingRule(ms[..at], ms[(at + stem.Length)..]));
            }
            // A shared key with different suffixes (longest common prefix) or prefixes (longest common suffix).
            foreach (var ms in NearestByPrefix(m.Stems, stem, out int lcp))
                if (CommonKey(stem[..lcp], trimEnd: true) is { } key && (key.Length * 10 >= stem.Length * 3 || NumberKey(key, stem, ms)))
                    rules.Add(new PairingRule("", ms[key.Length..], "", stem[key.Length..]));
            foreach (var rs in NearestByPrefix(m.Reversed, Reverse(stem), out int lcs))
            {
                string ms = Reverse(rs);
                if (CommonKey(stem[^lcs..], trimEnd: false) is { } key && key.Length * 10 >= stem.Length * 3)
                    rules.Add(new PairingRule(ms[..^key.Length], "", stem[..^key.Length], ""));
            }
            foreach (var r in rules) votes[r] = votes.GetValueOrDefault(r) + 1;
        }
        var ranked = votes.Where(kv => kv.Key != PairingRule.SameStem && kv.Value > same)
            .OrderByDescending(kv => kv.Value).ThenByDescending(kv => Preference(kv.Key)).ThenBy(kv => kv.Key.MaskPrefix + kv.Key.MaskSuffix, StringComparer.Ordinal).ToList();
        if (ranked.Count == 0) return (PairingRule.SameStem, []);
        var best = ranked[0].Key;
        int top = ranked[0].Value;
        // Several mask kinds per image tie in votes: take the one whose name says it is the label map.
        var tied = ranked.TakeWhile(kv => kv.Value == top).Select(kv => kv.Key)
            .Where(r => r.ImagePrefix == best.ImagePrefix && r.ImageSuffix == best.ImageSuffix).OrderByDescending(Preference).ToList();
        best = tied[0];
        var others = ranked.Select(kv => kv.Key).Where(r => r != best && r.ImagePrefix == best.ImagePrefix && r.ImageSuffix == best.ImageSuffix
            && votes[r] * 2 >= top).ToList();
        return (best, others);
    }

    static string Reverse(string s) { var a = s.ToCharArray(); Array.Reverse(a); return new string(a); }

    /// <summary>The entries of sorted <paramref name="sorted"/> that share the longest prefix with <paramref name="s"/>
    /// (at least one character), found around its insertion point; <paramref name="length"/> is that prefix's length.</summary>
    static List<string> NearestByPrefix(string[] sorted, string s, out int length)
    {
        int pos = Array.BinarySearch(sorted, s, StringComparer.Ordinal);
        if (pos < 0) pos = ~pos;
        length = 0;
        var best = new List<string>();
        for (int j = Math.Max(0, pos - 16); j < Math.Min(sorted.Length, pos + 16); j++)
        {
            if (sorted[j] == s) continue;
            int n = 0, max = Math.Min(s.Length, sorted[j].Length);
            while (n < max && s[n] == sorted[j][n]) n++;
            if (n == 0 || n < length) continue;
            if (n > length) { best.Clear(); length = n; }
            best.Add(sorted[j]);
        }
        return best;
    }

    /// <summary>A shared part of two stems cut back to a word boundary ('_', '-', '.', ' '), so that the prefix or
    /// suffix starts with its separator (<c>x_leftImg8bit</c> ↔ <c>x_gtFine_labelIds</c> share <c>x</c>); null when
    /// nothing is left.</summary>
    /// <summary>A folder beside <paramref name="imagesDir"/> (or one level inside such a folder) named like a masks
    /// folder (masks, labels, gt, annotations, SegmentationClass), the one named like a label map first
    /// (Supervisely's masks_machine before masks_human, Mapillary's v2.0/labels): what to suggest as --masks; or null.</summary>
    static string? MaskFolderNear(string imagesDir)
    {
        if (Path.GetDirectoryName(imagesDir) is not { } parent) return null;
        static bool MaskLike(string name) => new[] { "mask", "label", "gt", "annot", "segmentation", "ground" }.Any(name.ToLowerInvariant().Contains);
        static int Score(string name)
        {
            string n = name.ToLowerInvariant();
            return (new[] { "machine", "label", "class", "gt" }.Any(n.Contains) ? 2 : 0) - (new[] { "human", "color", "colour", "vis", "overlay", "instance" }.Any(n.Contains) ? 3 : 0);
        }
        var found = new List<string>();
        foreach (var dir in Directory.EnumerateDirectories(parent).Where(d => d != imagesDir))
        {
            if (MaskLike(Path.GetFileName(dir)) && ImageFolder.List(dir).Count > 0) found.Add(dir);
            foreach (var sub in Directory.EnumerateDirectories(dir))
                if (MaskLike(Path.GetFileName(sub)) && ImageFolder.List(sub).Count > 0) found.Add(sub);
        }
        return found.OrderByDescending(d => Score(Path.GetFileName(d))).ThenBy(d => d, StringComparer.Ordinal).FirstOrDefault();
    }

    /// <summary>A short shared key that is a whole number ending at a separator in both names (DRIVE's <c>21_training</c>
    /// and <c>21_manual1</c>): an id, however short beside the suffixes.</summary>
    static bool NumberKey(string key, string imageStem, string maskStem) =>
        key.All(char.IsAsciiDigit) && imageStem.Length > key.Length && maskStem.Length > key.Length
        && "_-. ".Contains(imageStem[key.Length]) && "_-. ".Contains(maskStem[key.Length]);

    static string? CommonKey(string shared, bool trimEnd)
    {
        const string separators = "_-. ";
        string key = trimEnd ? shared.TrimEnd(separators.ToCharArray()) : shared.TrimStart(separators.ToCharArray());
        return key.Length == 0 ? null : key;
    }

    /// <summary>How much a mask affix looks like the class-label map rather than a rendering or another annotation.</summary>
    static int Preference(PairingRule r)
    {
        string a = (r.MaskPrefix + r.MaskSuffix).ToLowerInvariant();
        int score = 0;
        if (new[] { "label", "class", "mask", "seg", "gt", "anno" }.Any(a.Contains)) score += 2;
        if (a.Contains("trainid")) score += 1;
        if (new[] { "color", "colour", "instance", "inst", "vis", "overlay", "viz", "polygon", "edge", "boundary", "depth", "disparity" }.Any(a.Contains)) score -= 3;
        return score;
    }

    /// <summary>
    /// What one mask file holds: its kind, value (gray, palette index) or packed-colour counts, the palette colours of the
    /// indices used, bits per sample, and how it is encoded, in words.
    /// </summary>
    sealed record MaskFileLabels(string Path, DraftMaskKind Kind, Dictionary<int, long> Counts, Dictionary<int, Rgb>? Palette, int Depth, string Encoding)
    {

        public long Pixels => Counts.Values.Sum();

        /// <summary>The counts by packed colour, as 'data check' decodes the file with encoding: rgb (palette index to its
        /// colour, gray below 8 bits scaled to 0..255, 16-bit gray reduced to 8 bits).</summary>
        public Dictionary<int, long> AsColours()
        {
            if (Kind == DraftMaskKind.RgbColors) return Counts;
            var colours = new Dictionary<int, long>();
            foreach (var (v, n) in Counts)
            {
                int c = Palette != null ? Palette[v].Packed : Gray(Depth < 8 ? v * 255 / ((1 << Depth) - 1) : Depth == 16 ? v >> 8 : v);
                colours[c] = colours.GetValueOrDefault(c) + n;
            }
            return colours;
        }

        static int Gray(int v) => (v << 16) | (v << 8) | v;
    }

    static MaskFileLabels ReadLabels(string path, bool intensities = false)
    {
        var counts = new Dictionary<int, long>();
        if (ImageFile.ReadRaw(path, intensities) is { } r)
        {
            string fileFormat = PngCodec.IsPng(path) ? "PNG" : "TIFF";
            var s = r.Samples;
            int n = r.Width * r.Height;
            switch (r.ColorType)
            {
                case PngColorType.Palette:
                    for (int i = 0; i < n; i++) counts[s[i]] = counts.GetValueOrDefault(s[i]) + 1;
                    var pal = new Dictionary<int, Rgb>();
                    foreach (var v in counts.Keys) pal[v] = r.Palette![v];
                    return new(path, DraftMaskKind.PaletteIndex, counts, pal, r.BitDepth, $"{r.BitDepth}-bit palette {fileFormat}");
                case PngColorType.Gray:
                case PngColorType.GrayAlpha:
                    int step = r.Channels;
                    for (int i = 0; i < n; i++) counts[s[step * i]] = counts.GetValueOrDefault(s[step * i]) + 1;
                    return new(path, DraftMaskKind.GrayIndex, counts, null, r.BitDepth, $"{r.BitDepth}-bit gray {fileFormat}");
                default:
                    int ch = r.Channels, shift = r.BitDepth == 16 ? 8 : 0;
                    bool gray = true;
                    for (int i = 0; i < n && gray; i++) gray = s[ch * i] == s[ch * i + 1] && s[ch * i + 1] == s[ch * i + 2];
                    if (gray)
                    {
                        for (int i = 0; i < n; i++) counts[s[ch * i]] = counts.GetValueOrDefault(s[ch * i]) + 1;
                        return new(path, DraftMaskKind.GrayIndex, counts, null, r.BitDepth, $"{r.BitDepth}-bit RGB {fileFormat} with gray pixels");
                    }
                    for (int i = 0; i < n; i++)
                    {
                        int c = ((s[ch * i] >> shift) << 16) | ((s[ch * i + 1] >> shift) << 8) | (s[ch * i + 2] >> shift);
                        counts[c] = counts.GetValueOrDefault(c) + 1;
                    }
                    return new(path, DraftMaskKind.RgbColors, counts, null, 8, $"{r.BitDepth}-bit RGB colour {fileFormat}");
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
        string format = Path.GetExtension(path).TrimStart('.').ToUpperInvariant();
        return new(path, isGray ? DraftMaskKind.GrayIndex : DraftMaskKind.RgbColors, counts, null, 8, isGray ? $"8-bit gray {format}" : $"8-bit colour {format}");
    }

    /// <summary>The splits the draft takes from the images folder's subfolders (<see cref="SplitFolders"/>); empty when
    /// it drafts one train split (or the id lists' splits).</summary>
    public IReadOnlyList<(string Split, string Images, string? Masks, bool Recursive)> SplitsFromFolders =>
        IdLists.Count == 0 && Recursive ? SplitFolders(ImagesDir, MasksDir, Pairing) : [];

    /// <summary>Split names that folders are commonly given, and the split each stands for.</summary>
    static readonly Dictionary<string, string> SplitFolderNames = new(StringComparer.OrdinalIgnoreCase)
    {
        ["train"] = "train", ["training"] = "train", ["val"] = "val", ["valid"] = "val", ["validation"] = "val",
        ["test"] = "test", ["testing"] = "test",
    };

    /// <summary>
    /// The other splits beside the given train folders, found by putting another split's name where theirs says train:
    /// Kaggle's CamVid <c>train</c>, <c>train_labels</c> → <c>val</c>, <c>val_labels</c>; Mapillary's
    /// <c>training/images</c>, <c>training/v2.0/labels</c> → <c>validation/…</c>; ISBI's <c>train/images</c> →
    /// <c>test/images</c> (no masks there: unlabelled). One entry per split (val, then test), the masks folder null where
    /// it is missing. Empty where the folders' names do not say train.
    /// </summary>
    internal static IReadOnlyList<(string Split, string Images, string? Masks)> SiblingSplits(string imagesDir, string masksDir, PairingRule pairing)
    {
        bool sameFolder = imagesDir == masksDir;
        string common = IO.FolderPaths.CommonParent(imagesDir, masksDir);
        if (Path.GetDirectoryName(common) is not { } parent) return [];
        string[] img = Path.GetRelativePath(parent, imagesDir).Split(Path.DirectorySeparatorChar), mask = Path.GetRelativePath(parent, masksDir).Split(Path.DirectorySeparatorChar);
        // The train spelling used (train, training, Train, ...) as a whole part or before/after a separator (train_labels).
        static string? Token(string part) => SplitFolderNames.Keys.Where(k => SplitFolderNames[k] == "train")
            .FirstOrDefault(k => part.Equals(k, StringComparison.OrdinalIgnoreCase)
                || (part.Length > k.Length && "_-. ".Contains(part[k.Length]) && part.StartsWith(k, StringComparison.OrdinalIgnoreCase))
                || (part.Length > k.Length && "_-. ".Contains(part[^(k.Length + 1)]) && part.EndsWith(k, StringComparison.OrdinalIgnoreCase)));
        if (!img.Any(p => Token(p) != null)) return [];
        static string Swap(string part, string other)
        {
            if (Token(part) is not { } k) return part;
            int at = part.StartsWith(k, StringComparison.OrdinalIgnoreCase) ? 0 : part.Length - k.Length;
            string was = part.Substring(at, k.Length);
            string now = char.IsUpper(was[0]) ? (was.All(char.IsUpper) ? other.ToUpperInvariant() : char.ToUpperInvariant(other[0]) + other[1..]) : other;
            return part[..at] + now + part[(at + k.Length)..];
        }
        var found = new List<(string, string, string?)>();
        foreach (var other in SplitFolderNames.Keys.Where(k => SplitFolderNames[k] != "train").OrderBy(k => SplitFolderNames[k] == "val" ? 0 : 1))
        {
            string split = SplitFolderNames[other];
            if (found.Any(f => f.Item1 == split)) continue;
            string images = Path.Combine(parent, Path.Combine(img.Select(p => Swap(p, other)).ToArray()));
            if (images == imagesDir || !Directory.Exists(images) || ImageFolder.List(images).Count == 0) continue;
            string masks = Path.Combine(parent, Path.Combine(mask.Select(p => Swap(p, other)).ToArray()));
            bool hasMasks = sameFolder ? HoldsFilesNamedAsMasks(masks, pairing, recursive: false)
                : masks != masksDir && Directory.Exists(masks) && ImageFolder.List(masks).Count > 0;
            found.Add((split, images, hasMasks ? masks : null));
        }
        return found;
    }

    /// <summary>Whether a folder of images and masks together holds files named as masks by <paramref name="pairing"/>
    /// (DeepGlobe's valid/ holds x_sat.jpg alone, so no).</summary>
    static bool HoldsFilesNamedAsMasks(string dir, PairingRule pairing, bool recursive) =>
        pairing.FiltersMasks && ImageFolder.List(dir, recursive).Any(f => pairing.KeyOfMask(Path.GetFileNameWithoutExtension(f)) != null);

    /// <summary>
    /// Where the images folder is read recursively and its subfolders are splits (Cityscapes' leftImg8bit/train,
    /// leftImg8bit/val, ...; a train-like one among at least two), one entry per split: its images folder, the masks
    /// folder of the same name (null when there is none: unlabelled), and whether its images are in subfolders again.
    /// Empty otherwise, and then the draft has one split.
    /// </summary>
    internal static IReadOnlyList<(string Split, string Images, string? Masks, bool Recursive)> SplitFolders(string imagesDir, string masksDir, PairingRule pairing)
    {
        // Masks beside the images (one folder of both): a split folder has masks only if files in it are named as masks
        // (DeepGlobe's valid/ and test/ hold x_sat.jpg alone).
        bool sameFolder = string.Equals(imagesDir, masksDir, StringComparison.Ordinal);
        bool HasMasks(string dir) => !sameFolder || HoldsFilesNamedAsMasks(dir, pairing, recursive: true);
        var found = new List<(string, string, string?, bool)>();
        foreach (var dir in Directory.EnumerateDirectories(imagesDir).Order(StringComparer.Ordinal))
        {
            if (!SplitFolderNames.TryGetValue(Path.GetFileName(dir), out var split) || found.Any(f => f.Item1 == split)) continue;
            if (ImageFolder.List(dir, recursive: true).Count == 0) continue;
            string masks = Path.Combine(masksDir, Path.GetFileName(dir));
            found.Add((split, dir, Directory.Exists(masks) && HasMasks(masks) ? masks : null, ImageFolder.List(dir).Count == 0));
        }
        return found.Count > 1 && found.Any(f => f.Item1 == "train") && found.Any(f => f.Item3 != null) ? found : [];
    }

    /// <summary>
    /// The draft dataset.yaml text for a file at <paramref name="yamlPath"/>: paths relative to that file's folder,
    /// comments that say what was inspected and what to edit.
    /// </summary>
    public string ToYaml(string yamlPath)
    {
        string yamlFolder = Path.GetDirectoryName(Path.GetFullPath(yamlPath))!;
        string common = IO.FolderPaths.CommonParent(ImagesDir, MasksDir);
        var siblings = IdLists.Count == 0 && SplitsFromFolders.Count <= 1 && !Recursive ? SiblingSplits(ImagesDir, MasksDir, Pairing) : [];
        foreach (var (_, images, masks) in siblings) common = IO.FolderPaths.CommonParent(IO.FolderPaths.CommonParent(common, images), masks ?? images);
        string root = RelativeOrAbsolute(yamlFolder, common);
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine($"# Draft written by 'sharpseg data init' on {DateTime.UtcNow:yyyy-MM-dd}. Edit it, then run 'sharpseg data check {Path.GetFileName(yamlPath)}'.");
        sb.AppendLine($"# Pairs: {Pairs} image/mask pairs found by file stem" + (ImagesWithoutMask > 0 ? $"; {ImagesWithoutMask} images have no mask" : "") + (MasksWithoutImage > 0 ? $"; {MasksWithoutImage} masks have no image" : "") + ((ImagesWithoutMask | MasksWithoutImage) > 0 ? (IdLists.Count > 0 ? " (only the images the id lists name form the splits)." : " ('data check' lists them).") : ".")
            + (FilesOfOtherKinds > 0 ? $" {FilesOfOtherKinds} files named otherwise (other mask kinds) are left out by 'pairing'." : ""));
        sb.AppendLine(MasksInspected < Pairs
            ? $"# Inspected {MasksInspected} of {Pairs} masks (evenly spaced) for speed: values that appear only in other masks are not listed; 'data check' finds them."
            : $"# Inspected all {MasksInspected} masks.");
        sb.AppendLine("# Masks: " + MaskKind switch
        {
            DraftMaskKind.PaletteIndex => $"palette PNGs; the palette index is the class value ({Labels.Count} values found). Colours below are the palette's.",
            DraftMaskKind.GrayIndex => $"{MaxBitDepth}-bit grayscale, one class value per pixel ({Labels.Count} values found).",
            DraftMaskKind.GrayThreshold => $"binary grayscale with soft edges: {DistinctValues} gray values, {(100 * Labels.Sum(l => l.Share)).ToString("0.#", inv)} % of pixels clear of the edge band (anti-aliased or resized 0/255 masks).",
            _ => $"colour masks, one colour per class ({Labels.Count + OtherLabels} colours found).",
        });
        if (DifferingMasks.Count > 0)
        {
            sb.AppendLine($"# {DifferingMasks.Count} of {MasksInspected} inspected masks are encoded differently from the rest:");
            foreach (var n in DifferingMasks.Take(10)) sb.AppendLine($"#   {TerminalText.Clean(n.Path)}: {n.Encoding}; {n.Note}");
            if (DifferingMasks.Count > 10) sb.AppendLine($"#   ... and {DifferingMasks.Count - 10} more ('data check' lists those it cannot decode)");
        }
        if (ClassListNote != null) sb.AppendLine($"# Class names: {TerminalText.Clean(ClassListNote)}");
        sb.AppendLine(ClassNames != null
            ? $"# TO EDIT: 1) check the class names, taken from {TerminalText.Clean(ClassNames.Source == "--classes" ? "--classes" : RelativeOrAbsolute(yamlFolder, ClassNames.Source))}; 2) a value/colour that means"
            : "# TO EDIT: 1) give each class its real name (class_N are placeholders); 2) a value/colour that means");
        sb.AppendLine("#   'ignore' (void, border, unlabelled) is not a class: remove it from classes and list it under mask.ignore_*;");
        var splitFolders = SplitsFromFolders;
        sb.AppendLine(siblings.Count > 0
            ? siblings.Any(f => f.Split == "val" && f.Masks != null)
                ? $"#   3) the splits are the folders named as the train ones with {string.Join(", ", siblings.Select(f => f.Split))} in place of train; 4) image_channels: 1 for grayscale-only models."
                : $"#   3) add a val split with masks (drafted from the folders named as the train ones: {string.Join(", ", siblings.Select(f => f.Split + (f.Masks == null ? " without masks" : "")))}); 4) image_channels: 1 for grayscale-only models."
            : IdLists.Any(l => l.Split != "train") || splitFolders.Count > 1
            ? splitFolders.Count > 1
                ? $"#   3) the splits are the subfolders {string.Join(", ", splitFolders.Select(f => Path.GetFileName(f.Images)))} of the images folder; 4) image_channels: 1 for grayscale-only models."
                : $"#   3) the splits are the id lists in {IdListFolder.Replace('\\', '/')} ({string.Join(", ", IdLists.Select(l => l.Split))}); 4) image_channels: 1 for grayscale-only models."
            : ValFraction > 0 ? "#   3) the val split is held out from the images (--val-fraction), listed in the .train.txt and .val.txt files beside this one; 4) image_channels: 1 for grayscale-only models."
            : "#   3) add a val split ('data init --val-fraction 0.2' holds one out, or copy the train line, or use 'list:' files); 4) image_channels: 1 for grayscale-only models.");
        sb.AppendLine($"name: {Quote(DatasetName(common))}");
        sb.AppendLine($"root: {Quote(root)}   # relative to this file's folder; --data-root overrides it");
        sb.AppendLine("splits:");
        if (HeldOut is var (trainKeys, valKeys))
        {
            var (trainList, valList) = ValSplitListPaths(yamlPath);
            string recursive = Recursive ? ", recursive: true" : "";
            sb.AppendLine($"  train: {{ images: {Quote(RelPath(common, ImagesDir))}, masks: {Quote(RelPath(common, MasksDir))}{recursive}, ids: {Quote(RelPath(common, trainList))} }}   # {trainKeys.Count} images");
            sb.AppendLine($"  val: {{ images: {Quote(RelPath(common, ImagesDir))}, masks: {Quote(RelPath(common, MasksDir))}{recursive}, ids: {Quote(RelPath(common, valList))} }}   # {valKeys.Count} images held out at random (--val-fraction {ValFraction.ToString(inv)}, seed 0); frames of one video or scene in both splits flatter val: split by source where you can");
            foreach (var (split, images, _) in siblings)
                sb.AppendLine($"  {split}: {{ images: {Quote(RelPath(common, images))} }}   # no masks folder of this name: unlabelled");
        }
        else if (IdLists.Count > 0)
            foreach (var (split, list) in IdLists)
                sb.AppendLine($"  {split}: {{ images: {Quote(RelPath(common, ImagesDir))}, masks: {Quote(RelPath(common, MasksDir))}, ids: {Quote(RelPath(common, list))} }}   # the images the list names");
        else if (splitFolders.Count > 1)
            foreach (var (split, images, masks, recursive) in splitFolders)
                sb.AppendLine($"  {split}: {{ images: {Quote(RelPath(common, images))}{(masks != null ? $", masks: {Quote(RelPath(common, masks))}" : "")}{(recursive ? ", recursive: true" : "")} }}"
                    + (masks == null ? "   # no masks folder of this name: unlabelled" : ""));
        else
        {
            sb.AppendLine($"  train: {{ images: {Quote(RelPath(common, ImagesDir))}, masks: {Quote(RelPath(common, MasksDir))}{(Recursive ? ", recursive: true" : "")} }}"
                + (Recursive ? "   # subfolders too; an image pairs with the mask in the same relative subfolder" : ""));
            foreach (var (split, images, masks) in siblings)
                sb.AppendLine($"  {split}: {{ images: {Quote(RelPath(common, images))}{(masks != null ? $", masks: {Quote(RelPath(common, masks))}" : "")} }}"
                    + (masks == null ? "   # no masks folder of this name: unlabelled" : "   # not inspected: 'data check' reads its masks"));
        }
        if (RoiFolder is var (roiDir, roiSuffix) && IdLists.Count == 0 && splitFolders.Count <= 1)
            sb.AppendLine($"  # roi on train: {Quote(RelPath(common, roiDir))}   # region-of-interest masks found beside the images ({Path.GetFileName(roiDir)}/<image>{roiSuffix}): add 'roi: {RelPath(common, roiDir)}' to the split{(roiSuffix.Length > 0 ? $" and 'roi_suffix: {Quote(roiSuffix)}' to pairing" : "")} to ignore pixels outside them (a field of view)");
        if (Pairing != PairingRule.SameStem)
        {
            sb.AppendLine("pairing:   # image {image_prefix}foo{image_suffix}.png <-> mask {mask_prefix}foo{mask_suffix}.png");
            if (Pairing.FiltersImages)
            {
                sb.AppendLine($"  image_prefix: {Quote(Pairing.ImagePrefix)}");
                sb.AppendLine($"  image_suffix: {Quote(Pairing.ImageSuffix)}");
            }
            sb.AppendLine($"  mask_prefix: {Quote(Pairing.MaskPrefix)}");
            sb.AppendLine($"  mask_suffix: {Quote(Pairing.MaskSuffix)}");
            if (OtherMaskKinds.Count > 0)
                sb.AppendLine($"  # other mask files beside each image: {string.Join(", ", OtherMaskKinds.Select(r => $"mask_prefix {Quote(r.MaskPrefix)}, mask_suffix {Quote(r.MaskSuffix)}"))}; the draft took the one named like a label map");
        }
        sb.AppendLine("image_channels: 3");
        if (ImageRange is { IsNarrow: true } range)
            sb.AppendLine($"image_range: {range}   # {DeepImages} inspected 16-bit image{(DeepImages == 1 ? "" : "s")} use raw values {range.Low}..{range.High} (0.01-99.99th percentile): stretched to 0..255; without it they keep about {range.LevelsAtFullScale} gray levels");
        sb.AppendLine("mask:");
        if (MaskKind == DraftMaskKind.GrayThreshold)
        {
            var e = ThresholdEncoding!;
            var (low, high) = e.IgnoreBand!.Value;
            long all = BandPixels + Labels.Sum(l => l.Pixels);
            sb.AppendLine("  encoding: threshold");
            sb.AppendLine($"  threshold: {e.Threshold}        # values from {e.Threshold} up are the second class, below it the first");
            sb.AppendLine($"  ignore_band: [{low}, {high}]   # edge values, {(100.0 * BandPixels / Math.Max(1, all)).ToString("0.###", inv)} % of inspected pixels: ignored in loss and metrics; remove this line to split them at the threshold");
        }
        else if (MaskKind == DraftMaskKind.RgbColors)
        {
            sb.AppendLine("  encoding: rgb");
            var ignoreColors = Classes.Where(c => c.Ignore).ToList();
            sb.AppendLine($"  ignore_colors: [{string.Join(", ", ignoreColors.Select(c => $"[{c.Color!.Value.R}, {c.Color.Value.G}, {c.Color.Value.B}]"))}]{IgnoreNamed(ignoreColors)}");
            if (ColorTolerance > 0)
                sb.AppendLine($"  color_tolerance: {ColorTolerance}   # {OtherLabels} more colours look like JPEG noise: each pixel is read as the nearest class colour within this distance (half the gap between the two closest class colours); {100.0 * OtherPixels / Math.Max(1, OtherPixels + Labels.Sum(l => l.Pixels)):0.###} % of pixels are far from every class colour");
            if (ColorTolerance > 0)
                sb.AppendLine("  unmatched: ignore   # edge pixels between two class colours can be farther than that from both: ignored in loss and metrics ('data check' counts them); 'error' refuses such masks");
            else
                sb.AppendLine("  color_tolerance: 0   # raise (e.g. 10) if masks were saved as JPEG");
        }
        else
        {
            sb.AppendLine("  encoding: index");
            var ignore = Classes.Where(c => c.Ignore).ToList();
            string why = ignore.Any(c => ClassNames != null && ClassList.MeansIgnore(c.Name)) ? IgnoreNamed(ignore)
                : ignore.Count > 0 ? "   # 255 with several other values: usually the 'void'/border label (VOC); make it a class if it is one"
                : Labels.Count == 2 && Labels.Any(l => l.Value == 255) ? "   # 0/255 masks: both values are classes"
                : ScaledForVisibility ? $"   # {string.Join(", ", Labels.Select(l => l.Value))}: a class index scaled to fill 0..255 (saved to be seen), so 255 is a class too"
                : Labels.Any(l => l.Value == 255) ? "   # 255 is listed as a class: the other values are not the small class indices VOC's void (255) goes with; list it here if it means 'ignore'" : "";
            sb.AppendLine($"  ignore_values: [{string.Join(", ", ignore.Select(c => c.Value))}]{why}");
        }
        if (ExtraFiles.Count > 0)
            sb.AppendLine($"  # {ExtraFiles.Count} file{(ExtraFiles.Count == 1 ? "" : "s")} in the images folder {(ExtraFiles.Count == 1 ? "is" : "are")} named as an image plus a suffix (e.g. {Quote(Path.GetFileName(ExtraFiles[0]))}): a second mask or a rendering, not an image; 'data check' lists {(ExtraFiles.Count == 1 ? "it" : "them")} as images without a mask: move {(ExtraFiles.Count == 1 ? "it" : "them")} out of the images folder (merge a second mask into the first), or list the images in an ids file");
        if (UnreadableMasks.Count > 0)
            sb.AppendLine($"  # {UnreadableMasks.Count} image{(UnreadableMasks.Count == 1 ? " has its mask" : "s have their masks")} in a format SharpSeg does not read (e.g. {Quote(Path.GetFileName(UnreadableMasks[0]))}): save {(UnreadableMasks.Count == 1 ? "it" : "them")} as PNG, TIFF or .npy; 'data check' names each");
        else if (ImagesWithoutMask > 0 && IdLists.Count == 0 && Labels.Count > 0)
        {
            // Inspection sets often ship masks for the defective images only: offer the key that reads the others as background.
            string background = Classes.Where(c => !c.Ignore).MinBy(c => c.Value ?? 0)?.Name ?? "class_0";
            sb.AppendLine($"  # missing: {background}   # {ImagesWithoutMask} image{(ImagesWithoutMask == 1 ? " has" : "s have")} no mask file: uncomment to read each as entirely {background} (defect-free images in inspection sets), or add the masks");
        }
        sb.AppendLine("classes:");
        foreach (var c in Classes)
        {
            var l = c.Label;
            string share = l == null ? $"# listed in {Path.GetFileName(ClassNames!.Source)}; in none of the {MasksInspected} inspected masks"
                : $"# {(100 * l.Share).ToString("0.###", inv)} % of inspected pixels, in {l.Masks} of {MasksInspected} masks";
            string name = System.Text.RegularExpressions.Regex.IsMatch(c.Name, "^[A-Za-z_][A-Za-z0-9_]*$") ? c.Name : Quote(c.Name);
            if (c.Ignore)
                sb.AppendLine(l == null ? $"  # {name} ({(c.Value is { } iv ? $"value {iv}" : $"colour {c.Color}")}) is ignored, {share[2..]}"
                    : $"  # {(c.Value is { } v ? $"value {v}" : $"colour {c.Color}")}{(ClassNames != null ? $" ({name})" : "")} is ignored: {100 * l.Share:0.##} % of inspected pixels, in {l.Masks} masks");
            else if (MaskKind == DraftMaskKind.RgbColors)
                sb.AppendLine($"  - {{ name: {name}, color: [{c.Color!.Value.R}, {c.Color.Value.G}, {c.Color.Value.B}] }}   {share}");
            else if (MaskKind == DraftMaskKind.GrayThreshold)
                sb.AppendLine($"  - {{ name: {name} }}   # {(l == Labels[0] ? "below" : "at or above")} {ThresholdEncoding!.Threshold} (peak at {l!.Value}): {share[2..]}");
            else
            {
                string color = c.Color is { } col ? $", color: [{col.R}, {col.G}, {col.B}]" : "";
                sb.AppendLine($"  - {{ name: {name}, value: {c.Value}{color} }}   {share}");
            }
        }
        return sb.ToString();
    }

    /// <summary>The comment on an ignore list whose entries the class list names as void/unlabelled.</summary>
    string IgnoreNamed(IReadOnlyList<DraftClass> ignored) =>
        ClassNames == null || ignored.Count == 0 ? "" : $"   # named {string.Join(", ", ignored.Select(c => $"'{c.Name}'"))} in {Path.GetFileName(ClassNames.Source)}: not a class, ignored in loss and metrics; make it a class if it is one";

    /// <summary>Writes <see cref="ToYaml"/> to <paramref name="yamlPath"/> (atomically), and with
    /// <see cref="ValFraction"/> the two id lists of <see cref="HeldOut"/> beside it (<c>{name}.train.txt</c>, <c>{name}.val.txt</c>).</summary>
    public void Write(string yamlPath)
    {
        string text = ToYaml(yamlPath);
        if (HeldOut is var (train, val))
        {
            var (trainList, valList) = ValSplitListPaths(yamlPath);
            IO.AtomicFile.WriteAllText(trainList, string.Join("\n", train) + "\n");
            IO.AtomicFile.WriteAllText(valList, string.Join("\n", val) + "\n");
        }
        IO.AtomicFile.WriteAllText(yamlPath, text);
    }

    /// <summary>The id lists <see cref="Write"/> writes beside <paramref name="yamlPath"/> (with <see cref="ValFraction"/>).</summary>
    public static (string Train, string Val) ValSplitListPaths(string yamlPath)
    {
        string stem = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(yamlPath))!, Path.GetFileNameWithoutExtension(yamlPath));
        return (stem + ".train.txt", stem + ".val.txt");
    }

    /// <summary>The keys of the images that have a mask, sorted (<c>sub/stem</c> in subfolders).</summary>
    public IReadOnlyList<string> PairKeys { get; private set; } = [];

    /// <summary><c>data init --val-fraction</c>: the share of the pairs drafted as a val split (0: none). The draft has one
    /// labelled folder and no splits of its own (<see cref="CanHoldOutVal"/>, else setting it throws); the pairs are drawn
    /// at random with a fixed seed, so the same folder always gives the same split (<see cref="HeldOut"/>), and written as
    /// id lists beside the yaml.</summary>
    public double ValFraction
    {
        get => _valFraction;
        set
        {
            if (value > 0 && !CanHoldOutVal(out string? why)) throw new SharpSegException($"--val-fraction: {why}.");
            _valFraction = value;
            HeldOut = value > 0 ? HoldOut(value) : null;
        }
    }
    double _valFraction;

    /// <summary>The keys of the train and val splits <see cref="ValFraction"/> drew, each sorted; null without it.</summary>
    public (IReadOnlyList<string> Train, IReadOnlyList<string> Val)? HeldOut { get; private set; }

    (IReadOnlyList<string>, IReadOnlyList<string>) HoldOut(double fraction)
    {
        var keys = PairKeys.ToList();
        var random = new Random(0);
        for (int i = keys.Count - 1; i > 0; i--) { int j = random.Next(i + 1); (keys[i], keys[j]) = (keys[j], keys[i]); }
        int n = Math.Clamp((int)Math.Round(fraction * keys.Count), 1, keys.Count - 1);
        return (keys.Skip(n).Order(StringComparer.Ordinal).ToList(), keys.Take(n).Order(StringComparer.Ordinal).ToList());
    }

    /// <summary>Whether <see cref="ValFraction"/> applies: the images are one labelled folder, not already split by id lists,
    /// split-named subfolders or sibling val/test folders.</summary>
    public bool CanHoldOutVal(out string? why)
    {
        why = IdLists.Count > 0 ? $"the id lists in {IdListFolder} already split it ({string.Join(", ", IdLists.Select(l => l.Split))})"
            : SplitsFromFolders.Count > 1 ? $"its subfolders already split it ({string.Join(", ", SplitsFromFolders.Select(f => f.Split))})"
            : !Recursive && SiblingSplits(ImagesDir, MasksDir, Pairing).Any(f => f.Masks != null || f.Split == "val") ? "folders named as its train folders with val or test in their place already split it"
            : Pairs < 2 ? $"it has {Pairs} image with a mask; holding one out needs at least two"
            : PairKeys.FirstOrDefault(k => k.StartsWith('#') || k != k.Trim() || ImageFolder.IsImage(k)) is { } odd
                ? $"image '{odd}' has a name an id list cannot hold (a leading '#', spaces at an end, or an image extension inside it); rename it, or split the folders by hand"
            : null;
        return why == null;
    }

    /// <summary>The dataset's folder name; above a split-named folder (train/, val/, ..., or data/) the parent's name.</summary>
    static string DatasetName(string folder)
    {
        var dir = new DirectoryInfo(DatasetFolders(folder)[^1]);
        return dir.Parent == null || dir.Name.Length == 0 ? "dataset" : dir.Name;
    }

    /// <summary><paramref name="folder"/> and the folders above it up to the dataset's own: while a folder is named as a
    /// split (train/, val/, ...) or data/, its parent too.</summary>
    static List<string> DatasetFolders(string folder)
    {
        var dir = new DirectoryInfo(folder);
        var found = new List<string> { dir.FullName };
        while (dir.Parent != null && (SplitFolderNames.ContainsKey(dir.Name) || dir.Name.Equals("data", StringComparison.OrdinalIgnoreCase))) found.Add((dir = dir.Parent).FullName);
        return found;
    }

    // Relative when the two paths share more than the filesystem root; absolute otherwise (a relative path through / is fragile).
    /// <summary>
    /// The split id lists in <see cref="IdListFolder"/> under the folders' common parent, in split order (train, val,
    /// test, then others by name), that name at least one of the paired images (<paramref name="pairedStems"/>): a list
    /// of other files is not this dataset's. trainval is left out when train and val are both there.
    /// </summary>
    static IReadOnlyList<(string Split, string Path)> FindIdLists(string imagesDir, string masksDir, IEnumerable<string> pairedStems)
    {
        string folder = Path.Combine(IO.FolderPaths.CommonParent(imagesDir, masksDir), IdListFolder);
        if (!Directory.Exists(folder)) return [];
        var stems = new HashSet<string>(pairedStems, StringComparer.Ordinal);
        var found = new List<(string Split, string Path)>();
        foreach (var file in Directory.EnumerateFiles(folder, "*.txt"))
        {
            string split = Path.GetFileNameWithoutExtension(file);
            if (split.Length == 0 || !split.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-')) continue;
            bool names;
            try { names = File.ReadLines(file).Take(10_000).Any(line => line.Split((char[]?)null, 2, StringSplitOptions.RemoveEmptyEntries) is [var id, ..] && stems.Contains(Path.GetFileNameWithoutExtension(id))); }
            catch (IOException) { continue; }
            if (names) found.Add((split, file));
        }
        if (found.Any(f => f.Split == "train") && found.Any(f => f.Split == "val")) found.RemoveAll(f => f.Split == "trainval");
        int Order(string s) => s switch { "train" => 0, "val" => 1, "test" => 2, _ => 3 };
        return found.OrderBy(f => Order(f.Split)).ThenBy(f => f.Split, StringComparer.Ordinal).ToList();
    }

    static string RelativeOrAbsolute(string from, string to)
    {
        string common = IO.FolderPaths.CommonParent(from, to);
        return common == Path.GetPathRoot(from) ? to : RelPath(from, to);
    }

    static string RelPath(string from, string to)
    {
        string rel = Path.GetRelativePath(from, to).Replace(Path.DirectorySeparatorChar, '/');
        return rel;
    }

    static string Quote(string s) => Configuration.YamlText.Quote(s);
}
