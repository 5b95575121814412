using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace SharpSeg.Curation.Embedding;

/// <summary>
/// The NumPy <c>.npy</c> v1.0 container for a little-endian float32 matrix <c>[rows, dim]</c>, with a header padded to a
/// fixed <see cref="HeaderBytes"/> so the row count can be rewritten in place as rows are appended.
/// </summary>
internal static partial class NpyFormat
{
    /// <summary>Total header size (magic + version + length + dict + padding): data starts at this offset.</summary>
    public const int HeaderBytes = 128;

    /// <summary>The 128-byte header of a C-order <c>&lt;f4</c> array of shape (rows, dim).</summary>
    public static byte[] Header(long rows, int dim)
    {
        string dict = string.Create(CultureInfo.InvariantCulture, $"{{'descr': '<f4', 'fortran_order': False, 'shape': ({rows}, {dim}), }}");
        int dictSpace = HeaderBytes - 10;
        if (dict.Length + 1 > dictSpace) throw new InvalidOperationException("npy header does not fit");
        var bytes = new byte[HeaderBytes];
        Imaging.NpyCodec.Magic.CopyTo(bytes);
        bytes[6] = 1; bytes[7] = 0;
        bytes[8] = (byte)(dictSpace & 0xff); bytes[9] = (byte)(dictSpace >> 8);
        var text = Encoding.ASCII.GetBytes(dict.PadRight(dictSpace - 1) + "\n");
        text.CopyTo(bytes, 10);
        return bytes;
    }

    /// <summary>Reads (rows, dim, data offset) from an npy header of a float32 C-order 2-D array; anything else is a
    /// <see cref="SharpSegException"/> naming the file.</summary>
    public static (long Rows, int Dim, int DataOffset) ReadHeader(Stream s, string path)
    {
        var (dict, dataOffset) = Imaging.NpyCodec.ReadPreamble(s, path, "give the .npy file that 'sharpseg embed' wrote");
        if (!dict.Contains("'descr': '<f4'", StringComparison.Ordinal))
            throw new SharpSegException($"{path}: embeddings must be little-endian float32 ('<f4'); convert with numpy: a.astype('<f4').");
        if (dict.Contains("'fortran_order': True", StringComparison.Ordinal))
            throw new SharpSegException($"{path}: embeddings must be in C order; save with numpy.ascontiguousarray.");
        var m = ShapePattern().Match(dict);
        if (!m.Success) throw new SharpSegException($"{path}: embeddings must be a 2-D array [images, dim]; found header {OneLine(dict.Trim())}.");
        if (!long.TryParse(m.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out long rows)
            || !int.TryParse(m.Groups[2].Value, NumberStyles.None, CultureInfo.InvariantCulture, out int dim) || dim < 1)
            throw new SharpSegException($"{path}: .npy shape ({m.Groups[1].Value}, {m.Groups[2].Value}) is not [images, dim] with 1 to {int.MaxValue} floats per row; the file is damaged.");
        return (rows, dim, dataOffset);
    }

    static string OneLine(string s) => new(s.Take(200).Select(c => char.IsControl(c) ? ' ' : c).ToArray());

    [GeneratedRegex(@"'shape':\s*\(\s*(\d+)\s*,\s*(\d+)\s*,?\s*\)")]
    private static partial Regex ShapePattern();
}
