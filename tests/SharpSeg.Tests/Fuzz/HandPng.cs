using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;
using System.Text;

namespace SharpSeg.Tests.Fuzz;

/// <summary>
/// Writes PNG bytes by hand, including what <c>PngCodec.Encode</c> does not write (bit depths 1/2/4 and Adam7
/// interlacing) and what no encoder writes (any IHDR, chunks with a chosen length), for the readers' tests.
/// </summary>
internal static class HandPng
{
    static readonly (int X, int Y, int DX, int DY)[] Adam7 =
        [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)];

    public static readonly byte[] Signature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>One chunk: length, type, body, CRC of type + body.</summary>
    public static byte[] Chunk(string type, byte[] body)
    {
        var bytes = new byte[12 + body.Length];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, (uint)body.Length);
        Encoding.ASCII.GetBytes(type, bytes.AsSpan(4));
        body.CopyTo(bytes, 8);
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(8 + body.Length), Crc32.HashToUInt32(bytes.AsSpan(4, 4 + body.Length)));
        return bytes;
    }

    public static byte[] Ihdr(long width, long height, int depth, int colorType, bool interlaced)
    {
        var ihdr = new byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(ihdr, (uint)width);
        BinaryPrimitives.WriteUInt32BigEndian(ihdr.AsSpan(4), (uint)height);
        ihdr[8] = (byte)depth; ihdr[9] = (byte)colorType; ihdr[12] = (byte)(interlaced ? 1 : 0);
        return ihdr;
    }

    /// <summary>
    /// A complete PNG of <paramref name="width"/> × <paramref name="height"/> whose sample c of pixel (x, y) is
    /// <paramref name="sample"/>(x, y, c), masked to the bit depth; filter 0 on every row; a tEXt chunk to skip.
    /// </summary>
    public static byte[] Build(int width, int height, int depth, int colorType, bool interlaced, Func<int, int, int, int> sample, IReadOnlyList<(byte R, byte G, byte B)>? palette = null)
    {
        int channels = colorType switch { 0 or 3 => 1, 4 => 2, 2 => 3, _ => 4 };
        var raw = new MemoryStream();
        void Pass(int x0, int y0, int dx, int dy)
        {
            int pw = (width - x0 + dx - 1) / dx, ph = (height - y0 + dy - 1) / dy;
            if (pw <= 0 || ph <= 0) return;
            int rowBytes = (pw * channels * depth + 7) / 8;
            for (int py = 0; py < ph; py++)
            {
                var row = new byte[rowBytes];
                int bit = 0;
                for (int px = 0; px < pw; px++)
                    for (int c = 0; c < channels; c++)
                    {
                        int v = sample(x0 + px * dx, y0 + py * dy, c) & ((1 << depth) - 1);
                        if (depth == 16) { row[bit / 8] = (byte)(v >> 8); row[bit / 8 + 1] = (byte)v; }
                        else if (depth == 8) row[bit / 8] = (byte)v;
                        else row[bit / 8] |= (byte)(v << (8 - depth - bit % 8));
                        bit += depth;
                    }
                raw.WriteByte(0);
                raw.Write(row);
            }
        }
        if (interlaced) foreach (var (x0, y0, dx, dy) in Adam7) Pass(x0, y0, dx, dy);
        else Pass(0, 0, 1, 1);
        var z = new MemoryStream();
        using (var zs = new ZLibStream(z, CompressionLevel.Optimal, leaveOpen: true)) zs.Write(raw.ToArray());
        var png = new MemoryStream();
        png.Write(Signature);
        png.Write(Chunk("IHDR", Ihdr(width, height, depth, colorType, interlaced)));
        if (palette != null) png.Write(Chunk("PLTE", palette.SelectMany(c => new[] { c.R, c.G, c.B }).ToArray()));
        png.Write(Chunk("tEXt", Encoding.ASCII.GetBytes("Comment\0made by the hostile-input tests")));
        png.Write(Chunk("IDAT", z.ToArray()));
        png.Write(Chunk("IEND", []));
        return png.ToArray();
    }

    /// <summary>A PNG whose IHDR claims <paramref name="width"/> × <paramref name="height"/> (CRC correct) with a tiny
    /// image data chunk: what a size bomb looks like.</summary>
    public static byte[] SizeBomb(long width, long height, int colorType = 0)
    {
        var png = new MemoryStream();
        png.Write(Signature);
        png.Write(Chunk("IHDR", Ihdr(width, height, 8, colorType, false)));
        var z = new MemoryStream();
        using (var zs = new ZLibStream(z, CompressionLevel.Optimal, leaveOpen: true)) zs.Write(new byte[4096]);
        png.Write(Chunk("IDAT", z.ToArray()));
        png.Write(Chunk("IEND", []));
        return png.ToArray();
    }
}
