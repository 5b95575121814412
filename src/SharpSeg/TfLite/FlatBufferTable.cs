using System.Buffers.Binary;
using System.Text;

namespace SharpSeg.TfLite;

/// <summary>
/// One table of a FlatBuffers file, read in place with every offset checked against the file (a damaged or hostile file
/// is a <see cref="FormatException"/>, never a read outside the buffer). Only what the TFLite schema needs: scalars,
/// strings, vectors of scalars and of tables, sub-tables and union values. Layout (flatbuffers.dev, "internals"): a table
/// starts with an int32 offset back to its vtable; the vtable holds uint16 sizes and then one uint16 offset per field
/// (0 = absent, the field takes its default); references are uint32 offsets from where they are stored.
/// </summary>
internal readonly struct FlatBufferTable
{
    readonly byte[] _data;
    readonly int _position;
    readonly int _vtable;
    readonly int _vtableSize;

    FlatBufferTable(byte[] data, int position)
    {
        _data = data;
        _position = position;
        Check(data, position, 4);
        long vtable = position - (long)BinaryPrimitives.ReadInt32LittleEndian(data.AsSpan(position));
        if (vtable < 0 || vtable + 4 > data.Length) throw new FormatException($"a vtable offset at byte {position} points outside the file");
        _vtable = (int)vtable;
        _vtableSize = BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(_vtable));
        if (_vtableSize < 4 || _vtable + _vtableSize > data.Length) throw new FormatException($"the vtable at byte {_vtable} is damaged");
    }

    /// <summary>The root table of a file (its first 4 bytes are the offset to it).</summary>
    public static FlatBufferTable Root(byte[] data)
    {
        Check(data, 0, 8);
        return new FlatBufferTable(data, Follow(data, 0));
    }

    static void Check(byte[] data, long position, long length)
    {
        if (position < 0 || length < 0 || position + length > data.Length)
            throw new FormatException($"{length} bytes at byte {position} are outside the file ({data.Length} bytes)");
    }

    /// <summary>The position a uint32 reference stored at <paramref name="at"/> points to.</summary>
    static int Follow(byte[] data, int at)
    {
        Check(data, at, 4);
        long target = at + (long)BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(at));
        Check(data, target, 4);
        return (int)target;
    }

    /// <summary>Where field <paramref name="index"/> is stored, or -1 when it is absent.</summary>
    int Field(int index)
    {
        int entry = 4 + 2 * index;
        if (entry + 2 > _vtableSize) return -1;
        int offset = BinaryPrimitives.ReadUInt16LittleEndian(_data.AsSpan(_vtable + entry));
        return offset == 0 ? -1 : _position + offset;
    }

    public bool Has(int index) => Field(index) >= 0;

    public int Int32(int index, int fallback = 0)
    {
        int at = Field(index);
        if (at < 0) return fallback;
        Check(_data, at, 4);
        return BinaryPrimitives.ReadInt32LittleEndian(_data.AsSpan(at));
    }

    public uint UInt32(int index, uint fallback = 0) => (uint)Int32(index, (int)fallback);

    public long Int64(int index, long fallback = 0)
    {
        int at = Field(index);
        if (at < 0) return fallback;
        Check(_data, at, 8);
        return BinaryPrimitives.ReadInt64LittleEndian(_data.AsSpan(at));
    }

    public byte Byte(int index, byte fallback = 0)
    {
        int at = Field(index);
        if (at < 0) return fallback;
        Check(_data, at, 1);
        return _data[at];
    }

    public sbyte SByte(int index, sbyte fallback = 0) => (sbyte)Byte(index, (byte)fallback);

    public bool Bool(int index, bool fallback = false) => Byte(index, fallback ? (byte)1 : (byte)0) != 0;

    public float Float(int index, float fallback = 0)
    {
        int at = Field(index);
        if (at < 0) return fallback;
        Check(_data, at, 4);
        return BinaryPrimitives.ReadSingleLittleEndian(_data.AsSpan(at));
    }

    public string? String(int index)
    {
        var bytes = Bytes(index, 1);
        return bytes.Length == 0 && !Has(index) ? null : Encoding.UTF8.GetString(bytes);
    }

    /// <summary>A sub-table, or null when the field is absent.</summary>
    public FlatBufferTable? Table(int index)
    {
        int at = Field(index);
        return at < 0 ? null : new FlatBufferTable(_data, Follow(_data, at));
    }

    /// <summary>The raw bytes of a vector of elements of <paramref name="elementSize"/> bytes (empty when absent).</summary>
    public ReadOnlySpan<byte> Bytes(int index, int elementSize = 1)
    {
        int at = Field(index);
        if (at < 0) return ReadOnlySpan<byte>.Empty;
        int vector = Follow(_data, at);
        long count = BinaryPrimitives.ReadUInt32LittleEndian(_data.AsSpan(vector));
        Check(_data, vector + 4L, count * elementSize);
        return _data.AsSpan(vector + 4, (int)(count * elementSize));
    }

    public int[] Int32s(int index)
    {
        var bytes = Bytes(index, 4);
        var result = new int[bytes.Length / 4];
        for (int i = 0; i < result.Length; i++) result[i] = BinaryPrimitives.ReadInt32LittleEndian(bytes[(4 * i)..]);
        return result;
    }

    /// <summary>A vector of tables (empty when absent).</summary>
    public FlatBufferTable[] Tables(int index)
    {
        int at = Field(index);
        if (at < 0) return [];
        int vector = Follow(_data, at);
        long count = BinaryPrimitives.ReadUInt32LittleEndian(_data.AsSpan(vector));
        Check(_data, vector + 4L, count * 4);
        var result = new FlatBufferTable[count];
        for (int i = 0; i < count; i++) result[i] = new FlatBufferTable(_data, Follow(_data, vector + 4 + 4 * i));
        return result;
    }
}
