using BitMiracle.LibTiff.Classic;

namespace SharpSeg.Tests.Imaging;

/// <summary>Writes TIFF files for tests with LibTiff.NET: any bit depth, compression, strips or tiles, planar layout and
/// page count, so each reader path of <see cref="SharpSeg.Imaging.TiffCodec"/> gets a file made for it.</summary>
internal static class TestTiff
{
    internal sealed record Page(int Width, int Height, int SamplesPerPixel, int Bits, Photometric Photometric, ushort[] Samples)
    {
        public Compression Compression { get; init; } = Compression.LZW;
        public int TileSize { get; init; }                    // 0: strips
        public int RowsPerStrip { get; init; } = 3;
        public bool Planar { get; init; }
        public (ushort[] R, ushort[] G, ushort[] B)? ColorMap { get; init; }
        public SampleFormat Format { get; init; } = SampleFormat.UINT;
        public bool Reduced { get; init; }                    // a thumbnail (SUBFILETYPE reduced image)
    }

    /// <summary>Samples are interleaved (HWC) whatever the layout written.</summary>
    public static void Write(string path, params Page[] pages) => Write(path, "w", pages);

    /// <summary>As <see cref="Write(string, Page[])"/>, in Motorola (big-endian) byte order.</summary>
    public static void WriteBigEndian(string path, params Page[] pages) => Write(path, "wb", pages);

    static void Write(string path, string mode, Page[] pages)
    {
        using var tif = Tiff.Open(path, mode) ?? throw new InvalidOperationException($"cannot create {path}");
        foreach (var p in pages)
        {
            tif.SetField(TiffTag.IMAGEWIDTH, p.Width);
            tif.SetField(TiffTag.IMAGELENGTH, p.Height);
            tif.SetField(TiffTag.SAMPLESPERPIXEL, p.SamplesPerPixel);
            tif.SetField(TiffTag.BITSPERSAMPLE, p.Bits);
            tif.SetField(TiffTag.PHOTOMETRIC, p.Photometric);
            tif.SetField(TiffTag.COMPRESSION, p.Compression);
            tif.SetField(TiffTag.SAMPLEFORMAT, p.Format);
            tif.SetField(TiffTag.PLANARCONFIG, p.Planar ? PlanarConfig.SEPARATE : PlanarConfig.CONTIG);
            if (p.Reduced) tif.SetField(TiffTag.SUBFILETYPE, FileType.REDUCEDIMAGE);
            if (p.SamplesPerPixel is 2 or 4) tif.SetField(TiffTag.EXTRASAMPLES, 1, new short[] { (short)ExtraSample.UNASSALPHA });
            if (p.ColorMap is var (r, g, b)) tif.SetField(TiffTag.COLORMAP, r, g, b);
            int spp = p.SamplesPerPixel, planes = p.Planar ? spp : 1, perPlane = p.Planar ? 1 : spp;
            if (p.TileSize > 0)
            {
                int t = p.TileSize;
                tif.SetField(TiffTag.TILEWIDTH, t);
                tif.SetField(TiffTag.TILELENGTH, t);
                int rowBytes = (t * perPlane * p.Bits + 7) / 8;
                for (int plane = 0; plane < planes; plane++)
                    for (int y0 = 0; y0 < p.Height; y0 += t)
                        for (int x0 = 0; x0 < p.Width; x0 += t)
                        {
                            var buf = new byte[rowBytes * t];
                            for (int r0 = 0; r0 < t && y0 + r0 < p.Height; r0++)
                                Pack(buf.AsSpan(r0 * rowBytes), p, y0 + r0, x0, Math.Min(t, p.Width - x0), plane);
                            tif.WriteTile(buf, x0, y0, 0, (short)plane);
                        }
            }
            else
            {
                tif.SetField(TiffTag.ROWSPERSTRIP, p.RowsPerStrip);
                int rowBytes = (p.Width * perPlane * p.Bits + 7) / 8;
                for (int plane = 0; plane < planes; plane++)
                    for (int y = 0; y < p.Height; y++)
                    {
                        var buf = new byte[rowBytes];
                        Pack(buf, p, y, 0, p.Width, plane);
                        tif.WriteScanline(buf, y, (short)plane);
                    }
            }
            tif.WriteDirectory();
        }
    }

    static void Pack(Span<byte> dst, Page p, int y, int x0, int count, int plane)
    {
        int spp = p.SamplesPerPixel, perPlane = p.Planar ? 1 : spp;
        for (int k = 0; k < count * perPlane; k++)
        {
            int x = x0 + k / perPlane, sample = p.Planar ? plane : k % perPlane;
            int v = p.Samples[((long)y * p.Width + x) * spp + sample];
            switch (p.Bits)
            {
                case 8: dst[k] = (byte)v; break;
                case 16: BitConverter.TryWriteBytes(dst.Slice(2 * k, 2), (ushort)v); break;
                case 32: BitConverter.TryWriteBytes(dst.Slice(4 * k, 4), (float)v); break;
                default: dst[k * p.Bits >> 3] |= (byte)(v << (8 - p.Bits - (k * p.Bits & 7))); break;
            }
        }
    }

    /// <summary>Samples whose value at (x, y, c) is <paramref name="f"/>(x, y, c).</summary>
    public static ushort[] Samples(int width, int height, int spp, Func<int, int, int, int> f)
    {
        var s = new ushort[width * height * spp];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                for (int c = 0; c < spp; c++) s[(y * width + x) * spp + c] = (ushort)f(x, y, c);
        return s;
    }
}
