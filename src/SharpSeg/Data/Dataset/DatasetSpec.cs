using SharpSeg.Imaging;
using SharpSeg.Data.Masks;

namespace SharpSeg.Data.Dataset;

/// <summary>
/// A dataset as described by a dataset.yaml: where its files are (<see cref="Root"/> and the splits), how masks encode
/// classes (<see cref="Mask"/>, <see cref="Classes"/>), and how images are read (<see cref="ImageChannels"/>).
/// Loading checks the file strictly (unknown keys, duplicate classes, a value that is both a class and ignore, a
/// missing root) and reports the first problem as a one-line <see cref="SharpSegException"/>.
/// </summary>
public sealed class DatasetSpec
{
    /// <summary>File extensions read as images or masks (lower case, with the dot).</summary>
    public static IReadOnlyList<string> ImageExtensions => ImageFolder.Extensions;

    internal DatasetSpec(string name, string root, string sourcePath, string yamlFolder, ClassTable classes, int imageChannels,
        MaskEncoding mask, PairingRule pairing, IReadOnlyList<SplitSource> splits)
    {
        Name = name; Root = root; SourcePath = sourcePath; YamlFolder = yamlFolder; Classes = classes;
        ImageChannels = imageChannels; Mask = mask; Pairing = pairing; Splits = splits;
    }

    /// <summary>The dataset's name (the yaml's <c>name</c>, else the file stem).</summary>
    public string Name { get; }
    /// <summary>The absolute dataset root; split paths are relative to it.</summary>
    public string Root { get; }
    /// <summary>The yaml path as the user gave it (used in messages).</summary>
    public string SourcePath { get; }
    /// <summary>The absolute folder that holds the yaml file.</summary>
    public string YamlFolder { get; }
    public ClassTable Classes { get; }
    /// <summary>3: images decoded to RGB (grayscale replicated); 1: decoded to grayscale (RGB converted to luma).</summary>
    public int ImageChannels { get; }
    /// <summary>The <c>image_range</c> 16-bit images are stretched from (<see cref="IntensityRange"/>); null reads them at
    /// full scale.</summary>
    public IntensityRange? ImageRange { get; init; }

    /// <summary>How the dataset's images were cut from NIfTI volumes (<c>volumes:</c>, written by <c>data from-nifti</c>);
    /// training keeps it in the checkpoint for <c>predict</c> on volumes. Null for other datasets.</summary>
    public VolumeSlicing? VolumeSlicing { get; init; }
    /// <summary>Decodes one of this dataset's images as training reads it: <see cref="ImageChannels"/>, <see cref="ImageRange"/>.</summary>
    public RgbImage LoadImage(string path) => ImageFile.Load(path, ImageChannels, ImageRange);
    public MaskEncoding Mask { get; }
    /// <summary>
    /// <c>mask.missing</c>: the class an image without a mask file is entirely (inspection sets often ship masks for the
    /// defective images only), so such images train and evaluate as that class instead of being a pairing problem;
    /// null: an image without a mask in a split with masks is a problem.
    /// </summary>
    public int? MissingMaskClass { get; init; }
    public PairingRule Pairing { get; }
    public IReadOnlyList<SplitSource> Splits { get; }
    public IReadOnlyList<string> SplitNames => Splits.Select(s => s.Name).ToArray();

    /// <summary>
    /// Reads and validates a dataset.yaml. <paramref name="dataRoot"/> (relative to the current folder) replaces the
    /// file's <c>root</c>; without either, the root is the yaml's folder.
    /// </summary>
    public static DatasetSpec Load(string yamlPath, string? dataRoot = null)
    {
        if (Directory.Exists(yamlPath)) throw new SharpSegException($"{yamlPath}: is a folder; pass the dataset.yaml file (or create one with 'sharpseg data init').");
        if (!File.Exists(yamlPath)) throw new SharpSegException($"{yamlPath}: dataset file not found; check the path (or create one with 'sharpseg data init').");
        return DatasetYamlReader.Read(File.ReadAllText(yamlPath), yamlPath, dataRoot);
    }

    /// <summary>Parses dataset.yaml text as if it were the file <paramref name="sourcePath"/> (its folder anchors a relative root).</summary>
    public static DatasetSpec Parse(string yamlText, string sourcePath, string? dataRoot = null) =>
        DatasetYamlReader.Read(yamlText, sourcePath, dataRoot);

    /// <summary>The split named <paramref name="split"/>; an unknown name is an error listing the valid ones.</summary>
    public SplitSource GetSplit(string split)
    {
        foreach (var s in Splits) if (s.Name == split) return s;
        string? near = Configuration.NearestName.Suggest(split, SplitNames);
        throw new SharpSegException($"{SourcePath}: no split '{split}'{(near != null ? $" (did you mean '{near}'?)" : "")}; the splits are: {string.Join(", ", SplitNames)}.");
    }

    /// <summary>The pairs of a split in a stable order, or the first pairing problem as a one-line error (run <c>data check</c> for all).</summary>
    public IReadOnlyList<SamplePair> ResolvePairs(string split)
    {
        var listing = ListSplit(split);
        if (listing.Problems.Count > 0)
        {
            string more = listing.Problems.Count > 1 ? $" ({listing.Problems.Count - 1} more problem{(listing.Problems.Count == 2 ? "" : "s")} in split '{split}'; 'sharpseg data check {SourcePath}' lists them all)" : "";
            throw new SharpSegException(listing.Problems[0].Message + more);
        }
        return listing.Pairs;
    }

    /// <summary>Subfolders of a folder split's images folder that hold images but are not read (the split is not
    /// <c>recursive</c>; the masks folder left out when it lies inside); empty for a recursive or list-file split. Asked
    /// by <c>data check</c> only, so listing a split for training does not walk its subfolders.</summary>
    public IReadOnlyList<string> SubfoldersNotRead(string split)
    {
        var s = GetSplit(split);
        if (s.List != null || s.Recursive) return [];
        string imagesDir = FolderOf(s, s.Images!, "images");
        string? masksDir = s.Masks == null ? null : FolderOf(s, s.Masks, "masks");
        return ImageFolder.SubfoldersWithImages(imagesDir).Where(d => !string.Equals(d, masksDir, StringComparison.Ordinal)).ToList();
    }

    /// <summary>
    /// Pairs a split's images with masks and collects every pairing problem (an image without mask, a mask without
    /// image, two files with one stem, a bad list line). A missing or empty folder, or a missing list file, is an
    /// error (<see cref="SharpSegException"/>), since nothing can be listed.
    /// </summary>
    public SplitListing ListSplit(string split)
    {
        var s = GetSplit(split);
        return s.List != null ? ListFromFile(s) : ListFromFolders(s);
    }

    string FolderOf(SplitSource s, string relative, string key)
    {
        string dir = Path.GetFullPath(Path.Combine(Root, Portable(relative, p => Directory.Exists(Path.Combine(Root, p)))));
        if (!Directory.Exists(dir))
            throw new SharpSegException($"{SourcePath}: split '{s.Name}': {key} folder '{dir}' does not exist; fix splits.{s.Name}.{key} (relative to the root {Root}) or pass --data-root.");
        return dir;
    }

    /// <summary>The files of a folder (and its subfolders when <paramref name="recursive"/>) by key: the file's stem
    /// with the pairing's prefix and suffix removed (<paramref name="keyOf"/>), preceded by its subfolder
    /// ("aachen/aachen_000000_000019") when recursive. Files whose stem does not match are counted, not listed.</summary>
    static (List<(string Key, string Stem, string Path)> Files, int Unmatched) KeyedFiles(string dir, bool recursive, Func<string, string?> keyOf, Func<string, string?>? alsoExpected = null)
    {
        var files = new List<(string, string, string)>();
        int unmatched = 0;
        foreach (var path in ImageFolder.List(dir, recursive))
        {
            string stem = Path.GetFileNameWithoutExtension(path);
            if (keyOf(stem) is not { } key) { if (alsoExpected?.Invoke(stem) == null) unmatched++; continue; }
            files.Add((RelativeKey(dir, path, key), stem, path));
        }
        return (files, unmatched);
    }

    /// <summary>The key among <paramref name="keys"/> that equals <paramref name="key"/> but for letter case (IMG_001 and
    /// img_001), or null: pairing is case-sensitive, and a name that differs only so deserves to be named;
    /// <paramref name="index"/> is built from <paramref name="keys"/> on first use.</summary>
    static string? CaseTwin(ref Dictionary<string, string>? index, IEnumerable<string> keys, string key)
    {
        if (index == null)
        {
            index = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var k in keys) index.TryAdd(Skeleton(k), k);
        }
        return index.TryGetValue(Skeleton(key), out var twin) && !string.Equals(twin, key, StringComparison.Ordinal)
            && (string.Equals(twin, key, StringComparison.OrdinalIgnoreCase) || HasCombiningMark(twin) != HasCombiningMark(key)) ? twin : null;
    }

    /// <summary>Whether a name holds a combining accent (U+0300–U+036F), as names macOS writes decomposed do.</summary>
    static bool HasCombiningMark(string name) => name.Any(c => c is >= '\u0300' and <= '\u036F');

    /// <summary>How a name differs from its twin (<see cref="CaseTwin"/>), in words.</summary>
    static string TwinDifference(string a, string b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase)
        ? "only in letter case; names are case-sensitive"
        : "only in how an accented letter is stored (one character, or a letter and a combining accent, as macOS writes names; they look alike but are different names)";

    /// <summary>A name with each letter that carries an accent, in either of Unicode's two forms (é as one character, or
    /// e and a combining accent), and each other non-ASCII character, as '?': names that may look alike, for
    /// <see cref="CaseTwin"/>, which takes them as twins only where one has combining accents and the other none (SharpSeg
    /// runs without ICU, so it cannot normalise them).</summary>
    static string Skeleton(string name)
    {
        var sb = new System.Text.StringBuilder(name.Length);
        for (int i = 0; i < name.Length; i++)
        {
            bool marked = i + 1 < name.Length && name[i + 1] is >= '\u0300' and <= '\u036F';
            sb.Append(marked || name[i] > '\u007F' ? '?' : name[i]);
            while (i + 1 < name.Length && name[i + 1] is >= '\u0300' and <= '\u036F') i++;
        }
        return sb.ToString();
    }

    /// <summary>A path as a dataset file (yaml or list file) writes it, for this platform: a Windows-written
    /// <c>images\a.png</c> reads as <c>images/a.png</c> on Linux when no file has the backslash in its name
    /// (<paramref name="exists"/> says whether a path exists as written).</summary>
    internal static string Portable(string path, Func<string, bool> exists) =>
        Path.DirectorySeparatorChar == '/' && path.Contains('\\') && !exists(path) ? path.Replace('\\', '/') : path;

    /// <summary>A file's key within a split folder: <paramref name="key"/> preceded by the file's subfolder of
    /// <paramref name="dir"/>, '/'-separated ("aachen/aachen_000000_000019"); the key alone at the top.</summary>
    internal static string RelativeKey(string dir, string path, string key)
    {
        string sub = Path.GetRelativePath(dir, Path.GetDirectoryName(path)!);
        return sub == "." ? key : sub.Replace('\\', '/') + "/" + key;
    }

    SplitListing ListFromFolders(SplitSource s)
    {
        string imagesDir = FolderOf(s, s.Images!, "images");
        string? masksDir = s.Masks == null ? null : FolderOf(s, s.Masks, "masks");
        bool sameFolder = masksDir != null && string.Equals(imagesDir, masksDir, StringComparison.Ordinal);
        // In one folder of both, the masks are not "images left out" (x_sat.jpg beside x_mask.png).
        var (images, unmatched) = KeyedFiles(imagesDir, s.Recursive, Pairing.KeyOfImage, sameFolder ? Pairing.KeyOfMask : null);
        var problems = new List<PairingProblem>();
        var pairs = new List<SamplePair>();
        if (sameFolder && Pairing.MaskPrefix + Pairing.MaskSuffix == Pairing.ImagePrefix + Pairing.ImageSuffix)
            throw new SharpSegException($"{SourcePath}: split '{s.Name}': images and masks are the same folder '{imagesDir}' and 'pairing' does not tell them apart, so every image would be its own mask; set pairing: {{ mask_suffix: '{SuggestedMaskSuffix(images.Select(i => i.Stem)) ?? "_mask"}' }} (the part a mask's name adds to its image's), or put the masks in their own folder.");

        Dictionary<string, List<string>>? masksByKey = null;
        if (masksDir != null)
        {
            masksByKey = new Dictionary<string, List<string>>(StringComparer.Ordinal);
            var (masks, unmatchedMasks) = KeyedFiles(masksDir, s.Recursive, Pairing.KeyOfMask);
            if (!sameFolder) unmatched += unmatchedMasks;
            foreach (var (key, _, path) in masks)
            {
                if (!masksByKey.TryGetValue(key, out var l)) masksByKey[key] = l = [];
                l.Add(path);
            }
            // Images and masks in one folder (told apart by prefix/suffix): the masks are not images.
            if (sameFolder && Pairing.MaskPrefix + Pairing.MaskSuffix != Pairing.ImagePrefix + Pairing.ImageSuffix)
            {
                var imagePathByKey = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (var i in images) imagePathByKey.TryAdd(i.Key, i.Path);
                var maskPaths = masks.Where(m => imagePathByKey.TryGetValue(m.Key, out var p) && p != m.Path).Select(m => m.Path).ToHashSet(StringComparer.Ordinal);
                images = images.Where(i => !maskPaths.Contains(i.Path)).ToList();
            }
        }

        HashSet<string>? selected = null;
        List<string> leftOutByIds = [];
        if (s.Ids != null)
        {
            var imageKeys = images.Select(i => i.Key).ToHashSet(StringComparer.Ordinal);
            var (ids, idsPath) = ReadIds(s, imageKeys);
            foreach (var (id, line) in ids)
                if (!imageKeys.Contains(id))
                    problems.Add(new PairingProblem(PairingProblemKind.MissingImage, idsPath,
                        $"{idsPath}:{line}: '{id}' has no image '{Pairing.ImageStemFor(id)}.*' in '{imagesDir}'; add the image or remove the line."));
            selected = ids.Select(i => i.Id).ToHashSet(StringComparer.Ordinal);
            leftOutByIds = images.Where(i => !selected.Contains(i.Key)).Select(i => i.Path).ToList();
            images = images.Where(i => selected.Contains(i.Key)).ToList();
        }
        if (images.Count == 0 && problems.Count == 0)
            throw new SharpSegException($"{SourcePath}: split '{s.Name}': no images ({string.Join(", ", ImageExtensions)}) in folder '{imagesDir}'{NoImagesHint(s, imagesDir)}; check splits.{s.Name}.images and the root.");

        Dictionary<string, string>? maskKeysIgnoringCase = null, imageKeysIgnoringCase = null;
        var usedMasks = new HashSet<string>(StringComparer.Ordinal);
        var imageKeysSeen = new Dictionary<string, string>(StringComparer.Ordinal);
        var imagePaths = images.Select(i => i.Path).ToHashSet(StringComparer.Ordinal);
        foreach (var (key, stem, img) in images)
        {
            if (imageKeysSeen.TryGetValue(key, out var other))
            {
                problems.Add(new PairingProblem(PairingProblemKind.DuplicateStem, img,
                    $"{img}: two images with stem '{stem}' ({Path.GetFileName(other)} and {Path.GetFileName(img)}); pairing is by stem, so remove or rename one."));
                continue;
            }
            imageKeysSeen[key] = img;
            if (masksByKey == null) { pairs.Add(new SamplePair(key, img, null)); continue; }
            if (!masksByKey.TryGetValue(key, out var masks) && MissingMaskClass is { } fill)
            {
                // x_mask_1.png or x_superpixels.png beside x.png and its mask: an extra file of x, not an image of its own.
                if (ExtendsKey(key, masksByKey.ContainsKey) is { } of)
                {
                    problems.Add(new PairingProblem(PairingProblemKind.MissingMask, img,
                        $"{img}: named as image '{of}' plus a suffix, so likely an extra file of it (a second mask, a rendering), not an image to read as all '{Classes[fill].Name}' (mask.missing); move it out of the images folder, or list the images in an ids file."));
                    continue;
                }
                pairs.Add(new SamplePair(key, img, null) { FillClass = fill });
                continue;
            }
            if (masks == null)
            {
                string maskStem = Pairing.MaskStemFor(key[(key.LastIndexOf('/') + 1)..]);
                string where = key.Contains('/') ? Path.Combine(masksDir!, key[..key.LastIndexOf('/')]) : masksDir!;
                problems.Add(new PairingProblem(PairingProblemKind.MissingMask, img, UnreadableMaskFile(where, maskStem) is { } wrongFormat
                    ? $"{img}: its mask '{Path.GetFileName(wrongFormat)}' is in a format SharpSeg does not read ({Path.GetExtension(wrongFormat)}); save the masks as PNG (or TIFF, or NumPy .npy), one class value or colour per pixel."
                    : CaseTwin(ref maskKeysIgnoringCase, masksByKey.Keys, key) is { } twin
                    ? $"{img}: no mask '{maskStem}.*' in '{where}', but '{Path.GetFileName(masksByKey[twin][0])}' differs from it {TwinDifference(twin, key)}: rename the mask or the image so they match."
                    : $"{img}: no mask '{maskStem}.*' in '{where}'; add the mask, remove the image, or fix 'pairing' (mask_prefix/mask_suffix{(Pairing.FiltersImages ? ", image_prefix/image_suffix" : "")}), or set mask.missing: <class> if an image without a mask is all that class."));
                continue;
            }
            usedMasks.Add(key);
            if (masks.Count > 1)
            {
                problems.Add(new PairingProblem(PairingProblemKind.DuplicateStem, masks[1],
                    $"{masks[1]}: two masks for image {Path.GetFileName(img)} ({string.Join(", ", masks.Select(Path.GetFileName))}); remove one."));
                continue;
            }
            pairs.Add(new SamplePair(key, img, masks[0]));
        }
        // A mask without an image is a problem, except where an ids file chose a subset of the images (the other
        // masks belong to other splits, as in VOC's one SegmentationClass folder).
        if (masksByKey != null && selected == null)
            foreach (var (key, masks) in masksByKey)
            {
                if (usedMasks.Contains(key)) continue;
                foreach (var m in masks)
                {
                    if (sameFolder && imagePaths.Contains(m)) continue;
                    problems.Add(new PairingProblem(PairingProblemKind.MissingImage, m, CaseTwin(ref imageKeysIgnoringCase, imageKeysSeen.Keys, key) is { } twin
                        ? $"{m}: mask has no image with stem '{Pairing.ImageStemFor(key[(key.LastIndexOf('/') + 1)..])}', but '{Path.GetFileName(imageKeysSeen[twin])}' differs from it {TwinDifference(twin, key)}: rename one so they match."
                        : $"{m}: mask has no image (expected an image with stem '{Pairing.ImageStemFor(key[(key.LastIndexOf('/') + 1)..])}' in '{imagesDir}'); add the image or remove the mask."));
                }
            }
        problems.Sort((a, b) => string.CompareOrdinal(a.File, b.File));
        if (s.Roi != null) pairs = WithRois(s, pairs, problems);
        return new SplitListing(s.Name, pairs, problems) { Unmatched = unmatched, LeftOutByIds = leftOutByIds };
    }

    /// <summary>Why a folder may look empty: its images are in subfolders (recursive: true), or none matches the pairing.</summary>
    /// <summary>Each pair with its ROI file (<c>{roi_prefix}{image stem}{roi_suffix}</c> in the split's <c>roi</c>
    /// folder, in the image's relative subfolder); a pair without one is a problem, and left out.</summary>
    List<SamplePair> WithRois(SplitSource s, List<SamplePair> pairs, List<PairingProblem> problems)
    {
        string roiDir = FolderOf(s, s.Roi!, "roi");
        string imagesDir = FolderOf(s, s.Images!, "images");
        var rois = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var path in ImageFolder.List(roiDir, s.Recursive))
            rois.TryAdd(Path.ChangeExtension(Path.GetRelativePath(roiDir, path), null).Replace('\\', '/'), path);
        var result = new List<SamplePair>(pairs.Count);
        foreach (var p in pairs)
        {
            string rel = Path.ChangeExtension(Path.GetRelativePath(imagesDir, p.ImagePath), null).Replace('\\', '/');
            int slash = rel.LastIndexOf('/');
            string want = rel[..(slash + 1)] + Pairing.RoiPrefix + rel[(slash + 1)..] + Pairing.RoiSuffix;
            if (rois.TryGetValue(want, out var roi)) result.Add(p with { RoiPath = roi });
            else problems.Add(new PairingProblem(PairingProblemKind.MissingRoi, p.ImagePath,
                $"{p.ImagePath}: no region-of-interest file '{want}.*' in '{roiDir}'; add it, or fix splits.{s.Name}.roi or pairing.roi_prefix/roi_suffix."));
        }
        return result;
    }

    /// <summary>The key that <paramref name="key"/> extends by a separator and a suffix that names an annotation or a
    /// rendering (<c>x_mask_1</c> and <c>x_superpixels</c> extend <c>x</c>; <c>benign (4)_mask_1</c> extends
    /// <c>benign (4)</c>; <c>part_001_b</c>, another view, extends nothing) among those <paramref name="paired"/>
    /// accepts, longest first; null when none.</summary>
    internal static string? ExtendsKey(string key, Func<string, bool> paired)
    {
        for (int i = key.Length - 1; i > 0; i--)
            if (key[i] is '_' or '-' or ' ' or '.' && ExtraFileSuffix.IsMatch(key[i..]) && paired(key[..i])) return key[..i];
        return null;
    }

    static readonly System.Text.RegularExpressions.Regex ExtraFileSuffix = new(
        @"^[_\- .](masks?|labels?|gt|seg|segmentation|anno|annotations?|superpixels?|overlay|colou?r|vis|viz|instances?|boundary|edges?|depth)([_\- .]?\d+)?$",
        System.Text.RegularExpressions.RegexOptions.IgnoreCase);

    /// <summary>A file named like the missing mask but with an extension SharpSeg does not read (<c>.mat</c>, <c>.nii</c>,
    /// <c>.json</c>), or null: the mask is there, in the wrong format, rather than missing.</summary>
    internal static string? UnreadableMaskFile(string folder, string maskStem)
    {
        try
        {
            return Directory.Exists(folder)
                ? Directory.EnumerateFiles(folder, maskStem + ".*").FirstOrDefault(f => Path.GetFileNameWithoutExtension(f) == maskStem && !ImageFolder.IsImage(f))
                : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    /// <summary>The affix that most often turns one stem of a folder into another (<c>img_001</c> → <c>img_001_mask</c>:
    /// <c>_mask</c>), starting at a separator; null when none does.</summary>
    internal static string? SuggestedMaskSuffix(IEnumerable<string> stems)
    {
        var sorted = stems.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        var votes = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i + 1 < sorted.Length; i++)
            for (int j = i + 1; j < sorted.Length && j <= i + 4 && sorted[j].StartsWith(sorted[i], StringComparison.Ordinal); j++)
            {
                string tail = sorted[j][sorted[i].Length..];
                if ("_-. ".Contains(tail[0])) votes[tail] = votes.GetValueOrDefault(tail) + 1;
            }
        return votes.Count == 0 ? null : votes.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).First().Key;
    }

    string NoImagesHint(SplitSource s, string imagesDir)
    {
        if (!s.Recursive && ImageFolder.List(imagesDir, recursive: true).Count > 0)
            return $" (its subfolders hold images: add 'recursive: true' to splits.{s.Name})";
        if (Pairing.FiltersImages && ImageFolder.List(imagesDir, s.Recursive).Count > 0)
            return $" whose stem has the form '{Pairing.ImageStemFor("…")}' (pairing.image_prefix/image_suffix)";
        return "";
    }

    /// <summary>The keys of a split's ids file with their line numbers: the first word of each line (Pascal VOC's lists
    /// add a second), or the whole line where it names an image of <paramref name="imageKeys"/> (a name with spaces);
    /// '#' comments and blank lines skipped.</summary>
    (List<(string Id, int Line)> Ids, string Path) ReadIds(SplitSource s, IReadOnlySet<string> imageKeys)
    {
        string path = SplitFile(s, s.Ids!, "ids");
        var ids = new List<(string, int)>();
        int lineNo = 0;
        foreach (var raw in File.ReadLines(path))
        {
            lineNo++;
            string line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            // A line may name the file ("2007_000032.jpg"): the key is its stem.
            static string Key(string name) => ImageFolder.IsImage(name) ? name[..^System.IO.Path.GetExtension(name).Length] : name;
            string whole = Key(line.Replace('\\', '/'));
            string id = imageKeys.Contains(whole) ? whole : Key(line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)[0].Replace('\\', '/'));
            ids.Add((id, lineNo));
        }
        if (ids.Count == 0) throw new SharpSegException($"{path}: ids file of split '{s.Name}' names no images; add one image key (file stem) per line.");
        return (ids, path);
    }

    /// <summary>A file a split names (its list or ids file): looked up in the root, then beside the yaml.</summary>
    string SplitFile(SplitSource s, string relative, string key)
    {
        string inRoot = System.IO.Path.GetFullPath(System.IO.Path.Combine(Root, Portable(relative, p => File.Exists(System.IO.Path.Combine(Root, p)))));
        string inYamlFolder = System.IO.Path.GetFullPath(System.IO.Path.Combine(YamlFolder, Portable(relative, p => File.Exists(System.IO.Path.Combine(YamlFolder, p)))));
        return File.Exists(inRoot) ? inRoot : File.Exists(inYamlFolder) ? inYamlFolder
            : throw new SharpSegException($"{SourcePath}: split '{s.Name}': {key} file '{relative}' not found (looked in the root {Root} and beside the yaml); fix splits.{s.Name}.{key}.");
    }

    SplitListing ListFromFile(SplitSource s)
    {
        string InRoot(string listed) => Path.GetFullPath(Path.Combine(Root, Portable(listed, p => File.Exists(Path.Combine(Root, p)))));
        string listPath = SplitFile(s, s.List!, "list");
        var pairs = new List<SamplePair>();
        var problems = new List<PairingProblem>();
        int lineNo = 0;
        foreach (var raw in File.ReadLines(listPath))
        {
            lineNo++;
            string line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 1 && (parts[0].Contains(',') || parts[0].Contains(';')) && !File.Exists(Path.Combine(Root, parts[0])))
            {
                problems.Add(new PairingProblem(PairingProblemKind.BadListLine, listPath,
                    $"{listPath}:{lineNo}: '{line}' looks like a CSV line; a list file holds 'image_path mask_path' separated by spaces: replace the {(parts[0].Contains(',') ? "comma" : "semicolon")} by a space and remove any header line."));
                continue;
            }
            if (parts.Length > 2)
            {
                problems.Add(new PairingProblem(PairingProblemKind.BadListLine, listPath,
                    $"{listPath}:{lineNo}: expected 'image_path mask_path', found {parts.Length} fields; paths with spaces are not supported in list files."));
                continue;
            }
            string img = InRoot(parts[0]);
            string? mask = parts.Length == 2 ? InRoot(parts[1]) : null;
            bool ok = true;
            if (!File.Exists(img))
            {
                problems.Add(new PairingProblem(PairingProblemKind.MissingImage, img, $"{img}: image not found (line {lineNo} of {listPath}); fix the line or the root."));
                ok = false;
            }
            if (mask != null && !File.Exists(mask))
            {
                problems.Add(new PairingProblem(PairingProblemKind.MissingMask, mask, $"{mask}: mask not found (line {lineNo} of {listPath}); fix the line or the root."));
                ok = false;
            }
            if (ok) pairs.Add(new SamplePair(Path.GetFileNameWithoutExtension(img), img, mask));
        }
        if (pairs.Count == 0 && problems.Count == 0)
            throw new SharpSegException($"{listPath}: list file of split '{s.Name}' names no images; add 'image_path mask_path' lines.");
        return new SplitListing(s.Name, pairs, problems);
    }
}
