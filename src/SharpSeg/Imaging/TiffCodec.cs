using System.Globalization;
using BitMiracle.LibTiff.Classic;

namespace SharpSeg.Imaging;

/// <summary>
/// Reads TIFF files (microscopy, remote sensing, scanners) to their raw samples, the same <see cref="PngRaster"/> a PNG
/// decodes to, so masks keep their exact values (8/16-bit index, palette index) and images go through the same paths.
/// SkiaSharp has no TIFF codec; this uses LibTiff.NET (managed, BSD): every compression it knows (none, LZW, Deflate,
/// PackBits, JPEG, CCITT…), strips or tiles, contiguous or separate planes, Intel or Motorola byte order, BigTIFF.
/// <list type="bullet">
/// <item>Gray (min-is-black; min-is-white is inverted so that white is the largest value), gray + alpha, RGB, RGBA and
/// palette images with 1, 2, 4, 8 or 16 unsigned bits per sample read raw; YCbCr, CMYK and CIE Lab images with
/// 8 bits per sample are converted to RGBA by LibTiff.</item>
/// <item>Refused with one line naming the file: floating-point or signed samples, more than 4 samples per pixel
/// (multispectral bands), stacks of several full-resolution pages (reduced-resolution pages and thumbnails are
/// skipped), and a file whose header claims more pixels than <see cref="PixelLimit"/> (checked before pixels are
/// allocated) or strips/tiles beyond the end of the file.</item>
/// </list>
/// Thread-safe: each call opens its own decoder.
/// </summary>
public static class TiffCodec
{
    static TiffCodec() => Tiff.SetErrorHandler(new QuietErrorHandler());

    /// <summary>Whether <paramref name="head"/> starts with a TIFF or BigTIFF signature (II*\0, MM\0*, II+\0, MM\0+).</summary>
    public static bool IsTiff(ReadOnlySpan<byte> head) =>
        head.Length >= 4 && ((head[0] == 'I' && head[1] == 'I' && head[2] is 42 or 43 && head[3] == 0)
                          || (head[0] == 'M' && head[1] == 'M' && head[2] == 0 && head[3] is 42 or 43));

    /// <summary>Whether the file starts with a TIFF signature (false for a missing or short file).</summary>
    public static bool IsTiff(string path)
    {
        try
        {
            using var fs = File.OpenRead(path);
            Span<byte> head = stackalloc byte[4];
            return fs.ReadAtLeast(head, 4, throwOnEndOfStream: false) == 4 && IsTiff(head);
        }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
    }

    /// <summary>The width and height of the image a TIFF holds (its first full-resolution page), from the header only.</summary>
    public static (int Width, int Height) ReadSize(string path) =>
        WithFile(path, (tif, name, length) => { var d = Describe(tif, name); return (d.Width, d.Height); });

    /// <summary>Decodes a TIFF file to raw samples (see the class summary for what is read and what is refused).</summary>
    public static PngRaster Decode(string path) => WithFile(path, (tif, name, length) => Decode(tif, name, length));

    /// <summary>Like <see cref="Decode(string)"/> for the bytes of a TIFF file in memory; <paramref name="name"/> names it
    /// in error messages.</summary>
    public static PngRaster Decode(byte[] data, string name)
    {
        ArgumentNullException.ThrowIfNull(data);
        using var stream = new MemoryStream(data, writable: false);
        return WithStream(stream, name, data.Length, (tif, n, length) => Decode(tif, n, length));
    }

    static T WithFile<T>(string path, Func<Tiff, string, long, T> read)
    {
        if (!File.Exists(path)) throw new SharpSegException($"{path}: image file not found.");
        FileStream stream;
        try { stream = File.OpenRead(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new SharpSegException($"{path}: cannot read the file ({e.Message})."); }
        using (stream) return WithStream(stream, path, stream.Length, read);
    }

    static T WithStream<T>(Stream stream, string name, long length, Func<Tiff, string, long, T> read)
    {
        QuietErrorHandler.LastError = null;
        Tiff? tif = null;
        try
        {
            CheckDirectoriesWithinFile(stream, name, length);
            stream.Position = 0;
            tif = Tiff.ClientOpen(name, "r", stream, new TiffStream());
            if (tif == null) throw Damaged(name, "no readable TIFF header");
            return read(tif, name, length);
        }
        catch (SharpSegException) { throw; }
        catch (Exception e)
        {
            // LibTiff.NET reports most damage through its error handler, but some crafted files make it throw
            // (index out of range, end of stream, …): every one is a damaged file, named.
            throw Damaged(name, e is OutOfMemoryException ? "it claims more memory than is available" : e.Message);
        }
        finally { tif?.Dispose(); }
    }

    /// <summary>
    /// Walks the directories of a classic TIFF and checks that every value stored outside its entry (colour maps,
    /// offset tables, …) lies within the file: LibTiff.NET reads a value cut off by the end of the file as zeros, so a
    /// truncated palette image would otherwise decode with black colours. BigTIFF files are left to LibTiff's checks.
    /// </summary>
    static void CheckDirectoriesWithinFile(Stream stream, string name, long length)
    {
        var reader = new BinaryReader(stream);
        stream.Position = 0;
        if (length < 8) throw Damaged(name, $"{length} bytes, shorter than a TIFF header");
        byte[] head = reader.ReadBytes(8);
        if (!IsTiff(head)) throw Damaged(name, "no TIFF signature");
        if (head[2] == 43 || head[3] == 43) return;   // BigTIFF
        bool big = head[0] == 'M';
        uint U32(byte[] b, int at) => big ? System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(b.AsSpan(at)) : System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(at));
        ushort U16(byte[] b, int at) => big ? System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(b.AsSpan(at)) : System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(at));
        long offset = U32(head, 4);
        var seen = new HashSet<long>();
        for (int page = 1; offset != 0; page++)
        {
            if (!seen.Add(offset) || seen.Count > 65_536) throw Damaged(name, "its directories form a loop");
            if (offset + 2 > length) throw Damaged(name, $"directory {page} at byte {offset} of a {length}-byte file");
            stream.Position = offset;
            int entries = U16(reader.ReadBytes(2), 0);
            if (offset + 2 + 12L * entries + 4 > length) throw Damaged(name, $"directory {page} ({entries} entries at byte {offset}) runs past the end of the {length}-byte file");
            byte[] table = reader.ReadBytes(12 * entries + 4);
            for (int k = 0; k < entries; k++)
            {
                int e = 12 * k;
                int size = U16(table, e + 2) switch { 1 or 2 or 6 or 7 => 1, 3 or 8 => 2, 4 or 9 or 11 or 13 => 4, 5 or 10 or 12 or 16 or 17 or 18 => 8, _ => 0 };
                long bytes = (long)U32(table, e + 4) * size;
                if (bytes > 4 && (long)U32(table, e + 8) + bytes > length)
                    throw Damaged(name, $"tag {U16(table, e)} of directory {page} claims bytes {U32(table, e + 8)}..{(long)U32(table, e + 8) + bytes} of a {length}-byte file");
            }
            offset = U32(table, 12 * entries);
        }
    }

    static SharpSegException Damaged(string name, string detail)
    {
        string? libtiff = QuietErrorHandler.LastError;
        if (libtiff != null && libtiff.StartsWith(name + ": ", StringComparison.Ordinal)) libtiff = libtiff[(name.Length + 2)..];
        string why = libtiff != null && !detail.Contains(libtiff, StringComparison.Ordinal) ? $"{detail}; {libtiff}" : detail;
        return new SharpSegException($"{name}: TIFF file is damaged or truncated ({why}); re-export or re-copy it.");
    }

    /// <summary>What the decoder needs from a page's tags.</summary>
    sealed record PageInfo(int Width, int Height, int BitsPerSample, int SamplesPerPixel, Photometric Photometric,
        bool Planar, bool Tiled);

    /// <summary>The directory numbers of the full-resolution pages (reduced-resolution pages and thumbnails left out).</summary>
    static List<short> FullPages(Tiff tif, string name)
    {
        var pages = new List<short>();
        short count = tif.NumberOfDirectories();
        for (short d = 0; d < count; d++)
        {
            if (!tif.SetDirectory(d)) throw Damaged(name, $"page {d + 1} of {count} cannot be read");
            int subfile = Int(tif, TiffTag.SUBFILETYPE) ?? 0;
            if ((subfile & (int)FileType.REDUCEDIMAGE) == 0) pages.Add(d);
        }
        if (pages.Count == 0) throw Damaged(name, "no full-resolution image in the file");
        return pages;
    }

    /// <summary>Moves to the file's one full-resolution page and reads its tags; refuses stacks.</summary>
    static PageInfo Describe(Tiff tif, string name)
    {
        var pages = FullPages(tif, name);
        if (pages.Count > 1)
            throw new SharpSegException($"{name}: TIFF holds {pages.Count} pages (a stack); SharpSeg reads one image per file: write each page to its own file with 'sharpseg data unstack {name} --out FOLDER'.");
        return Describe(tif, name, pages[0]);
    }

    /// <summary>Moves to directory <paramref name="directory"/> and reads its tags; refuses what cannot be read.</summary>
    static PageInfo Describe(Tiff tif, string name, short directory)
    {
        if (!tif.SetDirectory(directory)) throw Damaged(name, $"page {directory + 1} cannot be read");
        int width = Int(tif, TiffTag.IMAGEWIDTH) ?? throw Damaged(name, "no image width");
        int height = Int(tif, TiffTag.IMAGELENGTH) ?? throw Damaged(name, "no image height");
        if (width <= 0 || height <= 0) throw Damaged(name, $"image size {width}x{height}");
        PixelLimit.Check(name, width, height);
        int bits = Int(tif, TiffTag.BITSPERSAMPLE) ?? 1;
        int spp = Int(tif, TiffTag.SAMPLESPERPIXEL) ?? 1;
        var format = (SampleFormat)(Int(tif, TiffTag.SAMPLEFORMAT) ?? (int)SampleFormat.UINT);
        var photometric = (Photometric)(Int(tif, TiffTag.PHOTOMETRIC) ?? (spp >= 3 ? (int)Photometric.RGB : (int)Photometric.MINISBLACK));
        bool planar = (Int(tif, TiffTag.PLANARCONFIG) ?? (int)PlanarConfig.CONTIG) == (int)PlanarConfig.SEPARATE;
        if (format != SampleFormat.UINT && format != SampleFormat.VOID)
            throw new SharpSegException($"{name}: TIFF with {bits}-bit {(format == SampleFormat.IEEEFP ? "floating-point" : format == SampleFormat.INT ? "signed" : format.ToString())} samples; SharpSeg reads unsigned 1–16-bit samples: convert the image (scaled to 8 or 16 bits) or the mask (integer class values) first.");
        if (bits is not (1 or 2 or 4 or 8 or 16))
            throw new SharpSegException($"{name}: TIFF with {bits} bits per sample; SharpSeg reads 1, 2, 4, 8 or 16: convert it to 8 or 16 bits.");
        if (spp is < 1 or > 4)
            throw new SharpSegException($"{name}: TIFF with {spp} samples per pixel (bands); SharpSeg reads gray, gray + alpha, RGB and RGBA: write the 3 bands to use (or 1) to a new file.");
        return new PageInfo(width, height, bits, spp, photometric, planar, tif.IsTiled());
    }

    /// <summary>The number of full-resolution pages (images) in a TIFF file: more than 1 for a stack.</summary>
    public static int PageCount(string path) => WithFile(path, (tif, name, length) => FullPages(tif, name).Count);

    /// <summary>Decodes every full-resolution page of a TIFF file (a stack), in order, one at a time: what
    /// <c>sharpseg data unstack</c> writes out as one file per page.</summary>
    public static void DecodePages(string path, Action<int, PngRaster> page) => WithFile(path, (tif, name, length) =>
    {
        var pages = FullPages(tif, name);
        for (int i = 0; i < pages.Count; i++) page(i, Decode(tif, name, length, Describe(tif, $"{name} (page {i + 1})", pages[i])));
        return pages.Count;
    });

    static PngRaster Decode(Tiff tif, string name, long fileLength) => Decode(tif, name, fileLength, Describe(tif, name));

    static PngRaster Decode(Tiff tif, string name, long fileLength, PageInfo p)
    {
        CheckDataWithinFile(tif, name, fileLength);
        bool raw = p.Photometric switch
        {
            Photometric.MINISBLACK or Photometric.MINISWHITE => p.SamplesPerPixel <= 2,
            Photometric.PALETTE => p.SamplesPerPixel == 1 && p.BitsPerSample <= 8,
            Photometric.RGB => p.SamplesPerPixel >= 3 && p.BitsPerSample >= 8,
            _ => false,
        };
        if (raw) return DecodeRaw(tif, name, p);
        if (p.BitsPerSample != 8 || p.Photometric is not (Photometric.YCBCR or Photometric.SEPARATED or Photometric.CIELAB or Photometric.ICCLAB or Photometric.ITULAB or Photometric.RGB))
            throw new SharpSegException($"{name}: TIFF with photometric interpretation {p.Photometric}, {p.SamplesPerPixel} sample(s) of {p.BitsPerSample} bits; SharpSeg reads gray, palette and RGB(A) TIFFs (and 8-bit YCbCr, CMYK, Lab): convert it to PNG or an 8-bit RGB TIFF.");
        var rgba = new int[checked(p.Width * p.Height)];
        if (!tif.ReadRGBAImageOriented(p.Width, p.Height, rgba, Orientation.TOPLEFT, true))
            throw Damaged(name, "its pixels cannot be converted to RGB");
        var samples = new ushort[rgba.Length * 4];
        for (int i = 0; i < rgba.Length; i++)
        {
            int v = rgba[i];   // ABGR packed: R in the low byte
            samples[4 * i] = (ushort)(v & 0xFF);
            samples[4 * i + 1] = (ushort)((v >> 8) & 0xFF);
            samples[4 * i + 2] = (ushort)((v >> 16) & 0xFF);
            samples[4 * i + 3] = (ushort)((v >> 24) & 0xFF);
        }
        return new PngRaster(p.Width, p.Height, PngColorType.Rgba, 8, samples);
    }

    /// <summary>Every strip or tile must lie within the file: LibTiff allocates what a byte count claims.</summary>
    static void CheckDataWithinFile(Tiff tif, string name, long fileLength)
    {
        bool tiled = tif.IsTiled();
        var offsets = tif.GetField(tiled ? TiffTag.TILEOFFSETS : TiffTag.STRIPOFFSETS);
        var counts = tif.GetField(tiled ? TiffTag.TILEBYTECOUNTS : TiffTag.STRIPBYTECOUNTS);
        if (offsets == null || counts == null) throw Damaged(name, $"no {(tiled ? "tile" : "strip")} offsets or byte counts");
        long[] off = Longs(offsets[0]), cnt = Longs(counts[0]);
        if (off.Length != cnt.Length) throw Damaged(name, $"{off.Length} {(tiled ? "tile" : "strip")} offsets but {cnt.Length} byte counts");
        for (int i = 0; i < off.Length; i++)
            if (off[i] < 0 || cnt[i] < 0 || off[i] + cnt[i] > fileLength)
                throw Damaged(name, $"{(tiled ? "tile" : "strip")} {i} claims bytes {off[i]}..{off[i] + cnt[i]} of a {fileLength}-byte file");
    }

    static long[] Longs(FieldValue v)
    {
        object value = v.Value;
        return value switch
        {
            long[] a => a,
            ulong[] a => a.Select(x => x > long.MaxValue ? -1 : (long)x).ToArray(),
            int[] a => a.Select(x => (long)x).ToArray(),
            uint[] a => a.Select(x => (long)x).ToArray(),
            short[] a => a.Select(x => (long)(ushort)x).ToArray(),
            ushort[] a => a.Select(x => (long)x).ToArray(),
            _ => v.TolongArray() ?? v.ToIntArray()?.Select(x => (long)(uint)x).ToArray() ?? [],
        };
    }

    static int? Int(Tiff tif, TiffTag tag)
    {
        var v = tif.GetField(tag);
        return v == null || v.Length == 0 ? null : v[0].ToInt();
    }

    static PngRaster DecodeRaw(Tiff tif, string name, PageInfo p)
    {
        int spp = p.SamplesPerPixel, bits = p.BitsPerSample;
        int planes = p.Planar ? spp : 1, perPlane = p.Planar ? 1 : spp;
        var samples = new ushort[checked((long)p.Width * p.Height * spp)];
        if (p.Tiled)
        {
            int tw = Int(tif, TiffTag.TILEWIDTH) ?? 0, th = Int(tif, TiffTag.TILELENGTH) ?? 0;
            if (tw <= 0 || th <= 0 || (long)tw * th > 4L * p.Width * p.Height + (1 << 20))
                throw Damaged(name, $"tile size {tw}x{th} for a {p.Width}x{p.Height} image");
            int rowBytes = (tw * perPlane * bits + 7) / 8;
            var buffer = new byte[Math.Max(tif.TileSize(), rowBytes * th)];
            for (int plane = 0; plane < planes; plane++)
                for (int y0 = 0; y0 < p.Height; y0 += th)
                    for (int x0 = 0; x0 < p.Width; x0 += tw)
                    {
                        if (tif.ReadTile(buffer, 0, x0, y0, 0, (short)plane) < 0) throw Damaged(name, $"tile at ({x0}, {y0}) cannot be read");
                        for (int r = 0; r < th && y0 + r < p.Height; r++)
                            Unpack(buffer.AsSpan(r * rowBytes, rowBytes), bits, perPlane, Math.Min(tw, p.Width - x0), samples,
                                ((long)(y0 + r) * p.Width + x0) * spp, spp, plane);
                    }
        }
        else
        {
            int rowBytes = (p.Width * perPlane * bits + 7) / 8;
            var buffer = new byte[Math.Max(tif.ScanlineSize(), rowBytes)];
            for (int plane = 0; plane < planes; plane++)
                for (int y = 0; y < p.Height; y++)
                {
                    if (!tif.ReadScanline(buffer, y, (short)plane)) throw Damaged(name, $"row {y} cannot be read");
                    Unpack(buffer, bits, perPlane, p.Width, samples, (long)y * p.Width * spp, spp, plane);
                }
        }
        if (p.Photometric == Photometric.MINISWHITE)
        {
            int max = (1 << bits) - 1;
            int colour = spp == 2 ? 2 : 1;   // gray + alpha: invert gray only
            for (long i = 0; i < samples.Length; i += colour) samples[i] = (ushort)(max - samples[i]);
        }
        if (p.Photometric == Photometric.PALETTE) return new PngRaster(p.Width, p.Height, PngColorType.Palette, bits, samples, Palette(tif, name, bits));
        var type = spp switch { 1 => PngColorType.Gray, 2 => PngColorType.GrayAlpha, 3 => PngColorType.Rgb, _ => PngColorType.Rgba };
        return new PngRaster(p.Width, p.Height, type, bits, samples);
    }

    /// <summary>Unpacks one row of <paramref name="count"/> pixels × <paramref name="perPixel"/> samples (MSB-first bits,
    /// 16-bit in host order as LibTiff returns them) into interleaved <paramref name="dst"/>, sample
    /// <paramref name="plane"/> onwards.</summary>
    static void Unpack(ReadOnlySpan<byte> row, int bits, int perPixel, int count, ushort[] dst, long start, int spp, int plane)
    {
        int n = count * perPixel;
        for (int k = 0; k < n; k++)
        {
            int value = bits switch
            {
                8 => row[k],
                16 => BitConverter.ToUInt16(row.Slice(2 * k, 2)),
                _ => (row[k * bits >> 3] >> (8 - bits - (k * bits & 7))) & ((1 << bits) - 1),
            };
            int pixel = k / perPixel, sample = perPixel == 1 ? plane : k % perPixel;
            dst[start + (long)pixel * spp + sample] = (ushort)value;
        }
    }

    static IReadOnlyList<Rgb> Palette(Tiff tif, string name, int bits)
    {
        var map = tif.GetField(TiffTag.COLORMAP);
        if (map == null || map.Length < 3) throw Damaged(name, "a palette image without a colour map");
        ushort[] r = map[0].ToUShortArray(), g = map[1].ToUShortArray(), b = map[2].ToUShortArray();
        int n = Math.Min(1 << bits, Math.Min(r.Length, Math.Min(g.Length, b.Length)));
        // The standard stores 16-bit colour values; some writers store 8-bit ones.
        bool eightBit = r.Take(n).Concat(g.Take(n)).Concat(b.Take(n)).All(v => v <= 255);
        var palette = new Rgb[1 << bits];
        for (int i = 0; i < n; i++)
            palette[i] = eightBit ? new Rgb((byte)r[i], (byte)g[i], (byte)b[i]) : new Rgb((byte)(r[i] >> 8), (byte)(g[i] >> 8), (byte)(b[i] >> 8));
        return palette;
    }

    /// <summary>Keeps LibTiff.NET from writing to the console (its default handler prints every warning and error);
    /// the last error of this thread goes into the message of the exception that follows it.</summary>
    sealed class QuietErrorHandler : TiffErrorHandler
    {
        [ThreadStatic] internal static string? LastError;

        public override void ErrorHandler(Tiff tif, string method, string format, params object[] args) => LastError = Format(format, args);
        public override void ErrorHandlerExt(Tiff tif, object clientData, string method, string format, params object[] args) { }
        public override void WarningHandler(Tiff tif, string method, string format, params object[] args) { }
        public override void WarningHandlerExt(Tiff tif, object clientData, string method, string format, params object[] args) { }

        static string Format(string format, object[] args)
        {
            try { return string.Format(CultureInfo.InvariantCulture, format, args); }
            catch (FormatException) { return format; }
        }
    }
}
