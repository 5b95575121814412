using SharpSeg.Data.Dataset;
using SharpSeg.Imaging;

namespace SharpSeg.Data.Masks;

/// <summary>
/// The inverse of <see cref="MaskDecoder"/>: writes a class-index mask as a file in a dataset's own mask encoding, so
/// that decoding it gives the same mask back. Index encoding: each class's value (8-bit when every value fits, else
/// 16-bit gray), ignore as the first of <c>mask.ignore_values</c>. Rgb: class colours, ignore as the first of
/// <c>mask.ignore_colors</c>. Threshold: 0 and 255, ignore in the middle of the ignore band. A mask holding ignore pixels
/// for an encoding that cannot express ignore is a one-line error. Where the dataset's own masks are palette PNGs (Pascal
/// VOC, CVAT's and labelme's exports), index masks are written as palette PNGs with that palette: the same values, and
/// colours to look at.
/// </summary>
public sealed class MaskEncoder(ClassTable classes, MaskEncoding encoding, string datasetName = "the dataset definition")
{
    public MaskEncoder(DatasetSpec spec) : this(spec.Classes, spec.Mask, spec.SourcePath) => Palette = SourcePalette(spec);

    /// <summary>The palette index masks are written with (8-bit palette PNGs), or null for gray PNGs.</summary>
    public IReadOnlyList<Rgb>? Palette { get; init; }

    /// <summary>The palette of the dataset's first mask where that is a palette PNG (the first labelled split's first
    /// mask), else null.</summary>
    static IReadOnlyList<Rgb>? SourcePalette(DatasetSpec spec)
    {
        if (spec.Mask.Kind != MaskEncodingKind.Index) return null;
        foreach (var split in spec.Splits.Where(s => !s.IsUnlabelled))
        {
            string? mask;
            try { mask = spec.ResolvePairs(split.Name).Select(p => p.MaskPath).FirstOrDefault(m => m != null); }
            catch (SharpSegException) { continue; }
            if (mask == null) continue;
            try { return PngCodec.IsPng(mask) && ImageFile.ReadRaw(mask) is { ColorType: PngColorType.Palette, Palette: { } palette } ? palette : null; }
            catch (Exception e) when (e is SharpSegException or IOException) { return null; }
        }
        return null;
    }

    public void Save(LabelMask mask, string path)
    {
        int n = mask.Labels.Length;
        bool hasIgnore = Array.IndexOf(mask.Labels, LabelMask.Ignore) >= 0;
        SharpSegException NoIgnore(string how) => new($"{path}: the mask has ignore pixels but {datasetName} has no way to write them ({how}).");
        switch (encoding.Kind)
        {
            case MaskEncodingKind.Rgb:
            {
                if (hasIgnore && encoding.IgnoreColors.Count == 0) throw NoIgnore("add mask.ignore_colors");
                var pixels = new ushort[3 * n];
                for (int i = 0; i < n; i++)
                {
                    byte l = mask.Labels[i];
                    var c = l == LabelMask.Ignore ? encoding.IgnoreColors[0] : classes[l].Color;
                    pixels[3 * i] = c.R; pixels[3 * i + 1] = c.G; pixels[3 * i + 2] = c.B;
                }
                PngCodec.Save(new PngRaster(mask.Width, mask.Height, PngColorType.Rgb, 8, pixels), path);
                break;
            }
            case MaskEncodingKind.Threshold:
            {
                if (hasIgnore && encoding.IgnoreBand is null) throw NoIgnore("add mask.ignore_band");
                int middle = encoding.IgnoreBand is var (low, high) ? (low + high) / 2 : 0;
                var values = new ushort[n];
                for (int i = 0; i < n; i++) values[i] = (ushort)(mask.Labels[i] switch { LabelMask.Ignore => middle, 0 => 0, _ => 255 });
                PngCodec.Save(new PngRaster(mask.Width, mask.Height, PngColorType.Gray, 8, values), path);
                break;
            }
            default:
            {
                if (hasIgnore && encoding.IgnoreValues.Count == 0) throw NoIgnore("add mask.ignore_values");
                var valueOf = new int[256];
                for (int k = 0; k < classes.Count; k++) valueOf[k] = classes[k].Value ?? k;
                int ignore = encoding.IgnoreValues.Count > 0 ? encoding.IgnoreValues[0] : 0;
                int max = Math.Max(ignore, valueOf.Take(classes.Count).DefaultIfEmpty(0).Max());
                var values = new ushort[n];
                for (int i = 0; i < n; i++) { byte l = mask.Labels[i]; values[i] = (ushort)(l == LabelMask.Ignore ? ignore : valueOf[l]); }
                if (Palette is { } palette && max < palette.Count)
                    PngCodec.Save(new PngRaster(mask.Width, mask.Height, PngColorType.Palette, 8, values, palette), path);
                else PngCodec.Save(new PngRaster(mask.Width, mask.Height, PngColorType.Gray, max > 255 ? 16 : 8, values), path);
                break;
            }
        }
    }
}
