using System.Globalization;
using System.Text;
using YamlDotNet.RepresentationModel;

namespace SharpSeg.Configuration;

/// <summary>
/// A YAML document as a plain tree (mappings keep key order; scalars stay strings until read), validated against a
/// tree of defaults: every key the user writes must exist in the defaults, so a typo is an error that names the key,
/// the file and the nearest valid key. A default mapping that is empty (<c>{}</c>) accepts any keys.
/// Dotted paths ("optimizer.lr") address values for <c>--set key=value</c> overrides.
/// </summary>
public sealed class ConfigTree
{
    readonly Dictionary<string, object?> _root;
    readonly string _source;

    readonly Dictionary<string, string> _setBy = new(StringComparer.Ordinal);   // dotted path -> the --set that gave it

    ConfigTree(Dictionary<string, object?> root, string source) { _root = root; _source = source; }

    /// <summary>The name used in error messages (usually the file path).</summary>
    public string Source => _source;

    /// <summary>Where the value at <paramref name="path"/> came from, for an error message: <c>--set key=value</c> when an
    /// override gave it (or a section above it), else <see cref="Source"/> (the file, or its defaults).</summary>
    public string Where(string path)
    {
        for (string? p = path; p != null; p = p.Contains('.') ? p[..p.LastIndexOf('.')] : null)
            if (_setBy.TryGetValue(p, out var assignment)) return "--set " + assignment;
        return _source;
    }

    /// <summary>Parses YAML text into a tree; a syntax error is a <see cref="SharpSegException"/> naming the line.</summary>
    public static ConfigTree Parse(string yaml, string source)
    {
        var stream = YamlLoader.Load(yaml, source);
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is YamlScalarNode { Value: null or "" })
            return new ConfigTree(new Dictionary<string, object?>(), source);
        if (stream.Documents[0].RootNode is not YamlMappingNode map)
            throw new SharpSegException($"{source}: expected a mapping of keys at the top level.");
        return new ConfigTree((Dictionary<string, object?>)Convert(map, source, "")!, source);
    }

    /// <summary>Reads and parses a YAML file; a missing file is a one-line error.</summary>
    public static ConfigTree Load(string path)
    {
        if (!File.Exists(path)) throw new SharpSegException($"{path}: file not found.");
        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>
    /// Returns <paramref name="defaults"/> overlaid with this tree. Keys unknown to the defaults are an error with the
    /// nearest valid key; a scalar where a mapping is expected (or the reverse) is an error too.
    /// </summary>
    public ConfigTree OverlayOn(ConfigTree defaults)
    {
        var merged = DeepCopy(defaults._root);
        Overlay(merged, _root, "");
        return new ConfigTree(merged, _source);
    }

    void Overlay(Dictionary<string, object?> target, Dictionary<string, object?> user, string prefix)
    {
        bool open = target.Count == 0;
        foreach (var (key, value) in user)
        {
            string path = prefix + key;
            if (!target.TryGetValue(key, out var existing))
            {
                if (open) { target[key] = value; continue; }
                throw new SharpSegException($"{_source}: unknown key '{path}'{NearestName.Hint(key, target.Keys.Select(k => k))}.");
            }
            if (existing is Dictionary<string, object?> sub)
            {
                if (value is Dictionary<string, object?> userSub) { Overlay(sub, userSub, path + "."); continue; }
                if (value == null) continue;
                throw new SharpSegException($"{_source}: '{path}' must be a mapping of keys ({string.Join(", ", sub.Keys)}), not a single value.");
            }
            if (value is Dictionary<string, object?> && existing is not null)
                throw new SharpSegException($"{_source}: '{path}' must be a single value or a list, not a mapping.");
            target[key] = value;
        }
    }

    /// <summary>Applies a <c>key=value</c> override (dotted key; the value is parsed as YAML, so lists like [256,256] work).</summary>
    public void Set(string assignment) => Assign(assignment, addKeys: false);

    /// <summary>Applies a <c>key=value</c> override as <see cref="Set(string)"/> does, adding the key and the sections
    /// above it where this tree lacks them: for a partial tree (a planned recipe, which names only the keys it chose)
    /// whose overrides were already checked against the whole recipe.</summary>
    public void SetOrAdd(string assignment) => Assign(assignment, addKeys: true);

    void Assign(string assignment, bool addKeys)
    {
        int eq = assignment.IndexOf('=');
        if (eq <= 0) throw new SharpSegException($"--set {assignment}: expected key=value, e.g. --set optimizer.lr=0.01");
        string path = assignment[..eq].Trim();
        string text = assignment[(eq + 1)..].Trim();
        object? value;
        try
        {
            var doc = Parse("v: " + text, "--set " + assignment);
            value = doc._root["v"];
        }
        catch (SharpSegException) { value = text; }
        var parts = path.Split('.');
        var node = _root;
        for (int i = 0; i < parts.Length - 1; i++)
        {
            if (!node.TryGetValue(parts[i], out var next) || next is not Dictionary<string, object?> d)
            {
                if (!addKeys || next != null)
                    throw new SharpSegException($"--set {path}: unknown key '{string.Join('.', parts[..(i + 1)])}'{NearestName.Hint(parts[i], node.Keys)}.");
                node[parts[i]] = d = new Dictionary<string, object?>();
            }
            node = d;
        }
        string last = parts[^1];
        if (!addKeys && !node.ContainsKey(last) && node.Count > 0)
            throw new SharpSegException($"--set {path}: unknown key '{path}'{NearestName.Hint(last, node.Keys)}.");
        if (node.TryGetValue(last, out var old) && old is Dictionary<string, object?> && value is not Dictionary<string, object?>)
            throw new SharpSegException($"--set {path}: '{path}' is a section; set one of its keys ({string.Join(", ", ((Dictionary<string, object?>)old).Keys)}).");
        node[last] = value;
        _setBy[path] = $"{path}={text}";
    }

    /// <summary>True when the dotted path exists and holds a non-null value.</summary>
    public bool Has(string path) => TryGet(path, out var v) && v != null;

    /// <summary>The raw node at a dotted path (string, list, mapping or null).</summary>
    public object? GetRaw(string path) => TryGet(path, out var v) ? v : throw new SharpSegException($"{Where(path)}: missing key '{path}'.");

    public string? GetString(string path) => GetRaw(path) switch
    {
        null => null,
        string s => s,
        _ => throw new SharpSegException($"{Where(path)}: '{path}' must be a single value."),
    };

    public double GetDouble(string path)
    {
        string? s = GetString(path);
        if (s != null && double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double d)) return d;
        throw new SharpSegException($"{Where(path)}: '{path}' must be a number, got '{s ?? "null"}'.");
    }

    public int GetInt(string path)
    {
        string? s = GetString(path);
        if (s != null && int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int i)) return i;
        throw new SharpSegException($"{Where(path)}: '{path}' must be a whole number, got '{s ?? "null"}'.");
    }

    public long GetLong(string path)
    {
        string? s = GetString(path);
        if (s != null && long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out long i)) return i;
        throw new SharpSegException($"{Where(path)}: '{path}' must be a whole number, got '{s ?? "null"}'.");
    }

    public bool GetBool(string path)
    {
        string? s = GetString(path)?.ToLowerInvariant();
        return s switch
        {
            "true" or "yes" or "on" or "1" => true,
            "false" or "no" or "off" or "0" => false,
            _ => throw new SharpSegException($"{Where(path)}: '{path}' must be true or false, got '{s ?? "null"}'."),
        };
    }

    /// <summary>An <c>auto | true | false</c> key (<see cref="ParseAuto"/>): null for auto (also when the key is absent).</summary>
    public bool? GetAuto(string path) => ParseAuto(GetString(path), $"{Where(path)}: {path}");

    /// <summary>
    /// Parses an <c>auto | true | false</c> setting (also yes/no; case and surrounding spaces ignored): null for auto or
    /// null. Anything else is a one-line <see cref="SharpSegException"/> that starts with <paramref name="setting"/>.
    /// </summary>
    public static bool? ParseAuto(string? value, string setting) => (value ?? "auto").Trim().ToLowerInvariant() switch
    {
        "auto" => null,
        "true" or "yes" => true,
        "false" or "no" => false,
        _ => throw new SharpSegException($"{setting} must be auto, true or false, got '{value}'."),
    };

    /// <summary>A list of numbers; a single number is read as a one-element list; null gives null.</summary>
    public double[]? GetDoubleList(string path)
    {
        object? raw = GetRaw(path);
        if (raw == null) return null;
        IEnumerable<object?> items = raw is List<object?> l ? l : new[] { raw };
        return items.Select((x, i) => x is string s && double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double d)
            ? d : throw new SharpSegException($"{Where(path)}: '{path}' must be a list of numbers (item {i + 1} is '{x}').")).ToArray();
    }

    /// <summary>The tree as YAML text (the resolved recipe that is printed and saved).</summary>
    public string ToYaml()
    {
        var sb = new StringBuilder();
        Write(sb, _root, 0);
        return sb.ToString();
    }

    bool TryGet(string path, out object? value)
    {
        object? node = _root;
        foreach (var part in path.Split('.'))
        {
            if (node is Dictionary<string, object?> d && d.TryGetValue(part, out var next)) node = next;
            else { value = null; return false; }
        }
        value = node;
        return true;
    }

    static void Write(StringBuilder sb, Dictionary<string, object?> map, int indent)
    {
        foreach (var (k, v) in map)
        {
            sb.Append(' ', indent).Append(k).Append(':');
            if (v is Dictionary<string, object?> sub)
            {
                if (sub.Count == 0) sb.Append(" {}\n");
                else { sb.Append('\n'); Write(sb, sub, indent + 2); }
            }
            else sb.Append(' ').Append(Flow(v)).Append('\n');
        }
    }

    static string Flow(object? v) => v switch
    {
        null => "null",
        // Double-quoted, as every YAML file SharpSeg writes quotes: control characters (a newline, a tab) survive only so.
        string s => NeedsQuotes(s) ? YamlText.Quote(s) : s,
        List<object?> l => "[" + string.Join(", ", l.Select(Flow)) + "]",
        Dictionary<string, object?> d => "{" + string.Join(", ", d.Select(kv => kv.Key + ": " + Flow(kv.Value))) + "}",
        _ => v.ToString() ?? "",
    };

    // Plain, these would read back otherwise: empty or null or ~ as null, '-' or '- x' as a list, '?' or '? x' as a
    // complex key (a syntax error), indicators and quotes as YAML syntax, outer spaces trimmed, a newline folded.
    static bool NeedsQuotes(string s) => s.Length == 0 || s.IndexOfAny(":#[]{},&*!|>'\"%@`".ToCharArray()) >= 0 || s != s.Trim() || s.Any(char.IsControl)
        || s is "null" or "~" or "-" or "?" || s.StartsWith("- ", StringComparison.Ordinal) || s.StartsWith("? ", StringComparison.Ordinal);

    static object? Convert(YamlNode node, string source, string path) => node switch
    {
        YamlScalarNode s => s.Style == YamlDotNet.Core.ScalarStyle.Plain && (s.Value is null or "~" or "null" or "") ? null : s.Value,
        YamlSequenceNode seq => seq.Children.Select((c, i) => Convert(c, source, $"{path}[{i}]")).ToList(),
        YamlMappingNode map => ConvertMap(map, source, path),
        _ => throw new SharpSegException($"{source}: unsupported YAML node at '{path}'."),
    };

    static Dictionary<string, object?> ConvertMap(YamlMappingNode map, string source, string path)
    {
        var d = new Dictionary<string, object?>();
        foreach (var (k, v) in map.Children)
        {
            string key = (k as YamlScalarNode)?.Value ?? throw new SharpSegException($"{source}: keys must be plain names (at '{path}').");
            if (d.ContainsKey(key)) throw new SharpSegException($"{source}: key '{(path.Length > 0 ? path + "." : "") + key}' appears twice (line {k.Start.Line}).");
            d[key] = Convert(v, source, (path.Length > 0 ? path + "." : "") + key);
        }
        return d;
    }

    static Dictionary<string, object?> DeepCopy(Dictionary<string, object?> d) =>
        d.ToDictionary(kv => kv.Key, kv => kv.Value switch
        {
            Dictionary<string, object?> sub => DeepCopy(sub),
            List<object?> l => (object?)l.ToList(),
            var other => other,
        });
}
