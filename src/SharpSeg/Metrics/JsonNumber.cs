using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SharpSeg.Metrics;

/// <summary>
/// Reads a number from a metrics-log node whatever backs it: a record read from the file (a JsonElement) or one the
/// trainer built in memory from a float, int or long (JsonValue.TryGetValue&lt;double&gt; refuses a float-backed value).
/// </summary>
static class JsonNumber
{
    public static double Double(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && double.TryParse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out double d)
            ? d : double.NaN;

    public static long? Long(JsonNode? node) => Double(node) is var d && double.IsFinite(d) ? (long)d : null;
}
