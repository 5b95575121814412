using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;
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

    /// <summary>Whether <paramref name="data"/> starts with the PNG signature.</summary>
    public static bool IsPng(ReadOnlySpan<byte> data) => data.Length >= 8 && data[..8].SequenceEqual(Signature);

    /// <summary>Like <see cref="Verify(string)"/> for PNG bytes in memory; <paramref name="name"/> is the name used in
    /// error messages.</summary>
    public static PngHeader Verify(byte[] data, string name) => Walk(new MemoryStream(data, writable: false), name, keepData: false).Header;

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

    /// <summary>
    /// Checks a PNG file's structure without decoding pixels: the signature, every chunk's length and CRC up to IEND, the
    /// header's size against <see cref="PixelLimit"/>, and that the compressed image data could possibly hold the pixels
    /// the header claims. What SkiaSharp does not check (it decodes a PNG that lost its IEND, and allocates what the
    /// header claims) is checked here before it decodes. Errors name the file. Returns the header.
    /// </summary>
    public static PngHeader Verify(string path)
    {
        using var fs = OpenForReading(path);
        return Walk(fs, path, keepData: false).Header;
    }

    /// <summary>Decodes a PNG file to raw samples. Errors (missing, not a PNG, truncated, CRC mismatch, over the pixel
    /// limit) name the file; nothing the size of the image is allocated before the header and data sizes are checked.</summary>
    public static PngRaster Decode(string path)
    {
        using var fs = OpenForReading(path);
        return Decode(Walk(fs, path, keepData: true), path);
    }

    /// <summary>Decodes PNG bytes; <paramref name="name"/> is the file name used in error messages.</summary>
    public static PngRaster Decode(byte[] data, string name) => Decode(Walk(new MemoryStream(data, writable: false), name, keepData: true), name);

    static FileStream OpenForReading(string path)
    {
        if (!File.Exists(path)) throw new SharpSegException($"{path}: file not found.");
        return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
    }

    /// <summary>What <see cref="Walk"/> found: the header, the palette, and the concatenated IDAT bodies (when kept).</summary>
    sealed record Chunks(PngHeader Header, List<Rgb> Palette, MemoryStream? Idat);

    /// <summary>
    /// Reads chunk by chunk up to IEND, checking each length against what the stream holds and each CRC, and the header
    /// (first chunk) against the pixel limit before anything else is read. Ancillary chunks are checked and skipped.
    /// </summary>
    static Chunks Walk(Stream s, string name, bool keepData)
    {
        Span<byte> head = stackalloc byte[8], stored = stackalloc byte[4];
        if (s.ReadAtLeast(head, 8, throwOnEndOfStream: false) < 8 || !head.SequenceEqual(Signature))
            throw new SharpSegException($"{name}: not a PNG file (no PNG signature); re-export it as PNG.");
        PngHeader? header = null;
        var palette = new List<Rgb>();
        var idat = keepData ? new MemoryStream() : null;
        long idatBytes = 0;
        byte[] buffer = new byte[1 << 16];
        long pos = 8;
        while (true)
        {
            int got = s.ReadAtLeast(head, 8, throwOnEndOfStream: false);
            if (got < 8)
                throw Truncated(name, header == null ? "no IHDR chunk" : got == 0 ? "no IEND chunk" : $"chunk header cut short at byte {pos}, no IEND chunk");
            uint length = BinaryPrimitives.ReadUInt32BigEndian(head);
            string type = Encoding.ASCII.GetString(head[4..]);
            if (length > int.MaxValue || (s.CanSeek && s.Length - s.Position - 4 < length))
                throw Truncated(name, $"chunk '{Printable(type)}' of {length} bytes cut short at byte {pos}");
            if (header == null && type != "IHDR") throw new SharpSegException($"{name}: PNG file is damaged (first chunk is '{Printable(type)}', not IHDR); re-export it.");
            if (type == "IHDR" && length != 13) throw new SharpSegException($"{name}: PNG file is damaged (IHDR has {length} bytes, expected 13); re-export it.");
            if (type == "PLTE" && (length % 3 != 0 || length == 0 || length > 768)) throw new SharpSegException($"{name}: PNG file is damaged (palette of {length} bytes); re-export it.");
            if (idat != null && type == "IDAT" && idat.Length + length > Array.MaxLength)
                throw new SharpSegException($"{name}: PNG holds more than 2 GB of compressed image data, more than SharpSeg decodes; tile it into smaller files.");
            var crc = new Crc32();
            crc.Append(head[4..]);
            // Small chunks whose bodies are parsed are kept whole; the rest stream through the CRC in blocks.
            byte[]? body = type is "IHDR" or "PLTE" ? new byte[length] : null;
            long left = length;
            while (left > 0)
            {
                int n = (int)Math.Min(left, buffer.Length);
                if (s.ReadAtLeast(buffer.AsSpan(0, n), n, throwOnEndOfStream: false) < n) throw Truncated(name, $"chunk '{type}' cut short at byte {pos}");
                crc.Append(buffer.AsSpan(0, n));
                if (body != null) buffer.AsSpan(0, n).CopyTo(body.AsSpan((int)(length - left)));
                else if (type == "IDAT") idat?.Write(buffer, 0, n);
                left -= n;
            }
            if (s.ReadAtLeast(stored, 4, throwOnEndOfStream: false) < 4) throw Truncated(name, $"chunk '{type}' cut short at byte {pos}");
            if (crc.GetCurrentHashAsUInt32() != BinaryPrimitives.ReadUInt32BigEndian(stored))
                throw new SharpSegException($"{name}: PNG file is damaged (CRC mismatch in chunk '{Printable(type)}' at byte {pos}); re-export or re-copy it.");
            pos += 12 + length;
            switch (type)
            {
                case "IHDR":
                    header = ParseHeader(body!, name);
                    PixelLimit.Check(name, header.Width, header.Height);
                    break;
                case "PLTE":
                    for (int i = 0; i < body!.Length; i += 3) palette.Add(new Rgb(body[i], body[i + 1], body[i + 2]));
                    break;
                case "IDAT":
                    idatBytes += length;
                    break;
                case "IEND":
                    if (header!.ColorType == PngColorType.Palette && palette.Count == 0)
                        throw new SharpSegException($"{name}: PNG palette image has no PLTE chunk; re-export it.");
                    // Deflate expands at most 1032:1 (a 258-byte match in 2 bits); less data than that cannot be the image.
                    long needed = FilteredBytes(header);
                    if (idatBytes * 1032 + 64 < needed)
                        throw new SharpSegException($"{name}: PNG file is damaged or hostile: its {idatBytes} bytes of compressed data cannot hold the {header.Width}x{header.Height} pixels its header claims; re-export or re-copy it.");
                    idat?.Seek(0, SeekOrigin.Begin);
                    return new Chunks(header, palette, idat);
                default:
                    break; // ancillary chunks (gAMA, tRNS, tEXt, ...) do not change sample values; unknown critical ones are refused on decode
            }
            if (type.Length == 4 && !char.IsAsciiLetter(type[0])) throw new SharpSegException($"{name}: PNG file is damaged (chunk type '{Printable(type)}' at byte {pos - 12 - length}); re-export or re-copy it.");
            if (keepData && type is not ("IHDR" or "PLTE" or "IDAT") && char.IsUpper(type[0]))
                throw new SharpSegException($"{name}: PNG uses an unknown critical chunk '{Printable(type)}' that SharpSeg cannot read; re-export it as a plain PNG.");
        }
    }

    /// <summary>Bytes of filtered scanlines (a filter byte per row, per Adam7 pass when interlaced) the header implies.</summary>
    static long FilteredBytes(PngHeader h)
    {
        int bitsPerPixel = PngRaster.ChannelsOf(h.ColorType) * h.BitDepth;
        long Pass(long w, long hgt) => w > 0 && hgt > 0 ? hgt * (1 + (w * bitsPerPixel + 7) / 8) : 0;
        if (!h.Interlaced) return Pass(h.Width, h.Height);
        long total = 0;
        foreach (var (x0, y0, dx, dy) in Adam7) total += Pass((h.Width - x0 + dx - 1) / dx, (h.Height - y0 + dy - 1) / dy);
        return total;
    }

    static string Printable(string type) => new(type.Select(c => c is >= ' ' and < (char)127 ? c : '?').ToArray());

    static PngRaster Decode(Chunks chunks, string name)
    {
        var h = chunks.Header;
        var palette = chunks.Palette;
        int channels = PngRaster.ChannelsOf(h.ColorType);
        long total = (long)h.Width * h.Height * channels;
        if (total > Array.MaxLength) throw new SharpSegException($"{name}: PNG of {h.Width}x{h.Height} is too large to decode as one array; {PixelLimit.HowToRaise} cannot help here, tile it into smaller files.");
        var samples = new ushort[total];
        int bitsPerPixel = channels * h.BitDepth;
        using (var z = new ZLibStream(chunks.Idat!, CompressionMode.Decompress))
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
        // The format caps each side at 2^31 - 1.
        uint rawW = BinaryPrimitives.ReadUInt32BigEndian(b), rawH = BinaryPrimitives.ReadUInt32BigEndian(b[4..]);
        if (rawW > int.MaxValue || rawH > int.MaxValue) throw new SharpSegException($"{name}: PNG header claims {rawW}x{rawH} pixels, beyond the format's limit; the file is damaged, re-export it.");
        int w = (int)rawW, hgt = (int)rawH;
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
        BinaryPrimitives.WriteUInt32BigEndian(u32, Crc32.HashToUInt32(typeAndBody));
        s.Write(u32);
    }
}
