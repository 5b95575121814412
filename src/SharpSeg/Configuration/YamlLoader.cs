using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace SharpSeg.Configuration;

/// <summary>
/// Loads YAML text (recipes, dataset files, a run's saved recipe) into YamlDotNet's node tree after two checks on the
/// parser's event stream, which needs no recursion: nesting at most <see cref="MaxDepth"/> deep (YamlDotNet builds the
/// tree recursively, and a stack overflow cannot be caught), and at most <see cref="MaxNodes"/> nodes once every alias
/// is counted as a copy of its anchor (readers copy aliased nodes, so about 1 KB of nested aliases, a "billion laughs",
/// would otherwise expand to 10⁹ nodes). A file over either limit is a one-line <see cref="SharpSegException"/>; syntax
/// errors are YamlDotNet's <see cref="YamlException"/> as before, for the caller to report with the line.
/// </summary>
internal static class YamlLoader
{
    /// <summary>Deepest nesting of mappings and lists (SharpSeg's files use 3).</summary>
    public const int MaxDepth = 64;

    /// <summary>Most nodes after alias expansion (the full recipe has about 200).</summary>
    public const long MaxNodes = 100_000;

    /// <summary>Parses <paramref name="text"/>; <paramref name="source"/> names it in errors. Every error is a one-line
    /// <see cref="SharpSegException"/>: syntax (with line and column), a key twice in a mapping, the limits above.</summary>
    public static YamlStream Load(string text, string source)
    {
        var stream = new YamlStream();
        try
        {
            Check(text, source);
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            throw new SharpSegException($"{source}: YAML syntax error at line {e.Start.Line}, column {e.Start.Column}: {FirstLine(e.InnerException?.Message ?? e.Message)}; fix the file (indentation, ':' after keys, matching brackets, quotes).", e);
        }
        catch (ArgumentException e)
        {
            // YamlDotNet's mapping node adds keys to a dictionary: a key written twice lands here.
            throw new SharpSegException($"{source}: YAML error: {FirstLine(e.Message)}; each key may appear once in a mapping.", e);
        }
        catch (InvalidOperationException e)
        {
            // YamlDotNet throws this for some unterminated flow collections ("[", "{").
            throw new SharpSegException($"{source}: YAML syntax error (unterminated [ ] or {{ }}, or bad indentation: {FirstLine(e.Message)}); fix the file.", e);
        }
        return stream;
    }

    static string FirstLine(string s) => s.Split('\n')[0].Trim();

    static void Check(string text, string source)
    {
        var parser = new Parser(new StringReader(text));
        var sizes = new Dictionary<string, long>(StringComparer.Ordinal); // anchor -> nodes it expands to
        var open = new Stack<(string? Anchor, long NodesBefore)>();
        long nodes = 0;
        while (parser.MoveNext())
        {
            switch (parser.Current)
            {
                case AnchorAlias alias:
                    nodes += sizes.GetValueOrDefault(alias.Value.Value, 1);
                    break;
                case Scalar scalar:
                    nodes++;
                    if (!scalar.Anchor.IsEmpty) sizes[scalar.Anchor.Value] = 1;
                    break;
                case NodeEvent start when start is MappingStart or SequenceStart:
                    nodes++;
                    open.Push((start.Anchor.IsEmpty ? null : start.Anchor.Value, nodes - 1));
                    if (open.Count > MaxDepth)
                        throw new SharpSegException($"{source}:{start.Start.Line}: YAML nests deeper than {MaxDepth} levels; SharpSeg's files need a few, so this is not a recipe or dataset file.");
                    break;
                case MappingEnd or SequenceEnd:
                    var (anchor, before) = open.Pop();
                    if (anchor != null) sizes[anchor] = nodes - before;
                    break;
            }
            if (nodes > MaxNodes)
                throw new SharpSegException($"{source}:{parser.Current?.Start.Line}: YAML expands to more than {MaxNodes} nodes (aliases count as copies of their anchors); SharpSeg's files need a few hundred, so this is not a recipe or dataset file.");
        }
    }
}
