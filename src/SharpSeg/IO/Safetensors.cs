using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using TorchSharp;
using static TorchSharp.torch;

namespace SharpSeg.IO;

/// <summary>
/// Reads and writes the safetensors format (Hugging Face's plain tensor container, the recommended way to exchange
/// weights with PyTorch): an 8-byte little-endian header length N, N bytes of JSON
/// (<c>{"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, "__metadata__": {"k": "v"}}</c>, offsets
/// relative to the data that follows), then the raw little-endian tensor bytes. Nothing in it is executed on load.
/// </summary>
public static class Safetensors
{
    private const string MetadataKey = "__metadata__";

    private static readonly Dictionary<string, ScalarType> DTypes = new(StringComparer.Ordinal)
    {
        ["F64"] = ScalarType.Float64, ["F32"] = ScalarType.Float32, ["F16"] = ScalarType.Float16, ["BF16"] = ScalarType.BFloat16,
        ["I64"] = ScalarType.Int64, ["I32"] = ScalarType.Int32, ["I16"] = ScalarType.Int16, ["I8"] = ScalarType.Int8,
        ["U8"] = ScalarType.Byte, ["BOOL"] = ScalarType.Bool,
    };

    /// <summary>Reads every tensor (CPU, in file order) and the string metadata of a .safetensors file. A missing,
    /// truncated or malformed file is a one-line <see cref="SharpSegException"/> naming it.</summary>
    public static (IReadOnlyList<(string Key, Tensor Value)> Tensors, IReadOnlyDictionary<string, string> Metadata) Read(string path)
    {
        if (!File.Exists(path)) throw new SharpSegException($"{path}: file not found.");
        using var stream = File.OpenRead(path);
        Span<byte> lengthBytes = stackalloc byte[8];
        if (stream.Read(lengthBytes) != 8) throw Bad(path, "shorter than its 8-byte header length");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (headerLength == 0 || headerLength > 100_000_000 || (long)headerLength > stream.Length - 8)
            throw Bad(path, $"header length {headerLength} does not fit a file of {stream.Length} bytes");
        var headerBytes = new byte[headerLength];
        stream.ReadExactly(headerBytes);
        JsonObject header;
        try { header = JsonNode.Parse(headerBytes)?.AsObject() ?? throw Bad(path, "empty header"); }
        catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException) { throw Bad(path, "header is not a JSON object: " + e.Message); }

        long dataStart = 8 + (long)headerLength, dataLength = stream.Length - dataStart;
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var entries = new List<(string Key, ScalarType DType, long[] Shape, long Begin, long End)>();
        foreach (var (key, node) in header)
        {
            if (key == MetadataKey)
            {
                try { if (node is JsonObject m) foreach (var (k, v) in m) metadata[k] = v?.GetValue<string>() ?? ""; }
                catch (Exception e) when (e is InvalidOperationException or FormatException) { throw Bad(path, $"__metadata__ must map names to strings ({e.Message})"); }
                continue;
            }
            try
            {
                var o = node!.AsObject();
                string dtype = o["dtype"]!.GetValue<string>();
                if (!DTypes.TryGetValue(dtype, out var scalar)) throw Bad(path, $"tensor '{key}' has dtype {dtype}, which SharpSeg does not read (use F32, F16, BF16, F64 or integers)");
                long[] shape = o["shape"]!.AsArray().Select(d => d!.GetValue<long>()).ToArray();
                if (shape.Length > 16 || shape.Any(d => d < 0))
                    throw Bad(path, $"tensor '{key}' has shape [{string.Join(", ", shape)}]; dimensions must be 0 or more, at most 16 of them");
                var offsets = o["data_offsets"]!.AsArray().Select(d => d!.GetValue<long>()).ToArray();
                if (offsets.Length != 2 || offsets[0] < 0 || offsets[1] < offsets[0] || offsets[1] > dataLength)
                    throw Bad(path, $"tensor '{key}' has data offsets outside the file (truncated?)");
                long expected;
                try { expected = checked(shape.Aggregate(1L, (a, b) => a * b) * ElementSize(scalar)); }
                catch (OverflowException) { throw Bad(path, $"tensor '{key}' has shape [{string.Join(", ", shape)}], whose size overflows"); }
                if (offsets[1] - offsets[0] != expected)
                    throw Bad(path, $"tensor '{key}' holds {offsets[1] - offsets[0]} bytes but its shape [{string.Join(", ", shape)}] needs {expected}");
                entries.Add((key, scalar, shape, offsets[0], offsets[1]));
            }
            catch (Exception e) when (e is NullReferenceException or InvalidOperationException or FormatException or JsonException)
            {
                throw Bad(path, $"tensor '{key}' has a malformed entry ({e.Message})");
            }
        }

        // The data must be the tensors back to back, as the format says: no byte shared by two tensors (a file could
        // otherwise make a million tensors of the same bytes, each its own buffer), no gap, nothing after the last.
        entries.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        long next = 0;
        foreach (var e in entries)
        {
            if (e.Begin != next)
                throw Bad(path, e.Begin < next ? $"tensor '{e.Key}' overlaps the data of another tensor" : $"the data has a gap before tensor '{e.Key}'");
            next = e.End;
        }
        if (next != dataLength) throw Bad(path, $"{dataLength - next} bytes after the last tensor's data");

        var tensors = new List<(string, Tensor)>(entries.Count);
        foreach (var e in entries)
        {
            var t = torch.empty(e.Shape, e.DType);
            long n = e.End - e.Begin;
            if (n > 0)
            {
                stream.Position = dataStart + e.Begin;
                var bytes = new byte[n];
                stream.ReadExactly(bytes);
                if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("safetensors needs a little-endian machine");
                t.bytes = bytes;
            }
            tensors.Add((e.Key, t));
        }
        return (tensors, metadata);
    }

    /// <summary>Writes <paramref name="tensors"/> (any device; copied to CPU, made contiguous) with optional string
    /// metadata to <paramref name="path"/>, atomically. Keys must be unique.</summary>
    public static void Write(string path, IEnumerable<(string Key, Tensor Value)> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var header = new JsonObject();
        if (metadata is { Count: > 0 })
        {
            var m = new JsonObject();
            foreach (var (k, v) in metadata) m[k] = v;
            header[MetadataKey] = m;
        }
        var blobs = new List<byte[]>();
        long offset = 0;
        foreach (var (key, value) in tensors)
        {
            if (header.ContainsKey(key)) throw new ArgumentException($"duplicate tensor name '{key}'", nameof(tensors));
            string dtype = DTypes.FirstOrDefault(d => d.Value == value.dtype).Key
                ?? throw new SharpSegException($"tensor '{key}' has dtype {value.dtype}, which safetensors cannot store.");
            byte[] bytes;
            using (var c = value.detach().cpu().contiguous()) bytes = c.bytes.ToArray();
            header[key] = new JsonObject
            {
                ["dtype"] = dtype,
                ["shape"] = new JsonArray(value.shape.Select(d => (JsonNode)d).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + bytes.Length),
            };
            offset += bytes.Length;
            blobs.Add(bytes);
        }
        byte[] json = Encoding.UTF8.GetBytes(header.ToJsonString());
        int padded = (json.Length + 7) / 8 * 8; // the format pads the header with spaces to an 8-byte boundary
        AtomicFile.Write(path, stream =>
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)padded);
            stream.Write(length);
            stream.Write(json);
            for (int i = json.Length; i < padded; i++) stream.WriteByte((byte)' ');
            foreach (var b in blobs) stream.Write(b);
        });
    }

    private static long ElementSize(ScalarType t) => t switch
    {
        ScalarType.Float64 or ScalarType.Int64 => 8,
        ScalarType.Float32 or ScalarType.Int32 => 4,
        ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Int16 => 2,
        _ => 1,
    };

    private static SharpSegException Bad(string path, string what) =>
        new($"{path}: not a valid safetensors file ({what}).");
}
