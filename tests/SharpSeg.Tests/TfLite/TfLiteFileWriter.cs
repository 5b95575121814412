using System.Buffers.Binary;
using System.Text;

namespace SharpSeg.Tests.TfLite;

/// <summary>
/// Writes small TFLite files for the importer's tests: an independent FlatBuffers writer (forward layout: every
/// reference points forward, vtables just before their tables) and the few schema.fbs tables the importer reads.
/// </summary>
internal sealed class TfLiteFileWriter
{
    // ---------------------------------------------------------------- FlatBuffers objects
    internal abstract record Node;
    internal sealed record Table(params (int Field, object Value)[] Fields) : Node;
    internal sealed record TableVector(IReadOnlyList<Table> Items) : Node;
    internal sealed record Bytes(byte[] Data, int ElementSize = 1, bool IsString = false) : Node;

    internal static Bytes Str(string s) => new(Encoding.UTF8.GetBytes(s + "\0"), 1, IsString: true);
    internal static Bytes Ints(params int[] v) { var b = new byte[4 * v.Length]; for (int i = 0; i < v.Length; i++) BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(4 * i), v[i]); return new Bytes(b, 4); }

    readonly List<byte> _buf = new();

    void Align(int n) { while (_buf.Count % n != 0) _buf.Add(0); }
    void Patch(int at, int value) { var b = BitConverter.GetBytes(value); for (int i = 0; i < 4; i++) _buf[at + i] = b[i]; }

    int Write(Node node) => node switch
    {
        Table t => WriteTable(t),
        TableVector v => WriteTableVector(v),
        Bytes b => WriteBytes(b),
        _ => throw new ArgumentException(node.GetType().Name),
    };

    int WriteBytes(Bytes b)
    {
        Align(4);
        int at = _buf.Count;
        // a string's terminating zero is not counted in its length
        _buf.AddRange(BitConverter.GetBytes(b.IsString ? b.Data.Length - 1 : b.Data.Length / b.ElementSize));
        _buf.AddRange(b.Data);
        return at;
    }

    int WriteTableVector(TableVector v)
    {
        Align(4);
        int at = _buf.Count;
        _buf.AddRange(BitConverter.GetBytes(v.Items.Count));
        int slots = _buf.Count;
        for (int i = 0; i < v.Items.Count; i++) _buf.AddRange(new byte[4]);
        for (int i = 0; i < v.Items.Count; i++)
        {
            int child = Write(v.Items[i]);
            Patch(slots + 4 * i, child - (slots + 4 * i));
        }
        return at;
    }

    static int SizeOf(object v) => v switch { byte or sbyte or bool => 1, short => 2, int or uint or float or Node => 4, long => 8, _ => throw new ArgumentException(v.GetType().Name) };

    int WriteTable(Table t)
    {
        int maxField = t.Fields.Length == 0 ? -1 : t.Fields.Max(f => f.Field);
        // table layout: soffset, then fields in order, each aligned to its size
        var offsets = new Dictionary<int, int>();
        int size = 4;
        foreach (var (field, value) in t.Fields)
        {
            int s = SizeOf(value);
            size = (size + s - 1) / s * s;
            offsets[field] = size;
            size += s;
        }
        Align(2);
        int vtable = _buf.Count;
        _buf.AddRange(BitConverter.GetBytes((short)(4 + 2 * (maxField + 1))));
        _buf.AddRange(BitConverter.GetBytes((short)size));
        for (int f = 0; f <= maxField; f++) _buf.AddRange(BitConverter.GetBytes((short)(offsets.TryGetValue(f, out var o) ? o : 0)));
        Align(8);
        int table = _buf.Count;
        _buf.AddRange(BitConverter.GetBytes(table - vtable));
        _buf.AddRange(new byte[size - 4]);
        var refs = new List<(int At, Node Child)>();
        foreach (var (field, value) in t.Fields)
        {
            int at = table + offsets[field];
            byte[] bytes = value switch
            {
                byte b => [b], sbyte sb => [(byte)sb], bool bo => [(byte)(bo ? 1 : 0)], short sh => BitConverter.GetBytes(sh),
                int i => BitConverter.GetBytes(i), uint u => BitConverter.GetBytes(u), float f => BitConverter.GetBytes(f), long l => BitConverter.GetBytes(l),
                Node n => [0, 0, 0, 0], _ => throw new ArgumentException(value.GetType().Name),
            };
            for (int k = 0; k < bytes.Length; k++) _buf[at + k] = bytes[k];
            if (value is Node node) refs.Add((at, node));
        }
        foreach (var (at, child) in refs) Patch(at, Write(child) - at);
        return table;
    }

    /// <summary>The file bytes of a root table with the TFL3 identifier.</summary>
    internal static byte[] Serialize(Table root)
    {
        var w = new TfLiteFileWriter();
        w._buf.AddRange(new byte[4]);
        w._buf.AddRange("TFL3"u8.ToArray());
        int at = w.Write(root);
        w.Patch(0, at);
        return w._buf.ToArray();
    }

    // ---------------------------------------------------------------- a TFLite model
    readonly List<Table> _tensors = new();
    readonly List<Bytes?> _buffers = new() { null };
    readonly List<Table> _operators = new();
    readonly List<(int Builtin, string? Custom)> _codes = new();

    /// <summary>Adds a tensor (shape NHWC; data optional: float32 values stored as float32, or as float16 when asked).</summary>
    internal int Tensor(string name, int[] shape, float[]? data = null, bool float16 = false, int[]? int32Data = null)
    {
        int buffer = 0; sbyte type = 0;
        if (data != null)
        {
            byte[] raw;
            if (float16) { raw = new byte[2 * data.Length]; for (int i = 0; i < data.Length; i++) BinaryPrimitives.WriteHalfLittleEndian(raw.AsSpan(2 * i), (Half)data[i]); type = 1; }
            else { raw = new byte[4 * data.Length]; for (int i = 0; i < data.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(raw.AsSpan(4 * i), data[i]); }
            _buffers.Add(new Bytes(raw)); buffer = _buffers.Count - 1;
        }
        else if (int32Data != null)
        {
            _buffers.Add(new Bytes(Ints(int32Data).Data)); buffer = _buffers.Count - 1; type = 2;
        }
        _tensors.Add(new Table((0, Ints(shape)), (1, type), (2, (uint)buffer), (3, Str(name))));
        return _tensors.Count - 1;
    }

    int Code(int builtin, string? custom)
    {
        int i = _codes.IndexOf((builtin, custom));
        if (i >= 0) return i;
        _codes.Add((builtin, custom));
        return _codes.Count - 1;
    }

    /// <summary>Adds an operator; <paramref name="options"/> is its builtin options table (union type <paramref name="optionsType"/>).</summary>
    internal void Op(int builtin, int[] inputs, int[] outputs, Table? options = null, byte optionsType = 0, string? custom = null, byte[]? customOptions = null)
    {
        var fields = new List<(int, object)> { (0, (uint)Code(builtin, custom)), (1, Ints(inputs)), (2, Ints(outputs)) };
        if (options != null) { fields.Add((3, optionsType)); fields.Add((4, options)); }
        if (customOptions != null) fields.Add((5, new Bytes(customOptions)));
        _operators.Add(new Table(fields.ToArray()));
    }

    internal byte[] Build(int input, int output)
    {
        var codes = _codes.Select(c => c.Custom == null
            ? new Table((0, (sbyte)Math.Min(c.Builtin, 127)), (2, 1), (3, c.Builtin))
            : new Table((0, (sbyte)32), (1, Str(c.Custom)), (2, 1), (3, 32))).ToList();
        var subgraph = new Table((0, new TableVector(_tensors)), (1, Ints(input)), (2, Ints(output)), (3, new TableVector(_operators)), (4, Str("main")));
        var buffers = _buffers.Select(b => b == null ? new Table() : new Table((0, b))).ToList();
        return Serialize(new Table((0, 3u), (1, new TableVector(codes)), (2, new TableVector([subgraph])), (3, Str("SharpSeg test model")), (4, new TableVector(buffers))));
    }
}
