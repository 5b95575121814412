using System.Globalization;

namespace SharpSeg.Imaging;

/// <summary>
/// Splits a multi-page TIFF (a stack: the slices of a microscopy volume, the frames of a time series, e.g. the ISBI
/// 2012 challenge's <c>train-volume.tif</c> and <c>train-labels.tif</c>) into one PNG per page, the one-image-per-file
/// form a dataset folder holds. The samples are written as they are stored: 16-bit values stay 16-bit, palette pages keep
/// their indices and colours, 1/2/4-bit values are written as 8-bit without scaling (a 0/1 mask stays 0/1), so image
/// and mask stacks split the same way stay paired by name. <c>sharpseg data unstack</c>.
/// </summary>
public static class TiffStack
{
    /// <summary>Writes page i of <paramref name="tiffPath"/> to <c>{outDir}/{stem}_{i:D3}.png</c> (zero-padded to the page
    /// count's width, from 0; the stem is the file's unless <paramref name="stem"/> is given, so that an image stack and
    /// its label stack can be written under the same names in two folders) and returns the paths written. The folder is
    /// created if needed; an existing file of that name is an error unless <paramref name="overwrite"/>.</summary>
    public static IReadOnlyList<string> Unstack(string tiffPath, string outDir, bool overwrite = false, string? stem = null)
    {
        if (stem != null && (stem.Length == 0 || stem.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || stem.Contains('/')))
            throw new SharpSegException($"--stem '{stem}': not a file name; give a plain name such as 'slice'.");
        if (!File.Exists(tiffPath)) throw new SharpSegException($"{tiffPath}: file not found; give the TIFF stack to split.");
        if (!TiffCodec.IsTiff(tiffPath)) throw new SharpSegException($"{tiffPath}: not a TIFF file (it does not start with a TIFF signature); only TIFF stacks need unstacking.");
        int count = TiffCodec.PageCount(tiffPath);
        int digits = Math.Max(3, count.ToString(CultureInfo.InvariantCulture).Length);
        stem ??= Path.GetFileNameWithoutExtension(tiffPath);
        IO.OutputFolder.Create(outDir);
        var paths = Enumerable.Range(0, count).Select(i => Path.Combine(outDir, $"{stem}_{i.ToString("D" + digits, CultureInfo.InvariantCulture)}.png")).ToArray();
        if (!overwrite && paths.FirstOrDefault(File.Exists) is { } existing)
            throw new SharpSegException($"{existing}: already exists; remove it, choose another --out folder, or pass --force to overwrite.");
        TiffCodec.DecodePages(tiffPath, (i, page) => PngCodec.Save(ToPngWritable(page), paths[i]));
        return paths;
    }

    /// <summary>The PNG encoder writes 8 or 16 bits per sample: lower depths are widened to 8 bits, values unchanged.</summary>
    static PngRaster ToPngWritable(PngRaster r) =>
        r.BitDepth >= 8 ? r : new PngRaster(r.Width, r.Height, r.ColorType, 8, r.Samples, r.Palette);
}
