using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace SharpSeg.Imaging;

/// <summary>
/// Reads NumPy <c>.npy</c> arrays as rasters, for datasets whose masks (or images) were saved with <c>numpy.save</c>:
/// a 2-D array <c>(H, W)</c> is one gray channel, <c>(H, W, 1)</c> and <c>(1, H, W)</c> too, and <c>(H, W, 3)</c> or
/// <c>(3, H, W)</c> is RGB. The type decides, the same for every file of a dataset: integer arrays keep their values
/// (0..65535), so class indices read exactly as from an index PNG, 8-bit for 8-bit types and 16-bit for wider ones (so
/// <c>image_range</c> reads every image of a wider type alike); boolean arrays are binary masks, 0 and 255 as a
/// black-and-white PNG; float arrays of whole numbers are read as those integers (0.0, 1.0 and 2.0 as 0, 1 and 2, so a
/// multi-class mask that happens to hold only 0.0 and 1.0 reads as its neighbours do, not as 0/255; 8-bit up to 255),
/// other float arrays within [0, 1] are intensities or probabilities, 0..255, and other floats are refused. Where the
/// file is known to hold intensities (an image; a mask read by brightness or colour: <c>encoding: threshold</c> or
/// <c>rgb</c>), a float array within [0, 1] is read as 0..255 even when all its values are 0.0 and 1.0, so a hard
/// 0.0/1.0 file reads as its soft neighbours do (<c>intensities</c>). Little- and big-endian, C and Fortran order.
/// Everything else (negative values, more channels, other types, a damaged file) is one line naming the file.
/// </summary>
public static partial class NpyCodec
{
    internal static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>Whether the file starts with the .npy signature.</summary>
    public static bool IsNpy(string path) => IsNpy(ImageFile.Head(path));

    /// <summary>Whether the bytes start with the .npy signature.</summary>
    public static bool IsNpy(ReadOnlySpan<byte> data) => data.Length >= 6 && data[..6].SequenceEqual(Magic);

    /// <summary>Width and height from the header, without reading the values.</summary>
    public static (int Width, int Height) ReadSize(string path)
    {
        using var f = File.OpenRead(path);
        var h = Header(f, path);
        return (h.Width, h.Height);
    }

    /// <summary>Whether the file is a .npy array of floating-point numbers (from its header).</summary>
    internal static bool HoldsFloats(string path)
    {
        if (!IsNpy(path)) return false;
        using var f = File.OpenRead(path);
        return Header(f, path).Kind == 'f';
    }

    /// <summary>The longest .npy header read: 1 MB.</summary>
    public const int MaxHeaderBytes = 1 << 20;

    /// <summary>
    /// Reads a .npy file's preamble from the start of <paramref name="s"/>: the signature, the format version (1, 2 or 3)
    /// and the header dict, whose claimed length must lie within the file and <see cref="MaxHeaderBytes"/>. Returns the
    /// dict's text and where the values start. Errors name <paramref name="path"/>; <paramref name="notNpyFix"/> says
    /// what to give instead of a file that is no .npy at all.
    /// </summary>
    internal static (string Dict, int DataOffset) ReadPreamble(Stream s, string path, string notNpyFix)
    {
        var pre = new byte[10];
        if (s.ReadAtLeast(pre, 10, throwOnEndOfStream: false) != 10 || !pre.AsSpan(0, 6).SequenceEqual(Magic))
            throw new SharpSegException($"{path}: not a .npy file (no NumPy magic); {notNpyFix}.");
        int major = pre[6];
        if (major is < 1 or > 3) throw new SharpSegException($"{path}: .npy format version {major} is not one SharpSeg reads (1, 2 or 3); save it with numpy.save.");
        long headerLen;
        int prefix;
        if (major == 1) { headerLen = pre[8] | (pre[9] << 8); prefix = 10; }
        else
        {
            var more = new byte[2];
            if (s.ReadAtLeast(more, 2, throwOnEndOfStream: false) != 2) throw new SharpSegException($"{path}: truncated .npy header.");
            headerLen = (uint)(pre[8] | (pre[9] << 8) | (more[0] << 16) | (more[1] << 24));
            prefix = 12;
        }
        // The header length is the file's own claim: within what the file holds, and small (NumPy writes a few hundred bytes).
        long maxLen = Math.Min(MaxHeaderBytes, s.Length - prefix);
        if (headerLen < 1 || headerLen > maxLen)
            throw new SharpSegException($"{path}: .npy header claims {headerLen} bytes, outside 1..{Math.Max(0, maxLen)} (the file holds {s.Length} bytes); the file is damaged or truncated.");
        var dictBytes = new byte[headerLen];
        if (s.ReadAtLeast(dictBytes, dictBytes.Length, throwOnEndOfStream: false) != headerLen) throw new SharpSegException($"{path}: truncated .npy header.");
        return (Encoding.Latin1.GetString(dictBytes), (int)(prefix + headerLen));
    }

    /// <summary>The array in <paramref name="path"/> as a raster, a float array of only 0.0 and 1.0 as the values 0 and 1.</summary>
    public static PngRaster Decode(string path) => Decode(path, intensities: false);

    /// <summary>The array in <paramref name="path"/> as a raster (<paramref name="intensities"/>: see
    /// <see cref="Decode(byte[], string, bool)"/>).</summary>
    public static PngRaster Decode(string path, bool intensities) => Decode(File.ReadAllBytes(path), path, intensities);

    /// <summary>The array held in <paramref name="data"/> as a raster, a float array of only 0.0 and 1.0 as the values 0 and 1.</summary>
    public static PngRaster Decode(byte[] data, string name) => Decode(data, name, intensities: false);

    /// <summary>The array held in <paramref name="data"/> as a raster; errors name <paramref name="name"/>.</summary>
    /// <param name="data">The bytes of a .npy file.</param>
    /// <param name="name">The file, for messages.</param>
    /// <param name="intensities">True where the array holds intensities (an image, a mask read by brightness or colour):
    /// a float array within [0, 1] is read as 0..255 even when its values are all 0.0 and 1.0. False (a mask of class
    /// values) reads such an array as the classes 0 and 1.</param>
    public static PngRaster Decode(byte[] data, string name, bool intensities)
    {
        NpyHeader h;
        using (var stream = new MemoryStream(data, writable: false)) h = Header(stream, name);
        long count = (long)h.Width * h.Height * h.Channels;
        if (data.Length - h.DataOffset < count * h.ItemSize)
            throw new SharpSegException($"{name}: the .npy file is truncated ({data.Length - h.DataOffset} bytes of values, {count * h.ItemSize} expected for shape {h.ShapeText}); save it again.");
        var values = new double[count];
        var span = data.AsSpan(h.DataOffset);
        for (long i = 0; i < count; i++) values[i] = Read(span.Slice((int)(i * h.ItemSize), h.ItemSize), h.Kind, h.BigEndian);

        bool whole = true;
        double min = double.MaxValue, max = double.MinValue;
        foreach (double v in values)
        {
            if (double.IsNaN(v)) throw new SharpSegException($"{name}: the array holds NaN; a mask or image needs finite values.");
            if (v < min) min = v;
            if (v > max) max = v;
            if (whole && v != Math.Floor(v)) whole = false;
        }
        if (count == 0) min = max = 0;
        string range = $"values run from {min.ToString("G6", CultureInfo.InvariantCulture)} to {max.ToString("G6", CultureInfo.InvariantCulture)}";
        Func<double, ushort> toSample;
        int bitDepth;
        if (h.Kind == 'b')
        {
            bitDepth = 8;
            toSample = v => (ushort)(v != 0 ? 255 : 0);
        }
        else if (h.Kind == 'f' && min >= 0 && max <= 1 && (!whole || intensities))
        {
            bitDepth = 8;
            toSample = v => (ushort)Math.Round(v * 255);
        }
        else
        {
            if (min < 0)
                throw new SharpSegException($"{name}: {range}; SharpSeg reads .npy values 0..65535 (for an ignore label of -1, save it as 255 and list it in ignore_values).");
            if (max > 65535) throw new SharpSegException($"{name}: {range}; SharpSeg reads .npy values 0..65535.");
            if (!whole)
                throw new SharpSegException($"{name}: a float array whose {range}; SharpSeg reads float .npy arrays of intensities in [0, 1], or of whole numbers (class values); save it scaled, or as integers.");
            // Integer types by their width, the same for every file; whole floats by their values (class indices and
            // 0..255 images are 8-bit, as a PNG of them would be).
            bitDepth = h.Kind == 'f' ? (max <= 255 ? 8 : 16) : h.ItemSize == 1 ? 8 : 16;
            toSample = v => (ushort)v;
        }

        var samples = new ushort[count];
        int w = h.Width, hh = h.Height, c = h.Channels;
        for (int y = 0; y < hh; y++)
            for (int x = 0; x < w; x++)
                for (int k = 0; k < c; k++)
                    samples[((long)y * w + x) * c + k] = toSample(values[h.Index(y, x, k)]);
        return new PngRaster(w, hh, c == 3 ? PngColorType.Rgb : PngColorType.Gray, bitDepth, samples);
    }

    static double Read(ReadOnlySpan<byte> b, char kind, bool bigEndian)
    {
        switch (kind, b.Length)
        {
            case ('b', 1): return b[0] != 0 ? 1 : 0;
            case ('u', 1): return b[0];
            case ('i', 1): return (sbyte)b[0];
            case ('u', 2): return bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(b) : BinaryPrimitives.ReadUInt16LittleEndian(b);
            case ('i', 2): return bigEndian ? BinaryPrimitives.ReadInt16BigEndian(b) : BinaryPrimitives.ReadInt16LittleEndian(b);
            case ('u', 4): return bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(b) : BinaryPrimitives.ReadUInt32LittleEndian(b);
            case ('i', 4): return bigEndian ? BinaryPrimitives.ReadInt32BigEndian(b) : BinaryPrimitives.ReadInt32LittleEndian(b);
            case ('u', 8): return bigEndian ? BinaryPrimitives.ReadUInt64BigEndian(b) : BinaryPrimitives.ReadUInt64LittleEndian(b);
            case ('i', 8): return bigEndian ? BinaryPrimitives.ReadInt64BigEndian(b) : BinaryPrimitives.ReadInt64LittleEndian(b);
            case ('f', 4): return bigEndian ? BinaryPrimitives.ReadSingleBigEndian(b) : BinaryPrimitives.ReadSingleLittleEndian(b);
            case ('f', 8): return bigEndian ? BinaryPrimitives.ReadDoubleBigEndian(b) : BinaryPrimitives.ReadDoubleLittleEndian(b);
            default: throw new InvalidOperationException($"unchecked dtype {kind}{b.Length}");
        }
    }

    sealed record NpyHeader(int DataOffset, char Kind, int ItemSize, bool BigEndian, bool Fortran, long[] Shape, int Height, int Width, int Channels, bool ChannelsFirst)
    {
        public string ShapeText => "(" + string.Join(", ", Shape) + ")";

        /// <summary>The flat index of (y, x, channel k) in the array as stored.</summary>
        public long Index(int y, int x, int k)
        {
            long[] at = Shape.Length == 2 ? [y, x] : ChannelsFirst ? [k, y, x] : [y, x, k];
            long index = 0;
            if (Fortran) for (int d = Shape.Length - 1; d >= 0; d--) index = index * Shape[d] + at[d];
            else for (int d = 0; d < Shape.Length; d++) index = index * Shape[d] + at[d];
            return index;
        }
    }

    [GeneratedRegex(@"'descr'\s*:\s*'([<>|=])([biuf])(\d+)'")]
    private static partial Regex DescrPattern();
    [GeneratedRegex(@"'fortran_order'\s*:\s*(True|False)")]
    private static partial Regex FortranPattern();
    [GeneratedRegex(@"'shape'\s*:\s*\(([^)]*)\)")]
    private static partial Regex ShapePattern();

    static NpyHeader Header(Stream stream, string name)
    {
        var (text, dataOffset) = ReadPreamble(stream, name, "save the array with numpy.save");
        var descr = DescrPattern().Match(text);
        var fortran = FortranPattern().Match(text);
        var shape = ShapePattern().Match(text);
        if (!descr.Success || !fortran.Success || !shape.Success)
            throw new SharpSegException($"{name}: the .npy header '{text.Trim()}' names no plain number type, order and shape; save a numeric array with numpy.save (not a pickled object).");
        char kind = descr.Groups[2].Value[0];
        int size = int.Parse(descr.Groups[3].Value, CultureInfo.InvariantCulture);
        bool known = kind switch { 'b' => size == 1, 'u' or 'i' => size is 1 or 2 or 4 or 8, 'f' => size is 4 or 8, _ => false };
        if (!known) throw new SharpSegException($"{name}: array type '{descr.Groups[1].Value}{kind}{size}' is not one SharpSeg reads (bool, 8- to 64-bit integers, float32, float64).");
        long[] dims;
        try { dims = shape.Groups[1].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(s => long.Parse(s, CultureInfo.InvariantCulture)).ToArray(); }
        catch (FormatException) { throw new SharpSegException($"{name}: the .npy shape '({shape.Groups[1].Value})' cannot be read."); }
        (int h, int w, int c, bool first) = dims switch
        {
            [var a, var b] => ((int)Math.Min(a, int.MaxValue), (int)Math.Min(b, int.MaxValue), 1, false),
            [var a, var b, 1 or 3] => ((int)Math.Min(a, int.MaxValue), (int)Math.Min(b, int.MaxValue), (int)dims[2], false),
            [1 or 3, var a, var b] => ((int)Math.Min(a, int.MaxValue), (int)Math.Min(b, int.MaxValue), (int)dims[0], true),
            _ => throw new SharpSegException($"{name}: array shape ({string.Join(", ", dims)}) is not an image: SharpSeg reads (H, W), (H, W, 1), (H, W, 3), (1, H, W) or (3, H, W)."),
        };
        if (h <= 0 || w <= 0) throw new SharpSegException($"{name}: array shape ({string.Join(", ", dims)}) has no pixels.");
        PixelLimit.Check(name, w, h);
        bool big = descr.Groups[1].Value == ">" && size > 1;
        return new NpyHeader(dataOffset, kind, size, big, fortran.Groups[1].Value == "True", dims, h, w, c, first);
    }
}
