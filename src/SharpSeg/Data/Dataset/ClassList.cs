using System.Globalization;
using System.Text.RegularExpressions;
using SharpSeg.Imaging;

namespace SharpSeg.Data.Dataset;

/// <summary>One class of a <see cref="ClassList"/>: its name, the mask value it is written as (given, or its place in
/// the list), and its colour where the list gives one.</summary>
public sealed record ClassListEntry(string Name, int Value, Rgb? Color);

/// <summary>
/// The class names a dataset ships beside its masks, as annotation tools and dataset sites write them, read so that
/// <c>data init</c> drafts real names instead of placeholders:
/// <list type="bullet">
/// <item>Roboflow's <c>_classes.csv</c> (<c>Pixel Value, Class</c>) and other CSVs with a name column and a value
/// column (<c>id</c>, <c>index</c>, <c>value</c>) or <c>r, g, b</c> columns (Kaggle's <c>class_dict.csv</c>:
/// <c>name,r,g,b</c>);</item>
/// <item>CVAT's and Datumaro's <c>labelmap.txt</c> (<c>name:r,g,b:parts:actions</c>, Pascal VOC's layout);</item>
/// <item>CamVid's <c>label_colors.txt</c> (<c>r g b name</c>);</item>
/// <item>a <c>classes.txt</c> with one name per line, or <c>id name</c> per line;</item>
/// <item>JSON: the Decathlon's and nnU-Net's <c>dataset.json</c>, Mapillary's <c>config.json</c>, Supervisely's
/// <c>obj_class_to_machine_color.json</c> and <c>meta.json</c>, a list of names or a map of names and values.</item>
/// </list>
/// Without a value column a class's value is its place in the list (0, 1, ...), as these tools number them.
/// </summary>
public sealed class ClassList
{
    ClassList(string source, IReadOnlyList<ClassListEntry> entries, bool valuesGiven)
    {
        Source = source; Entries = entries; ValuesGiven = valuesGiven;
    }

    /// <summary>Where the list came from: a file path, or <c>--classes</c>.</summary>
    public string Source { get; }

    /// <summary>The classes, in the list's order.</summary>
    public IReadOnlyList<ClassListEntry> Entries { get; }

    /// <summary>Whether the list gives each class's mask value (otherwise a class's value is its place in the list).</summary>
    public bool ValuesGiven { get; }

    /// <summary>Whether the list gives a colour for every class.</summary>
    public bool HasColors => Entries.All(e => e.Color != null);

    /// <summary>File names (compared ignoring case) that <see cref="Find"/> takes for a class list, best first.</summary>
    public static readonly IReadOnlyList<string> FileNames =
        ["_classes.csv", "class_dict.csv", "labelmap.txt", "label_colors.txt", "label_colours.txt", "objectinfo150.csv", "classes.csv", "classes.txt", "class_names.txt", "labels.txt",
         "obj_class_to_machine_color.json", "config_v2.0.json", "config_v1.2.json", "config.json", "dataset.json", "classes.json", "labels.json", "meta.json"];

    /// <summary>The names only a labelling tool or dataset writes (not a generic classes.txt), also looked for one folder
    /// further up (<see cref="Find"/>'s <c>above</c>: Supervisely keeps obj_class_to_machine_color.json above its datasets).</summary>
    public static readonly IReadOnlyList<string> ToolFileNames =
        ["_classes.csv", "class_dict.csv", "labelmap.txt", "obj_class_to_machine_color.json", "config_v2.0.json", "config_v1.2.json", "dataset.json", "meta.json"];

    /// <summary>A list from names given in order (value = place in the list), e.g. <c>--classes background,crack</c>.</summary>
    public static ClassList FromNames(IReadOnlyList<string> names, string source = "--classes") =>
        Checked(source, names.Select((n, i) => new ClassListEntry(n.Trim(), i, null)).ToList(), false);

    /// <summary>Reads a class-list file in one of the forms above; a file in none of them is one
    /// <see cref="SharpSegException"/> line naming it.</summary>
    public static ClassList Read(string path)
    {
        if (!File.Exists(path)) throw new SharpSegException($"'{path}' is not a file; give a class list (one name per line, a CSV with name and value or r,g,b columns, or CVAT's labelmap.txt).");
        List<string> lines;
        try { lines = File.ReadLines(path).Take(MaxLines + 1).Select(l => l.Trim().TrimStart('\uFEFF')).ToList(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new SharpSegException($"{path}: cannot be read ({e.Message})."); }
        if (lines.Count > MaxLines) throw new SharpSegException($"{path}: more than {MaxLines} lines; a class list names at most {LabelMask.MaxClasses} classes.");
        return Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".csv" => ReadCsv(path, lines),
            ".json" => ReadJson(path),
            _ => ReadText(path, lines),
        };
    }

    /// <summary>The first class list (by <see cref="FileNames"/>, in the first folder that has one) in
    /// <paramref name="folders"/>, or null. A file of a known name that does not read as a class list is skipped, and
    /// said in <paramref name="skipped"/>.</summary>
    public static ClassList? Find(IEnumerable<string> folders, out string? skipped, IEnumerable<string>? above = null)
    {
        skipped = null;
        var searched = folders.Distinct(StringComparer.Ordinal).Select(f => (Folder: f, Names: FileNames))
            .Concat((above ?? []).Select(f => (Folder: f, Names: ToolFileNames)));
        foreach (var (folder, names) in searched)
        {
            if (!Directory.Exists(folder)) continue;
            var files = Directory.EnumerateFiles(folder).ToDictionary(f => Path.GetFileName(f).ToLowerInvariant(), f => f, StringComparer.Ordinal);
            foreach (var name in names)
            {
                if (!files.TryGetValue(name, out var file)) continue;
                try { return Read(file); }
                // A JSON file of a common name (config.json) is often something else: only a list-shaped file's problem is said.
                catch (SharpSegException e) when (!file.EndsWith(".json", StringComparison.OrdinalIgnoreCase)) { skipped ??= e.Message; }
                catch (SharpSegException) { }
            }
        }
        return null;
    }

    /// <summary>Whether a class name says "not a class": void, unlabelled, ignore, don't care, unknown, no data (CamVid's
    /// void, Cityscapes' unlabeled, VOC's border, DeepGlobe's unknown, LoveDA's no-data).</summary>
    public static bool MeansIgnore(string name) =>
        Regex.IsMatch(name.Trim(), @"^(void|ignored?|unlabell?ed|un-labell?ed|border|don'?t[ _-]?care|dontcare|undefined|unknown|no[ _-]?data)$", RegexOptions.IgnoreCase);

    const int MaxLines = 100_000;

    static readonly string[] NameColumns = ["name", "class", "class_name", "classname", "class name", "label", "label_name", "category", "category_name"];
    static readonly string[] ValueColumns = ["pixel value", "pixel_value", "value", "id", "idx", "index", "class_id", "label_id", "class_index", "label_index", "pixel"];

    static ClassList ReadCsv(string path, List<string> lines)
    {
        var rows = lines.Where(l => l.Length > 0).Select(SplitCsv).ToList();
        if (rows.Count < 2) throw new SharpSegException($"{path}: a class list CSV has a header line and one line per class.");
        var header = rows[0].Select(h => h.Trim().ToLowerInvariant()).ToList();
        int Column(params string[] names) => header.FindIndex(h => names.Contains(h));
        int name = Column(NameColumns), value = Column(ValueColumns);
        int r = Column("r", "red"), g = Column("g", "green"), b = Column("b", "blue");
        if (name < 0) throw new SharpSegException($"{path}: no class name column in its header ({string.Join(", ", header)}); name one of them 'name' or 'class'.");
        if (name == value) value = -1;
        bool colours = r >= 0 && g >= 0 && b >= 0;
        var entries = new List<ClassListEntry>();
        for (int i = 1; i < rows.Count; i++)
        {
            var row = rows[i];
            string Cell(int c) => c < row.Count ? row[c].Trim() : throw new SharpSegException($"{path}:{i + 1}: {row.Count} columns, the header has {header.Count}.");
            int? v = value >= 0 ? Number(path, i + 1, Cell(value), 65535) : null;
            Rgb? colour = colours ? new Rgb((byte)Number(path, i + 1, Cell(r), 255), (byte)Number(path, i + 1, Cell(g), 255), (byte)Number(path, i + 1, Cell(b), 255)) : null;
            entries.Add(new ClassListEntry(Cell(name), v ?? i - 1, colour));
        }
        return Checked(path, entries, value >= 0);
    }

    static ClassList ReadText(string path, List<string> lines)
    {
        var content = lines.Select((l, i) => (Line: l, Number: i + 1)).Where(l => l.Line.Length > 0 && !l.Line.StartsWith('#')).ToList();
        if (content.Count == 0) throw new SharpSegException($"{path}: no class names in it.");
        var entries = new List<ClassListEntry>();
        // CVAT / Datumaro labelmap.txt: name:r,g,b:parts:actions.
        var labelmap = new Regex(@"^([^:]+):\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*(:.*)?$");
        // CamVid's label_colors.txt: r g b name.
        var rgbName = new Regex(@"^(\d+)\s+(\d+)\s+(\d+)\s+(\S.*)$");
        // id name, id: name, id,name.
        var idName = new Regex(@"^(\d+)\s*[:,\s]\s*(\S.*)$");
        if (content.All(l => labelmap.IsMatch(l.Line)) || content.All(l => rgbName.IsMatch(l.Line)))
        {
            bool cvat = labelmap.IsMatch(content[0].Line);
            foreach (var (line, number) in content)
            {
                var m = (cvat ? labelmap : rgbName).Match(line);
                int first = cvat ? 2 : 1;
                var colour = new Rgb((byte)Number(path, number, m.Groups[first].Value, 255), (byte)Number(path, number, m.Groups[first + 1].Value, 255), (byte)Number(path, number, m.Groups[first + 2].Value, 255));
                entries.Add(new ClassListEntry((cvat ? m.Groups[1].Value : m.Groups[4].Value).Trim(), entries.Count, colour));
            }
            return Checked(path, entries, false);
        }
        if (content.All(l => idName.IsMatch(l.Line)))
        {
            foreach (var (line, number) in content)
            {
                var m = idName.Match(line);
                entries.Add(new ClassListEntry(m.Groups[2].Value.Trim(), Number(path, number, m.Groups[1].Value, 65535), null));
            }
            return Checked(path, entries, true);
        }
        if (content.FirstOrDefault(l => l.Line.Contains(':') || l.Line.Contains(',')) is { Line: { } odd, Number: var at })
            throw new SharpSegException($"{path}:{at}: '{odd}' is not a class name; a class list has one name per line, 'id name', 'r g b name' or CVAT's 'name:r,g,b::'.");
        // One name per line, the line's place is the class value: a blank line between names would shift the rest.
        int firstLine = content[0].Number, lastLine = content[^1].Number;
        if (lines.Select((l, i) => (l, i + 1)).FirstOrDefault(x => x.Item2 > firstLine && x.Item2 < lastLine && x.l.Length == 0) is ({ }, var blank and > 0))
            throw new SharpSegException($"{path}:{blank}: a blank line between class names; each line's place is its class value, so remove it (or write 'id name' lines).");
        foreach (var (line, _) in content) entries.Add(new ClassListEntry(line, entries.Count, null));
        return Checked(path, entries, false);
    }

    /// <summary>The JSON forms: the Decathlon's and nnU-Net's dataset.json (<c>"labels": {"0": "background"}</c> or
    /// <c>{"background": 0}</c>), Mapillary's config.json (<c>"labels": [{"readable", "name", "color"}]</c>, the value
    /// its place), Supervisely's obj_class_to_machine_color.json (<c>{"car": [1, 1, 1]}</c>, the value the gray level
    /// of its machine masks; a map of names and colours that are not all gray is a list of class colours) and meta.json (<c>"classes": [{"title", "color": "#RRGGBB"}]</c>), a list of names, or a
    /// map between names and values.</summary>
    static ClassList ReadJson(string path)
    {
        using (var doc = IO.JsonFile.Parse(path, "fix the file (a JSON class list is a list of names, a map of names and values, or a 'labels' or 'classes' entry holding one)",
                   new System.Text.Json.JsonDocumentOptions { MaxDepth = 16, AllowTrailingCommas = true }))
        {
            var root = doc.RootElement;
            bool underLabels = root.ValueKind == System.Text.Json.JsonValueKind.Object && root.TryGetProperty("labels", out _);
            var body = root.ValueKind == System.Text.Json.JsonValueKind.Object && root.TryGetProperty("labels", out var labels) ? labels
                : root.ValueKind == System.Text.Json.JsonValueKind.Object && root.TryGetProperty("classes", out var classes) ? classes : root;
            var entries = new List<ClassListEntry>();
            bool valuesGiven = false;
            string NameOf(System.Text.Json.JsonElement e) => new[] { "readable", "title", "name", "class", "label" }
                .Select(k => e.TryGetProperty(k, out var v) && v.ValueKind == System.Text.Json.JsonValueKind.String ? v.GetString() : null)
                .FirstOrDefault(n => !string.IsNullOrWhiteSpace(n)) ?? throw new SharpSegException($"{path}: a class without a name ('name', 'readable' or 'title').");
            switch (body.ValueKind)
            {
                case System.Text.Json.JsonValueKind.Array:
                    foreach (var item in body.EnumerateArray())
                        entries.Add(item.ValueKind switch
                        {
                            System.Text.Json.JsonValueKind.String => new ClassListEntry(item.GetString()!, entries.Count, null),
                            System.Text.Json.JsonValueKind.Object => new ClassListEntry(NameOf(item), item.TryGetProperty("id", out var id) && id.TryGetInt32(out int v) ? v : entries.Count,
                                item.TryGetProperty("color", out var c) ? JsonColor(path, c) : null),
                            _ => throw new SharpSegException($"{path}: a class list entry is neither a name nor an object with a name."),
                        });
                    valuesGiven = body.EnumerateArray().Any(i => i.ValueKind == System.Text.Json.JsonValueKind.Object && i.TryGetProperty("id", out _));
                    // Readable names that repeat (Mapillary's) give way to the unique 'name's.
                    if (entries.GroupBy(e => e.Name, StringComparer.OrdinalIgnoreCase).Any(g => g.Count() > 1)
                        && body.EnumerateArray().All(i => i.ValueKind == System.Text.Json.JsonValueKind.Object && i.TryGetProperty("name", out var n) && n.ValueKind == System.Text.Json.JsonValueKind.String))
                        entries = entries.Zip(body.EnumerateArray(), (e, i) => e with { Name = i.GetProperty("name").GetString()! }).ToList();
                    break;
                case System.Text.Json.JsonValueKind.Object:
                    valuesGiven = true;
                    // {"name": [r, g, b]}: Supervisely's machine colours ([v, v, v], the gray level of its masks) when every
                    // colour is gray; otherwise class colours, in the file's order, with no values.
                    var colourLists = body.EnumerateObject().Select(p => p.Value.ValueKind == System.Text.Json.JsonValueKind.Array && p.Value.GetArrayLength() == 3 ? JsonColor(path, p.Value) : null).ToList();
                    if (!underLabels && colourLists.Count > 0 && colourLists.All(c => c != null) && colourLists.Any(c => c!.Value.R != c.Value.G || c.Value.G != c.Value.B))
                    {
                        foreach (var (p, c) in body.EnumerateObject().Zip(colourLists)) entries.Add(new ClassListEntry(p.Name == "__bg__" ? "background" : p.Name, entries.Count, c));
                        return Checked(path, entries, valuesGiven: false);
                    }
                    foreach (var p in body.EnumerateObject())
                    {
                        if (int.TryParse(p.Name, NumberStyles.None, CultureInfo.InvariantCulture, out int value) && p.Value.ValueKind == System.Text.Json.JsonValueKind.String)
                            entries.Add(new ClassListEntry(p.Value.GetString()!, value, null));
                        else if (p.Value.ValueKind == System.Text.Json.JsonValueKind.Number && p.Value.TryGetInt32(out value) && value >= 0)
                            entries.Add(new ClassListEntry(p.Name, value, null));
                        else if (!underLabels && p.Value.ValueKind == System.Text.Json.JsonValueKind.Array && p.Value.GetArrayLength() == 3 && JsonColor(path, p.Value) is { } machine)
                            entries.Add(new ClassListEntry(p.Name == "__bg__" ? "background" : p.Name, machine.R, machine));
                        else if (p.Value.ValueKind == System.Text.Json.JsonValueKind.Array)
                            throw new SharpSegException($"{path}: label '{p.Name}' is a region of several values (nnU-Net's region-based training); SharpSeg trains one class per value: name the classes with --classes.");
                        else throw new SharpSegException($"{path}: entry '{p.Name}' is neither \"value\": \"name\", \"name\": value nor \"name\": [r, g, b].");
                    }
                    break;
                default:
                    throw new SharpSegException($"{path}: no class list in it (a 'labels' or 'classes' entry, a list of names, or a map of names and values).");
            }
            return Checked(path, entries.OrderBy(e => e.Value).ToList(), valuesGiven);
        }
    }

    static Rgb? JsonColor(string path, System.Text.Json.JsonElement c)
    {
        if (c.ValueKind == System.Text.Json.JsonValueKind.String && c.GetString() is { } hex && Regex.IsMatch(hex, "^#?[0-9a-fA-F]{6}$"))
        {
            int v = int.Parse(hex.TrimStart('#'), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            return Rgb.FromPacked(v);
        }
        if (c.ValueKind == System.Text.Json.JsonValueKind.Array && c.GetArrayLength() == 3 && c.EnumerateArray().All(x => x.TryGetInt32(out int n) && n is >= 0 and <= 255))
        {
            var rgb = c.EnumerateArray().Select(x => (byte)x.GetInt32()).ToArray();
            return new Rgb(rgb[0], rgb[1], rgb[2]);
        }
        throw new SharpSegException($"{path}: colour {c.GetRawText()} is neither [r, g, b] (0..255) nor \"#RRGGBB\".");
    }

    static ClassList Checked(string source, List<ClassListEntry> entries, bool valuesGiven)
    {
        if (entries.Count == 0) throw new SharpSegException($"{source}: no class names in it.");
        if (entries.FirstOrDefault(e => e.Name.Length == 0) is { } blank) throw new SharpSegException($"{source}: the class with value {blank.Value} has no name.");
        if (entries.Count > LabelMask.MaxClasses + 1) throw new SharpSegException($"{source}: {entries.Count} classes; SharpSeg supports at most {LabelMask.MaxClasses}.");
        if (entries.GroupBy(e => e.Name, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw new SharpSegException($"{source}: the class name '{twice.Key}' is there twice; give each class one name.");
        if (entries.GroupBy(e => e.Value).FirstOrDefault(g => g.Count() > 1) is { } same)
            throw new SharpSegException($"{source}: value {same.Key} is given to two classes ({string.Join(", ", same.Select(e => e.Name))}).");
        return new ClassList(source, entries, valuesGiven);
    }

    static int Number(string path, int line, string text, int max) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int v) && v <= max ? v
            : throw new SharpSegException($"{path}:{line}: '{text}' is not a whole number from 0 to {max}.");

    /// <summary>Splits one CSV line at commas outside double quotes.</summary>
    static List<string> SplitCsv(string line)
    {
        var cells = new List<string>();
        var cell = new System.Text.StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (c == '"') { if (quoted && i + 1 < line.Length && line[i + 1] == '"') { cell.Append('"'); i++; } else quoted = !quoted; }
            else if (c == ',' && !quoted) { cells.Add(cell.ToString()); cell.Clear(); }
            else cell.Append(c);
        }
        cells.Add(cell.ToString());
        return cells;
    }
}
