using System.Text.Json;
using System.Text.Json.Serialization;
using SharpSeg.Imaging;

namespace SharpSeg.Data.Dataset;

/// <summary>
/// The one JSON form of a <see cref="ClassTable"/>, used by checkpoints, ONNX metadata and exported weights alike:
/// an array in class-index order of <c>{"name": "Road", "color": [128, 64, 128], "value": 3}</c> (<c>value</c>, the
/// pixel value 0..65535 in an index-encoded mask file, only when the dataset has one; <c>more_values</c>, further values
/// read as the class, only when it has them). Reads colours written by SharpSeg 1.0 checkpoints too (base64 of the three
/// bytes). Anything else is a <see cref="JsonException"/> naming the class.
/// </summary>
public sealed class ClassTableJson : JsonConverter<ClassTable>
{
    public override ClassTable Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartArray) throw new JsonException("classes must be an array of {name, color}");
        var classes = new List<ClassInfo>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            int index = classes.Count;
            if (reader.TokenType != JsonTokenType.StartObject) throw new JsonException($"class {index} must be an object with a name and a colour");
            string? name = null; Rgb? color = null; int? value = null; List<int> moreValues = [];
            while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
            {
                string key = reader.GetString()!;
                reader.Read();
                switch (key)
                {
                    case "name": name = reader.TokenType == JsonTokenType.String ? reader.GetString() : throw new JsonException($"class {index}: name must be a string"); break;
                    case "color": color = ReadColor(ref reader, index); break;
                    case "value":
                        if (reader.TokenType == JsonTokenType.Null) break;
                        value = ReadValue(ref reader, index); break;
                    case "more_values":
                        if (reader.TokenType != JsonTokenType.StartArray) throw new JsonException($"class {index}: more_values must be an array of mask values");
                        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray) moreValues.Add(ReadValue(ref reader, index));
                        break;
                    default: reader.Skip(); break;
                }
            }
            if (string.IsNullOrEmpty(name) || color is null) throw new JsonException($"class {index} needs a name and a colour of 3 values");
            if (moreValues.Count > 0 && value is null) throw new JsonException($"class {index}: more_values without a value");
            classes.Add(new ClassInfo(name, color.Value, value) { MoreValues = moreValues });
            if (classes.Count > LabelMask.MaxClasses) throw new JsonException($"more than {LabelMask.MaxClasses} classes");
        }
        return new ClassTable(classes);
    }

    /// <summary>A mask file value: 0..65535 (16-bit index masks past 255).</summary>
    static int ReadValue(ref Utf8JsonReader reader, int index) =>
        reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out int v) && v is >= 0 and <= 65535
            ? v : throw new JsonException($"class {index}: value must be a mask file value 0..65535");

    static Rgb ReadColor(ref Utf8JsonReader reader, int index)
    {
        if (reader.TokenType == JsonTokenType.String && reader.TryGetBytesFromBase64(out var bytes) && bytes.Length == 3)
            return new Rgb(bytes[0], bytes[1], bytes[2]);
        var c = new List<int>(3);
        if (reader.TokenType == JsonTokenType.StartArray)
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                c.Add(reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out int v) && v is >= 0 and <= 255 ? v : -1);
        if (c.Count != 3 || c.Contains(-1)) throw new JsonException($"class {index}: color must be 3 values 0..255, as [r, g, b]");
        return new Rgb((byte)c[0], (byte)c[1], (byte)c[2]);
    }

    public override void Write(Utf8JsonWriter writer, ClassTable value, JsonSerializerOptions options)
    {
        writer.WriteStartArray();
        foreach (var c in value.Classes)
        {
            writer.WriteStartObject();
            writer.WriteString("name", c.Name);
            writer.WriteStartArray("color");
            writer.WriteNumberValue(c.Color.R); writer.WriteNumberValue(c.Color.G); writer.WriteNumberValue(c.Color.B);
            writer.WriteEndArray();
            if (c.Value is { } v) writer.WriteNumber("value", v);
            if (c.MoreValues.Count > 0)
            {
                writer.WriteStartArray("more_values");
                foreach (int more in c.MoreValues) writer.WriteNumberValue(more);
                writer.WriteEndArray();
            }
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
    }
}
