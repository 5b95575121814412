using System.Globalization;
using SharpSeg.Imaging;
using YamlDotNet.RepresentationModel;
using SharpSeg.Data.Masks;

namespace SharpSeg.Data.Dataset;

/// <summary>
/// Reads dataset.yaml strictly: every key is checked against the documented ones, every error is one line
/// "file:line: what is wrong; how to fix it".
/// </summary>
internal sealed class DatasetYamlReader
{
    static readonly string[] TopKeys = ["name", "root", "splits", "pairing", "image_channels", "image_range", "mask", "classes", "volumes"];
    static readonly string[] VolumeKeys = ["axis", "window", "channels", "label_values"];
    static readonly string[] SplitKeys = ["images", "masks", "list", "recursive", "ids", "roi"];
    static readonly string[] PairingKeys = ["mask_suffix", "mask_prefix", "image_suffix", "image_prefix", "roi_prefix", "roi_suffix"];
    static readonly string[] MaskKeys = ["encoding", "ignore_values", "ignore_colors", "color_tolerance", "unmatched", "threshold", "ignore_band", "missing"];
    static readonly string[] ClassKeys = ["name", "color", "value"];

    readonly string _source;

    DatasetYamlReader(string source) => _source = source;

    public static DatasetSpec Read(string yamlText, string sourcePath, string? dataRoot)
    {
        var reader = new DatasetYamlReader(sourcePath);
        return reader.ReadSpec(yamlText, dataRoot);
    }

    DatasetSpec ReadSpec(string text, string? dataRoot)
    {
        var stream = Configuration.YamlLoader.Load(text, _source);
        if (stream.Documents.Count == 0) throw new SharpSegException($"{_source}: the file is empty; it needs at least 'splits' and 'classes' (see configs/datasets/camvid.yaml).");
        var top = Mapping(stream.Documents[0].RootNode, "the top level");
        CheckKeys(top, TopKeys, "");

        string name = OptionalString(top, "name") ?? Path.GetFileNameWithoutExtension(_source);
        if (name.Length == 0) name = Path.GetFileNameWithoutExtension(_source);
        string yamlFolder = Path.GetDirectoryName(Path.GetFullPath(_source))!;

        string root;
        if (dataRoot != null)
        {
            root = Path.GetFullPath(dataRoot);
            if (!Directory.Exists(root)) throw new SharpSegException($"data root '{root}' (from --data-root) does not exist; pass the folder that holds the dataset.");
        }
        else
        {
            string? rootText = OptionalString(top, "root");
            root = string.IsNullOrEmpty(rootText) ? yamlFolder : Path.GetFullPath(Path.Combine(yamlFolder, rootText));
            if (!Directory.Exists(root))
                throw new SharpSegException($"{_source}:{Line(top, "root")}: dataset root '{root}' does not exist (root: {rootText}, relative to the yaml's folder); fix 'root' or pass --data-root DIR.");
        }

        int channels = 3;
        if (Find(top, "image_channels") is { } chNode)
        {
            channels = Int(chNode, "image_channels");
            if (channels is not (1 or 3)) throw Error(chNode, $"image_channels must be 1 (grayscale) or 3 (RGB), got {channels}; fix it.");
        }

        IntensityRange? range = null;
        if (Find(top, "image_range") is { } rangeNode)
        {
            var values = Sequence(rangeNode, "image_range").Select(n => Int(n, "image_range")).ToArray();
            if (values.Length != 2) throw Error(rangeNode, $"image_range is [low, high], two raw 16-bit sample values, got {values.Length} values; fix it.");
            if (IntensityRange.Problem(values[0], values[1]) is { } problem) throw Error(rangeNode, problem + "; fix it ('sharpseg data init' drafts it from the images).");
            range = new IntensityRange(values[0], values[1]);
        }

        var pairing = PairingRule.SameStem;
        if (Find(top, "pairing") is { } pairNode)
        {
            var pm = Mapping(pairNode, "pairing");
            CheckKeys(pm, PairingKeys, "pairing.");
            pairing = new PairingRule(OptionalString(pm, "mask_prefix") ?? "", OptionalString(pm, "mask_suffix") ?? "",
                OptionalString(pm, "image_prefix") ?? "", OptionalString(pm, "image_suffix") ?? "")
            {
                RoiPrefix = OptionalString(pm, "roi_prefix") ?? "", RoiSuffix = OptionalString(pm, "roi_suffix") ?? "",
            };
        }

        var mask = ReadMask(Find(top, "mask"));
        var classes = ReadClasses(top, mask);
        int? missingClass = null;
        if (Find(top, "mask") is YamlMappingNode maskNode && Find(maskNode, "missing") is { } missingNode)
        {
            string missing = Scalar(missingNode, "mask.missing");
            int index = classes.Names.ToList().IndexOf(missing);
            if (index < 0) throw Error(missingNode, $"mask.missing names class '{missing}', which is not in classes{Configuration.NearestName.Hint(missing, classes.Names)}; name the class that an image without a mask file is entirely (e.g. the background).");
            missingClass = index;
        }
        var splits = ReadSplits(top);
        VolumeSlicing? volumes = null;
        if (Find(top, "volumes") is { } volNode)
        {
            var vm = Mapping(volNode, "volumes");
            CheckKeys(vm, VolumeKeys, "volumes.");
            volumes = new VolumeSlicing
            {
                Axis = Find(vm, "axis") is { } a ? Int(a, "volumes.axis") : 2,
                Window = Find(vm, "window") is { } w ? Sequence(w, "volumes.window").Select(n => double.TryParse(Scalar(n, "volumes.window"), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double v) ? v : throw Error(n, "volumes.window holds a value that is not a number.")).ToArray() : null,
                Channels = Find(vm, "channels") is { } c ? Sequence(c, "volumes.channels").Select(n => Int(n, "volumes.channels")).ToArray() : null,
                LabelValues = Find(vm, "label_values") is { } lv ? Sequence(lv, "volumes.label_values").Select(n => Int(n, "volumes.label_values")).ToArray() : null,
            };
            if (volumes.Problem(classes.Names.Count) is { } problem)
                throw Error(volNode, $"volumes: {problem}; it says how 'data from-nifti' cut the volumes and, in label_values, each class's value in the label volumes in class order, e.g. volumes: {{ axis: 2, window: [-160, 240], label_values: [0, 1, 2, 4] }}.");
        }
        return new DatasetSpec(name, root, _source, yamlFolder, classes, channels, mask, pairing, splits) { ImageRange = range, MissingMaskClass = missingClass, VolumeSlicing = volumes };
    }

    MaskEncoding ReadMask(YamlNode? node)
    {
        if (node == null) return MaskEncoding.Default;
        var m = Mapping(node, "mask");
        CheckKeys(m, MaskKeys, "mask.");
        var kind = MaskEncodingKind.Index;
        if (Find(m, "encoding") is { } encNode)
        {
            string enc = Scalar(encNode, "mask.encoding");
            kind = enc switch
            {
                "index" => MaskEncodingKind.Index,
                "rgb" => MaskEncodingKind.Rgb,
                "threshold" => MaskEncodingKind.Threshold,
                _ => throw Error(encNode, $"mask.encoding must be 'index' (one value per pixel, gray or palette), 'rgb' (one colour per class) or 'threshold' (two classes split at a gray value), got '{enc}'{Configuration.NearestName.Hint(enc, ["index", "rgb", "threshold"])}."),
            };
        }
        IReadOnlyList<int> ignoreValues = kind == MaskEncodingKind.Index ? [255] : [];
        if (Find(m, "ignore_values") is { } ivNode)
        {
            if (kind != MaskEncodingKind.Index) throw Error(ivNode, "mask.ignore_values is for index encoding; with encoding: rgb list ignore colours in mask.ignore_colors.");
            ignoreValues = Sequence(ivNode, "mask.ignore_values").Select(n => Value(n, "mask.ignore_values")).ToArray();
        }
        IReadOnlyList<Rgb> ignoreColors = [];
        if (Find(m, "ignore_colors") is { } icNode)
        {
            if (kind != MaskEncodingKind.Rgb) throw Error(icNode, "mask.ignore_colors is for encoding: rgb; index masks list ignore values in mask.ignore_values.");
            ignoreColors = Sequence(icNode, "mask.ignore_colors").Select(n => Color(n, "mask.ignore_colors")).ToArray();
        }
        int tolerance = 0;
        if (Find(m, "color_tolerance") is { } tolNode)
        {
            if (kind != MaskEncodingKind.Rgb) throw Error(tolNode, "mask.color_tolerance is for encoding: rgb; remove it.");
            tolerance = Int(tolNode, "mask.color_tolerance");
            if (tolerance is < 0 or > 255) throw Error(tolNode, $"mask.color_tolerance is a per-channel difference 0..255, got {tolerance}.");
        }
        bool ignoreUnmatched = false;
        if (Find(m, "unmatched") is { } unNode)
        {
            if (kind != MaskEncodingKind.Rgb) throw Error(unNode, "mask.unmatched is for encoding: rgb (colours that match no class); remove it.");
            string policy = Scalar(unNode, "mask.unmatched");
            ignoreUnmatched = policy switch
            {
                "ignore" => true,
                "error" => false,
                _ => throw Error(unNode, $"mask.unmatched must be 'error' (a colour that matches no class is a problem) or 'ignore' (its pixels are ignored, for JPEG masks), got '{policy}'."),
            };
        }
        int threshold = 128;
        if (Find(m, "threshold") is { } thNode)
        {
            if (kind != MaskEncodingKind.Threshold) throw Error(thNode, "mask.threshold is for encoding: threshold (binary masks with soft edges); remove it or set encoding: threshold.");
            threshold = Int(thNode, "mask.threshold");
            if (threshold is < 1 or > 65535) throw Error(thNode, $"mask.threshold is a mask file value 1..65535 (128 for 8-bit 0/255 masks), got {threshold}.");
        }
        (int, int)? band = null;
        if (Find(m, "ignore_band") is { } bandNode)
        {
            if (kind != MaskEncodingKind.Threshold) throw Error(bandNode, "mask.ignore_band is for encoding: threshold; index masks list ignore values in mask.ignore_values.");
            var b = Sequence(bandNode, "mask.ignore_band").Select(n => Value(n, "mask.ignore_band")).ToArray();
            if (b.Length != 2 || b[0] > b[1]) throw Error(bandNode, "mask.ignore_band must be [low, high] with low <= high, e.g. [64, 192]: file values in that range (both included) are ignored.");
            band = (b[0], b[1]);
        }
        if (kind == MaskEncodingKind.Threshold) ignoreValues = [];
        return new MaskEncoding(kind, ignoreValues, ignoreColors, tolerance) { Threshold = threshold, IgnoreBand = band, IgnoreUnmatched = ignoreUnmatched };
    }

    ClassTable ReadClasses(YamlMappingNode top, MaskEncoding mask)
    {
        var node = Find(top, "classes") ?? throw new SharpSegException($"{_source}: 'classes' is missing; list the classes, e.g. classes: [{{ name: background }}, {{ name: cell }}].");
        var items = Sequence(node, "classes");
        if (items.Count == 0) throw Error(node, "'classes' is empty; list at least one class.");
        if (items.Count > LabelMask.MaxClasses) throw Error(node, $"{items.Count} classes listed; SharpSeg supports at most {LabelMask.MaxClasses} (index 255 is reserved for ignore).");
        if (mask.Kind == MaskEncodingKind.Threshold && items.Count != 2)
            throw Error(node, $"encoding: threshold has two classes (below the threshold, then at or above it), {items.Count} listed; list two, e.g. [{{ name: background }}, {{ name: foreground }}].");
        var list = new List<ClassInfo>();
        var byName = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        var names = new List<string>();
        var byValue = new Dictionary<int, int>();
        var positional = new HashSet<int>();   // classes without a value: they take their position
        var byColor = new Dictionary<Rgb, int>();
        for (int i = 0; i < items.Count; i++)
        {
            if (items[i] is YamlScalarNode bare)
                throw Error(bare, $"classes[{i}] is '{bare.Value}': write each class as a mapping, e.g. '- {{ name: {(string.IsNullOrEmpty(bare.Value) ? "background" : bare.Value)} }}' (with value: or color: where the masks need them).");
            var cm = Mapping(items[i], $"classes[{i}]");
            CheckKeys(cm, ClassKeys, "classes[].");
            var nameNode = Find(cm, "name") ?? throw Error(cm, $"class #{i} has no 'name'; add name: ...");
            string name = Scalar(nameNode, "classes[].name");
            if (name.Length == 0) throw Error(nameNode, $"class #{i} has an empty name; give it a name.");
            if (byName.TryGetValue(name, out int first))
                throw Error(nameNode, names[first] == name
                    ? $"class '{name}' is listed twice (positions {first} and {i}); remove one or rename it."
                    : $"classes '{names[first]}' (position {first}) and '{name}' (position {i}) differ only in letter case; class names are matched without case (--class-target), so rename one.");
            byName[name] = i;
            names.Add(name);

            var colorNode = Find(cm, "color");
            Rgb? color = colorNode == null ? null : Color(colorNode, $"color of class '{name}'");
            var valueNode = Find(cm, "value");
            int? value = null;
            int[] moreValues = [];
            if (mask.Kind == MaskEncodingKind.Index)
            {
                // One value, or a list: several mask values read as one class (Cityscapes' ids 7 and 8 as 'flat').
                int[] values = valueNode is YamlSequenceNode several
                    ? several.Children.Count > 0 ? several.Children.Select(n => Value(n, $"value of class '{name}'")).ToArray()
                      : throw Error(valueNode, $"value of class '{name}' is an empty list; give one value or several, e.g. value: [7, 8].")
                    : [valueNode == null ? i : Value(valueNode, $"value of class '{name}'")];
                foreach (int v in values)
                {
                    if (byValue.TryGetValue(v, out int other))
                        throw Error(valueNode ?? cm, other == i
                            ? $"value {v} is listed twice for class '{name}'; list it once."
                            : $"value {v} is listed twice (classes '{list[other].Name}' and '{name}'); each value belongs to one class."
                              + (valueNode == null ? $" Class '{name}' has no 'value', so it takes its position in classes ({i}): give it its own value."
                                 : positional.Contains(other) ? $" Class '{list[other].Name}' has no 'value', so it takes its position in classes ({other}): give it its own value." : ""));
                    byValue[v] = i;
                    if (valueNode == null) positional.Add(i);
                    if (mask.IgnoreValues.Contains(v))
                        throw Error(valueNode ?? cm, $"value {v} is both class '{name}' and an ignore value; fix mask.ignore_values (the default is [255]; write ignore_values: [] for none).");
                }
                value = values[0];
                moreValues = values[1..];
            }
            else if (mask.Kind == MaskEncodingKind.Threshold)
            {
                if (valueNode != null) throw Error(valueNode, $"class '{name}' has a 'value', but with encoding: threshold the first class is below mask.threshold and the second at or above it; remove 'value'.");
            }
            else
            {
                if (valueNode != null) throw Error(valueNode, $"class '{name}' has a 'value', but encoding: rgb matches classes by 'color'; remove 'value' or use encoding: index.");
                if (color == null) throw Error(cm, $"class '{name}' has no 'color'; with encoding: rgb every class needs the colour its pixels have in the mask files, e.g. color: [128, 64, 128].");
                if (byColor.TryGetValue(color.Value, out int other))
                    throw Error(colorNode!, $"colour {color} is listed twice (classes '{list[other].Name}' and '{name}'); each class needs its own colour.");
                byColor[color.Value] = i;
                if (mask.IgnoreColors.Contains(color.Value))
                    throw Error(colorNode!, $"colour {color} is both class '{name}' and an ignore colour; fix mask.ignore_colors.");
            }
            list.Add(new ClassInfo(name, color ?? ClassTable.DefaultColor(i), value) { MoreValues = moreValues });
        }
        return new ClassTable(list);
    }

    IReadOnlyList<SplitSource> ReadSplits(YamlMappingNode top)
    {
        var node = Find(top, "splits") ?? throw new SharpSegException($"{_source}: 'splits' is missing; add e.g. splits: {{ train: {{ images: train/images, masks: train/masks }} }}.");
        var m = Mapping(node, "splits");
        if (m.Children.Count == 0) throw Error(node, "'splits' is empty; list at least one split.");
        var result = new List<SplitSource>();
        foreach (var (keyNode, valueNode) in m.Children)
        {
            string split = ((YamlScalarNode)keyNode).Value ?? "";
            var sm = Mapping(valueNode, $"splits.{split}");
            CheckKeys(sm, SplitKeys, $"splits.{split}.");
            string? images = OptionalString(sm, "images"), masks = OptionalString(sm, "masks"), list = OptionalString(sm, "list");
            if (list != null && (images != null || masks != null))
                throw Error(valueNode, $"split '{split}' has both 'list' and 'images'/'masks'; use one or the other.");
            if (list == null && images == null)
                throw Error(valueNode, $"split '{split}' needs 'images' (a folder, with 'masks' for labelled data) or 'list' (a file of 'image mask' lines).");
            string? ids = OptionalString(sm, "ids");
            string? roi = OptionalString(sm, "roi");
            if (roi != null && (list != null || masks == null))
                throw Error(valueNode, $"split '{split}' has 'roi' without 'images' and 'masks' folders; a region of interest applies to labelled folder splits.");
            bool recursive = false;
            if (Find(sm, "recursive") is { } recNode)
            {
                string r = Scalar(recNode, $"splits.{split}.recursive").Trim().ToLowerInvariant();
                recursive = r switch { "true" or "yes" => true, "false" or "no" => false, _ => throw Error(recNode, $"splits.{split}.recursive must be true or false, got '{r}'.") };
            }
            if (list != null && (ids != null || recursive))
                throw Error(valueNode, $"split '{split}' has 'list' with '{(ids != null ? "ids" : "recursive")}', which only applies to 'images'/'masks' folders; a list file already names every file.");
            result.Add(new SplitSource(split, images, masks, list) { Recursive = recursive, Ids = ids, Roi = roi });
        }
        return result;
    }

    // ---- node helpers ----

    YamlMappingNode Mapping(YamlNode node, string what) =>
        node as YamlMappingNode ?? throw Error(node, $"{what} must be a mapping of 'key: value' entries.");

    IReadOnlyList<YamlNode> Sequence(YamlNode node, string what) =>
        node as YamlSequenceNode is { } s ? s.Children.ToArray() : throw Error(node, $"{what} must be a list, e.g. [1, 2] or '- item' lines.");

    string Scalar(YamlNode node, string what) =>
        node is YamlScalarNode s ? s.Value ?? "" : throw Error(node, $"{what} must be a single value, not a list or mapping.");

    string? OptionalString(YamlMappingNode m, string key) => Find(m, key) is { } n ? Scalar(n, key) : null;

    int Int(YamlNode node, string what)
    {
        string s = Scalar(node, what);
        return int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v)
            ? v : throw Error(node, $"{what} must be a whole number, got '{s}'.");
    }

    int Value(YamlNode node, string what)
    {
        int v = Int(node, what);
        return v is >= 0 and <= 65535 ? v : throw Error(node, $"{what} must be a mask file value 0..65535, got {v}.");
    }

    Rgb Color(YamlNode node, string what)
    {
        var items = node as YamlSequenceNode;
        if (items == null || items.Children.Count != 3) throw Error(node, $"{what} must be [r, g, b] with three values 0..255.");
        var c = items.Children.Select(n => Int(n, what)).ToArray();
        if (c.Any(x => x is < 0 or > 255)) throw Error(node, $"{what} must be [r, g, b] with values 0..255, got [{string.Join(", ", c)}].");
        return new Rgb((byte)c[0], (byte)c[1], (byte)c[2]);
    }

    static YamlNode? Find(YamlMappingNode m, string key)
    {
        foreach (var (k, v) in m.Children)
            if (k is YamlScalarNode s && s.Value == key) return v;
        return null;
    }

    long Line(YamlMappingNode m, string key) => Find(m, key)?.Start.Line ?? m.Start.Line;

    void CheckKeys(YamlMappingNode m, string[] valid, string prefix)
    {
        foreach (var (k, _) in m.Children)
        {
            string key = (k as YamlScalarNode)?.Value ?? "?";
            if (!valid.Contains(key))
                throw Error(k, $"unknown key '{prefix}{key}'{Configuration.NearestName.Hint(key, valid)}.".Replace("did you mean '", $"did you mean '{prefix}"));
        }
    }

    SharpSegException Error(YamlNode node, string message) => new($"{_source}:{node.Start.Line}: {message}");

}
