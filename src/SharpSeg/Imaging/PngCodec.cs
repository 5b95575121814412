using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace SharpSeg.Imaging;

/// <summary>
/// Reads PNG files to their raw samples (<see cref="PngRaster"/>) and writes 8/16-bit PNGs, without SkiaSharp.
/// Masks need this: SkiaSharp expands palette images to colours (losing the index a VOC-style mask stores)
/// and reduces 16-bit values to 8 bits. Supports bit depths 1, 2, 4, 8, 16, colour types 0, 2, 3, 4, 6 and
/// Adam7 interlacing; checks every chunk's CRC and reports a truncated or damaged file as a
/// <see cref="SharpSegException"/> naming the file.
/// </summary>
public static class PngCodec
{
    static readonly byte[] Signature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
    static readonly uint[] CrcTable = MakeCrcTable();

    // Adam7 passes: x start, y start, x step, y step.
    static readonly (int X, int Y, int DX, int DY)[] Adam7 =
        [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)];

    /// <summary>Whether the file starts with the PNG signature (false for a missing or short file).</summary>
    public static bool IsPng(string path)
    {
        try
        {
            using var fs = File.OpenRead(path);
            Span<byte> head = stackalloc byte[8];
            return fs.ReadAtLeast(head, 8, throwOnEndOfStream: false) == 8 && head.SequenceEqual(Signature);
        }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
    }

    /// <summary>Reads only the IHDR chunk; null when the file is not a PNG. Cheap: reads 33 bytes.</summary>
    public static PngHeader? ReadHeader(string path)
    {
        byte[] head = new byte[33];
        try
        {
            using var fs = File.OpenRead(path);
            if (fs.ReadAtLeast(head, head.Length, throwOnEndOfStream: false) < head.Length) return null;
        }
        catch (IOException) { return null; }
        if (!head.AsSpan(0, 8).SequenceEqual(Signature) || Encoding.ASCII.GetString(head, 12, 4) != "IHDR") return null;
        return ParseHeader(head.AsSpan(16, 13), path);
    }

    /// <summary>Decodes a PNG file to raw samples. Errors (missing, not a PNG, truncated, CRC mismatch) name the file.</summary>
    public static PngRaster Decode(string path)
    {
        if (!File.Exists(path)) throw new SharpSegException($"{path}: file not found.");
        return Decode(File.ReadAllBytes(path), path);
    }

    /// <summary>Decodes PNG bytes; <paramref name="name"/> is the file name used in error messages.</summary>
    public static PngRaster Decode(byte[] data, string name)
    {
        if (data.Length < 8 || !data.AsSpan(0, 8).SequenceEqual(Signature))
            throw new SharpSegException($"{name}: not a PNG file (no PNG signature); re-export it as PNG.");
        PngHeader? header = null;
        var palette = new List<Rgb>();
        var idat = new MemoryStream();
        bool sawEnd = false;
        int pos = 8;
        while (pos < data.Length)
        {
            if (data.Length - pos < 12) throw Truncated(name, $"chunk header cut short at byte {pos}");
            uint length = BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(pos));
            string type = Encoding.ASCII.GetString(data, pos + 4, 4);
            if (length > int.MaxValue || data.Length - pos - 12 < length) throw Truncated(name, $"chunk '{type}' cut short at byte {pos}");
            var body = data.AsSpan(pos + 8, (int)length);
            uint storedCrc = BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(pos + 8 + (int)length));
            if (Crc32(data.AsSpan(pos + 4, 4 + (int)length)) != storedCrc)
                throw new SharpSegException($"{name}: PNG file is damaged (CRC mismatch in chunk '{type}' at byte {pos}); re-export or re-copy it.");
            pos += 12 + (int)length;
            if (header == null && type != "IHDR") throw new SharpSegException($"{name}: PNG file is damaged (first chunk is '{type}', not IHDR); re-export it.");
            switch (type)
            {
                case "IHDR":
                    if (length != 13) throw new SharpSegException($"{name}: PNG file is damaged (IHDR has {length} bytes, expected 13); re-export it.");
                    header = ParseHeader(body, name);
                    break;
                case "PLTE":
                    if (length % 3 != 0 || length == 0 || length > 768) throw new SharpSegException($"{name}: PNG file is damaged (palette of {length} bytes); re-export it.");
                    for (int i = 0; i < length; i += 3) palette.Add(new Rgb(body[i], body[i + 1], body[i + 2]));
                    break;
                case "IDAT":
                    idat.Write(body);
                    break;
                case "IEND":
                    sawEnd = true;
                    break;
                default:
                    if (char.IsUpper(type[0])) throw new SharpSegException($"{name}: PNG uses an unknown critical chunk '{type}' that SharpSeg cannot read; re-export it as a plain PNG.");
                    break; // ancillary chunks (gAMA, tRNS, tEXt, ...) do not change sample values
            }
            if (sawEnd) break;
        }
        if (header == null) throw Truncated(name, "no IHDR chunk");
        if (!sawEnd) throw Truncated(name, "no IEND chunk");
        if (header.ColorType == PngColorType.Palette && palette.Count == 0)
            throw new SharpSegException($"{name}: PNG palette image has no PLTE chunk; re-export it.");

        var h = header;
        int channels = PngRaster.ChannelsOf(h.ColorType);
        long total = (long)h.Width * h.Height * channels;
        if (total > Array.MaxLength) throw new SharpSegException($"{name}: PNG of {h.Width}x{h.Height} is too large to decode.");
        var samples = new ushort[total];
        int bitsPerPixel = channels * h.BitDepth;
        idat.Position = 0;
        using (var z = new ZLibStream(idat, CompressionMode.Decompress))
        {
            try
            {
                if (!h.Interlaced) DecodePass(z, name, h, samples, bitsPerPixel, 0, 0, 1, 1, h.Width, h.Height);
                else
                    foreach (var (x0, y0, dx, dy) in Adam7)
                    {
                        int pw = (h.Width - x0 + dx - 1) / dx, ph = (h.Height - y0 + dy - 1) / dy;
                        if (pw > 0 && ph > 0) DecodePass(z, name, h, samples, bitsPerPixel, x0, y0, dx, dy, pw, ph);
                    }
            }
            catch (InvalidDataException e)
            {
                throw new SharpSegException($"{name}: PNG image data is damaged ({e.Message}); re-export or re-copy it.", e);
            }
        }
        if (h.ColorType == PngColorType.Palette)
        {
            int n = palette.Count;
            foreach (var s in samples)
                if (s >= n) throw new SharpSegException($"{name}: PNG palette index {s} is beyond its {n}-colour palette; re-export it.");
        }
        return new PngRaster(h.Width, h.Height, h.ColorType, h.BitDepth, samples, h.ColorType == PngColorType.Palette ? palette : null);
    }

    static void DecodePass(Stream z, string name, PngHeader h, ushort[] samples, int bitsPerPixel, int x0, int y0, int dx, int dy, int pw, int ph)
    {
        int channels = PngRaster.ChannelsOf(h.ColorType);
        int rowBytes = (int)(((long)pw * bitsPerPixel + 7) / 8);
        int bpp = Math.Max(1, bitsPerPixel / 8);
        var prev = new byte[rowBytes];
        var cur = new byte[rowBytes];
        var filter = new byte[1];
        for (int y = 0; y < ph; y++)
        {
            if (z.ReadAtLeast(filter, 1, throwOnEndOfStream: false) < 1 || z.ReadAtLeast(cur, rowBytes, throwOnEndOfStream: false) < rowBytes)
                throw Truncated(name, $"image data ends at row {y0 + y * dy} of {h.Height}");
            Unfilter(filter[0], cur, prev, bpp, name);
            int outY = y0 + y * dy;
            for (int x = 0; x < pw; x++)
            {
                int outBase = ((outY * h.Width) + x0 + x * dx) * channels;
                for (int c = 0; c < channels; c++)
                {
                    int sampleIndex = x * channels + c;
                    ushort v;
                    switch (h.BitDepth)
                    {
                        case 8: v = cur[sampleIndex]; break;
                        case 16: v = (ushort)((cur[2 * sampleIndex] << 8) | cur[2 * sampleIndex + 1]); break;
                        default:
                            int bit = sampleIndex * h.BitDepth;
                            int shift = 8 - h.BitDepth - (bit & 7);
                            v = (ushort)((cur[bit >> 3] >> shift) & ((1 << h.BitDepth) - 1));
                            break;
                    }
                    samples[outBase + c] = v;
                }
            }
            (prev, cur) = (cur, prev);
        }
    }

    static void Unfilter(byte type, byte[] cur, byte[] prev, int bpp, string name)
    {
        int n = cur.Length;
        switch (type)
        {
            case 0: break;
            case 1: for (int i = bpp; i < n; i++) cur[i] += cur[i - bpp]; break;
            case 2: for (int i = 0; i < n; i++) cur[i] += prev[i]; break;
            case 3:
                for (int i = 0; i < n; i++) cur[i] += (byte)(((i >= bpp ? cur[i - bpp] : 0) + prev[i]) >> 1);
                break;
            case 4:
                for (int i = 0; i < n; i++)
                {
                    int a = i >= bpp ? cur[i - bpp] : 0, b = prev[i], c = i >= bpp ? prev[i - bpp] : 0;
                    int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
                    cur[i] += (byte)(pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
                }
                break;
            default: throw new SharpSegException($"{name}: PNG image data is damaged (unknown row filter {type}); re-export or re-copy it.");
        }
    }

    static PngHeader ParseHeader(ReadOnlySpan<byte> b, string name)
    {
        int w = (int)Math.Min(BinaryPrimitives.ReadUInt32BigEndian(b), int.MaxValue), hgt = (int)Math.Min(BinaryPrimitives.ReadUInt32BigEndian(b[4..]), int.MaxValue);
        int depth = b[8], colorType = b[9], interlace = b[12];
        if (w == 0 || hgt == 0) throw new SharpSegException($"{name}: PNG has an empty size {w}x{hgt}; re-export it.");
        bool ok = colorType switch
        {
            0 => depth is 1 or 2 or 4 or 8 or 16,
            3 => depth is 1 or 2 or 4 or 8,
            2 or 4 or 6 => depth is 8 or 16,
            _ => false,
        };
        if (!ok) throw new SharpSegException($"{name}: PNG has an invalid colour type {colorType} with bit depth {depth}; re-export it.");
        if (b[10] != 0 || b[11] != 0 || interlace > 1) throw new SharpSegException($"{name}: PNG uses an unknown compression, filter or interlace method; re-export it.");
        return new PngHeader(w, hgt, (PngColorType)colorType, depth, interlace == 1);
    }

    static SharpSegException Truncated(string name, string detail) =>
        new($"{name}: PNG file is truncated ({detail}); re-export or re-copy it.");

    /// <summary>
    /// Encodes a raster as a non-interlaced PNG. Bit depth must be 8 or 16 (8 for palette images, whose palette holds
    /// at most 256 colours). Each row is written with the filter that minimises its sum of absolute values.
    /// </summary>
    public static byte[] Encode(PngRaster raster)
    {
        if (raster.BitDepth is not (8 or 16) || (raster.ColorType == PngColorType.Palette && raster.BitDepth != 8))
            throw new ArgumentException($"the encoder writes bit depth 8 or 16 (8 for palette), got {raster.BitDepth}");
        int channels = raster.Channels, bytesPerSample = raster.BitDepth / 8, bpp = channels * bytesPerSample;
        int rowBytes = raster.Width * bpp;
        var ms = new MemoryStream();
        ms.Write(Signature);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(ihdr, (uint)raster.Width);
        BinaryPrimitives.WriteUInt32BigEndian(ihdr.AsSpan(4), (uint)raster.Height);
        ihdr[8] = (byte)raster.BitDepth; ihdr[9] = (byte)raster.ColorType;
        WriteChunk(ms, "IHDR", ihdr);
        if (raster.ColorType == PngColorType.Palette)
        {
            var pal = raster.Palette!;
            if (pal.Count is 0 or > 256) throw new ArgumentException($"a palette has 1..256 colours, got {pal.Count}");
            var plte = new byte[pal.Count * 3];
            for (int i = 0; i < pal.Count; i++) { plte[3 * i] = pal[i].R; plte[3 * i + 1] = pal[i].G; plte[3 * i + 2] = pal[i].B; }
            WriteChunk(ms, "PLTE", plte);
        }
        var zdata = new MemoryStream();
        using (var z = new ZLibStream(zdata, CompressionLevel.Optimal, leaveOpen: true))
        {
            var prev = new byte[rowBytes];
            var row = new byte[rowBytes];
            var best = new byte[rowBytes];
            var trial = new byte[rowBytes];
            var s = raster.Samples;
            for (int y = 0; y < raster.Height; y++)
            {
                int baseIndex = y * raster.Width * channels;
                for (int i = 0; i < raster.Width * channels; i++)
                {
                    ushort v = s[baseIndex + i];
                    if (bytesPerSample == 1)
                    {
                        if (v > 255) throw new ArgumentException($"sample {v} does not fit bit depth 8");
                        row[i] = (byte)v;
                    }
                    else { row[2 * i] = (byte)(v >> 8); row[2 * i + 1] = (byte)v; }
                }
                byte bestType = 0; long bestCost = long.MaxValue;
                for (byte t = 0; t <= 4; t++)
                {
                    Filter(t, row, prev, bpp, trial);
                    long cost = 0;
                    foreach (var b in trial) cost += b < 128 ? b : 256 - b;
                    if (cost < bestCost) { bestCost = cost; bestType = t; (best, trial) = (trial, best); }
                }
                z.WriteByte(bestType);
                z.Write(best);
                (prev, row) = (row, prev);
            }
        }
        WriteChunk(ms, "IDAT", zdata.ToArray());
        WriteChunk(ms, "IEND", []);
        return ms.ToArray();
    }

    static void Filter(byte type, byte[] row, byte[] prev, int bpp, byte[] output)
    {
        for (int i = 0; i < row.Length; i++)
        {
            int a = i >= bpp ? row[i - bpp] : 0, b = prev[i], c = i >= bpp ? prev[i - bpp] : 0;
            int predictor = type switch
            {
                0 => 0,
                1 => a,
                2 => b,
                3 => (a + b) >> 1,
                _ => Paeth(a, b, c),
            };
            output[i] = (byte)(row[i] - predictor);
        }
    }

    static int Paeth(int a, int b, int c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }

    /// <summary>Writes a raster as a PNG file (atomically: temp file, then rename).</summary>
    public static void Save(PngRaster raster, string path)
    {
        byte[] bytes = Encode(raster);
        IO.AtomicFile.Write(path, s => s.Write(bytes));
    }

    /// <summary>Writes 8-bit grayscale pixels (row-major, one byte per pixel) as a PNG file.</summary>
    public static void SaveGray8(string path, int width, int height, byte[] pixels) =>
        Save(new PngRaster(width, height, PngColorType.Gray, 8, ToSamples(pixels)), path);

    /// <summary>
    /// Writes palette indices (row-major, one byte per pixel) with their palette as an 8-bit palette PNG, the form of
    /// VOC-style masks: the index is the class value, the palette colour is for display.
    /// </summary>
    public static void SavePalette8(string path, int width, int height, byte[] indices, IReadOnlyList<Rgb> palette)
    {
        foreach (var i in indices)
            if (i >= palette.Count) throw new ArgumentException($"index {i} is beyond the {palette.Count}-colour palette");
        Save(new PngRaster(width, height, PngColorType.Palette, 8, ToSamples(indices), palette), path);
    }

    static ushort[] ToSamples(byte[] bytes)
    {
        var s = new ushort[bytes.Length];
        for (int i = 0; i < bytes.Length; i++) s[i] = bytes[i];
        return s;
    }

    static void WriteChunk(Stream s, string type, byte[] body)
    {
        Span<byte> u32 = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(u32, (uint)body.Length);
        s.Write(u32);
        var typeAndBody = new byte[4 + body.Length];
        Encoding.ASCII.GetBytes(type, typeAndBody);
        body.CopyTo(typeAndBody, 4);
        s.Write(typeAndBody);
        BinaryPrimitives.WriteUInt32BigEndian(u32, Crc32(typeAndBody));
        s.Write(u32);
    }

    static uint Crc32(ReadOnlySpan<byte> bytes)
    {
        uint c = 0xFFFFFFFF;
        foreach (var b in bytes) c = CrcTable[(c ^ b) & 0xFF] ^ (c >> 8);
        return c ^ 0xFFFFFFFF;
    }

    static uint[] MakeCrcTable()
    {
        var t = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
            t[n] = c;
        }
        return t;
    }
}
