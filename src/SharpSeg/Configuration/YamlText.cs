using System.Text.Encodings.Web;
using System.Text.Json;

namespace SharpSeg.Configuration;

/// <summary>Text SharpSeg writes into the YAML files it generates (data init drafts, imported and fused datasets).</summary>
internal static class YamlText
{
    static readonly JsonSerializerOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// <paramref name="s"/> as a YAML double-quoted scalar that reads back exactly: JSON's escapes (<c>\"</c>, <c>\\</c>,
    /// <c>\n</c>, <c>\t</c>, <c>\uXXXX</c> for other control characters) are YAML's, so a folder or class name with a
    /// quote, a backslash, a tab or a newline cannot break the file or change its meaning; other characters are kept.
    /// </summary>
    public static string Quote(string s) => JsonSerializer.Serialize(s, Options);
}
