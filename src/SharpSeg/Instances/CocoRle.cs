using System.Text;

namespace SharpSeg.Instances;

/// <summary>
/// COCO run-length encoding of a binary mask, as pycocotools' <c>mask.encode</c> writes it: the mask is read in column-major
/// order (down each column, columns left to right) and <see cref="Counts"/> alternates runs of 0s and 1s, starting with
/// 0s (so the first count is 0 when the first pixel is set). <see cref="ToCompressedString"/> gives the compact string
/// form of <c>counts</c> that COCO JSON files store (pycocotools' <c>rleToString</c>).
/// </summary>
public sealed record CocoRle(int Height, int Width, IReadOnlyList<long> Counts)
{
    /// <summary>Encodes a row-major binary mask.</summary>
    public static CocoRle Encode(ReadOnlySpan<bool> mask, int width, int height)
    {
        if (mask.Length != (long)width * height) throw new ArgumentException($"mask has {mask.Length} pixels, expected {(long)width * height}");
        var counts = new List<long>();
        bool current = false;
        long run = 0;
        for (int x = 0; x < width; x++)
            for (int y = 0; y < height; y++)
            {
                bool v = mask[y * width + x];
                if (v != current) { counts.Add(run); run = 0; current = v; }
                run++;
            }
        counts.Add(run);
        return new CocoRle(height, width, counts);
    }

    /// <summary>Encodes the pixels whose id is <paramref name="id"/>, reading only the bounding box
    /// (<paramref name="x0"/>, <paramref name="y0"/>)..(<paramref name="x1"/>, <paramref name="y1"/>) inclusive, which must hold them all.</summary>
    public static CocoRle Encode(int[] ids, int width, int height, int id, int x0, int y0, int x1, int y1)
    {
        var counts = new List<long>();
        long end = 0;       // position after the last 1-run
        long runStart = -1; // start of the open 1-run, -1 when none
        long last = -2;
        for (int x = x0; x <= x1; x++)
            for (int y = y0; y <= y1; y++)
            {
                long pos = (long)x * height + y;
                if (runStart >= 0 && pos != last + 1) { counts.Add(last + 1 - runStart); end = last + 1; runStart = -1; }
                if (ids[y * width + x] == id)
                {
                    if (runStart < 0) { counts.Add(pos - end); runStart = pos; }
                }
                else if (runStart >= 0) { counts.Add(pos - runStart); end = pos; runStart = -1; }
                last = pos;
            }
        if (runStart >= 0) { counts.Add(last + 1 - runStart); end = last + 1; }
        long total = (long)width * height;
        if (end < total) counts.Add(total - end);
        return new CocoRle(height, width, counts);
    }

    /// <summary>The row-major binary mask.</summary>
    public bool[] Decode()
    {
        long total = (long)Width * Height, pos = 0;
        var mask = new bool[total];
        bool value = false;
        foreach (long n in Counts)
        {
            if (n < 0 || pos + n > total) throw new SharpSegException($"COCO RLE counts run past the {Width}x{Height} mask; the RLE is damaged.");
            if (value)
                for (long p = pos; p < pos + n; p++) mask[(p % Height) * Width + p / Height] = true;
            pos += n;
            value = !value;
        }
        if (pos != total) throw new SharpSegException($"COCO RLE counts cover {pos} pixels of the {Width}x{Height} mask ({total}); the RLE is damaged.");
        return mask;
    }

    /// <summary>Pixels set (the sum of the 1-runs).</summary>
    public long Area
    {
        get
        {
            long a = 0;
            for (int i = 1; i < Counts.Count; i += 2) a += Counts[i];
            return a;
        }
    }

    /// <summary>
    /// pycocotools' compressed counts (<c>rleToString</c>): each count from the third on is replaced by its difference
    /// to the count two before; each value is written in 5-bit groups, least significant first, as the character
    /// 48 + group, with bit 0x20 set on every group but the last; the last group's bit 0x10 carries the sign.
    /// </summary>
    public string ToCompressedString()
    {
        var s = new StringBuilder(Counts.Count * 2);
        for (int i = 0; i < Counts.Count; i++)
        {
            long x = Counts[i];
            if (i > 2) x -= Counts[i - 2];
            bool more = true;
            while (more)
            {
                int c = (int)(x & 0x1f);
                x >>= 5;
                more = (c & 0x10) != 0 ? x != -1 : x != 0;
                if (more) c |= 0x20;
                s.Append((char)(c + 48));
            }
        }
        return s.ToString();
    }

    /// <summary>Reads pycocotools' compressed counts (<c>rleFrString</c>); a string that is not one is a <see cref="SharpSegException"/>.</summary>
    public static CocoRle FromCompressedString(string counts, int height, int width)
    {
        var list = new List<long>();
        int p = 0;
        while (p < counts.Length)
        {
            long x = 0;
            int k = 0;
            bool more = true;
            while (more)
            {
                if (p >= counts.Length || k > 12) throw new SharpSegException($"COCO RLE string ends inside a count at character {p}; it is damaged.");
                int c = counts[p] - 48;
                if (c is < 0 or > 63) throw new SharpSegException($"COCO RLE string has '{counts[p]}' at character {p}, outside its alphabet; it is damaged.");
                x |= (long)(c & 0x1f) << (5 * k);
                more = (c & 0x20) != 0;
                p++; k++;
                if (!more && (c & 0x10) != 0) x |= -1L << (5 * k);
            }
            if (list.Count > 2) x += list[^2];
            list.Add(x);
        }
        return new CocoRle(height, width, list);
    }
}
