using System.Text.Json;

namespace SharpSeg.IO;

/// <summary>JSON files a user gives (class lists, COCO and LabelMe annotations), read whole into a
/// <see cref="JsonDocument"/>.</summary>
public static class JsonFile
{
    /// <summary>The JSON in <paramref name="path"/> (dispose it), parsed with <paramref name="options"/> (default: strict
    /// JSON, nesting at most 64 deep). Malformed JSON or an unreadable file is one <see cref="SharpSegException"/> line
    /// naming the file, what is wrong and <paramref name="howToFix"/> (e.g. "give a COCO annotation file").</summary>
    public static JsonDocument Parse(string path, string howToFix, JsonDocumentOptions options = default)
    {
        try { return JsonDocument.Parse(File.ReadAllBytes(path), options); }
        catch (JsonException e) { throw new SharpSegException($"{path}: not valid JSON ({e.Message}); {howToFix}."); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new SharpSegException($"{path}: cannot be read ({e.Message})."); }
    }
}
