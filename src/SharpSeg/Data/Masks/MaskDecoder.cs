using SharpSeg.Imaging;
using SharpSeg.Data.Dataset;

namespace SharpSeg.Data.Masks;

/// <summary>
/// Turns mask files into class-index masks (<see cref="LabelMask"/>) through a dataset's class table and mask encoding.
/// Index encoding reads 8/16-bit gray and palette PNGs and TIFFs with their raw values (palette index = value), other formats
/// (BMP, JPEG, ...) as 8-bit gray; threshold encoding reads values the same way and splits them at the threshold;
/// rgb encoding matches each pixel's colour to class colours within the tolerance.
/// Ignore values/colours become <see cref="LabelMask.Ignore"/>. Thread-safe: one decoder can serve parallel readers.
/// </summary>
public sealed class MaskDecoder
{
    const short Undefined = -1;
    readonly short[]? _valueToClass;       // index encoding: file value -> class index, Ignore, or Undefined
    readonly Dictionary<int, short>? _exactColors; // rgb encoding: packed colour -> class index or Ignore
    readonly (Rgb Color, short Target)[] _colorTargets = [];

    public MaskDecoder(DatasetSpec spec) : this(spec.Classes, spec.Mask, spec.SourcePath) { }

    /// <param name="classes">Class table; class i gets index i.</param>
    /// <param name="encoding">How the files encode classes.</param>
    /// <param name="datasetName">Names the dataset definition in error messages (e.g. the yaml path).</param>
    public MaskDecoder(ClassTable classes, MaskEncoding encoding, string datasetName = "the dataset definition")
    {
        Classes = classes; Encoding = encoding; DatasetName = datasetName;
        if (encoding.Kind == MaskEncodingKind.Threshold)
        {
            // Every value is defined: below the threshold class 0, at or above it class 1, inside the band ignore.
            _valueToClass = new short[65536];
            for (int v = 0; v < _valueToClass.Length; v++) _valueToClass[v] = (short)(v >= encoding.Threshold ? 1 : 0);
            if (encoding.IgnoreBand is var (low, high)) Array.Fill(_valueToClass, LabelMask.Ignore, low, high - low + 1);
        }
        else if (encoding.Kind == MaskEncodingKind.Index)
        {
            _valueToClass = new short[65536];
            Array.Fill(_valueToClass, Undefined);
            foreach (var v in encoding.IgnoreValues) _valueToClass[v] = LabelMask.Ignore;
            for (int i = 0; i < classes.Count; i++)
            {
                int v = classes[i].Value ?? i;
                if (v is < 0 or > 65535) throw new ArgumentException($"class '{classes[i].Name}' value {v} is outside 0..65535");
                _valueToClass[v] = (short)i;
                foreach (int more in classes[i].MoreValues) _valueToClass[more] = (short)i;
            }
        }
        else
        {
            _exactColors = [];
            var targets = new List<(Rgb, short)>();
            foreach (var c in encoding.IgnoreColors) { _exactColors[c.Packed] = LabelMask.Ignore; targets.Add((c, LabelMask.Ignore)); }
            for (int i = 0; i < classes.Count; i++) { _exactColors[classes[i].Color.Packed] = (short)i; targets.Add((classes[i].Color, (short)i)); }
            _colorTargets = targets.ToArray();
        }
    }

    public ClassTable Classes { get; }
    public MaskEncoding Encoding { get; }
    public string DatasetName { get; }

    /// <summary>Decodes a mask file; a value or colour the class table does not define is an error naming the file, the values and pixel counts.</summary>
    public LabelMask Decode(string maskPath)
    {
        var reading = Read(maskPath);
        if (!reading.IsClean) throw new SharpSegException(DescribeUndefined(maskPath, reading.Undefined));
        return reading.Mask;
    }

    /// <summary>
    /// Decodes a mask file and lists the values/colours it holds that are not defined (their pixels set to ignore),
    /// instead of failing on them: what a checker needs. Unreadable files still throw.
    /// </summary>
    public MaskReading Read(string maskPath)
    {
        if (!File.Exists(maskPath)) throw new SharpSegException($"{maskPath}: mask file not found.");
        return Encoding.Kind == MaskEncodingKind.Rgb ? ReadColors(maskPath) : ReadIndex(maskPath);
    }

    /// <summary>The one-line message for undefined values/colours in a mask file, with what to change in the yaml.</summary>
    public string DescribeUndefined(string maskPath, IReadOnlyList<UndefinedLabel> undefined)
    {
        string listed = string.Join(", ", undefined.Take(5).Select(u => u.Describe())) + (undefined.Count > 5 ? $" and {undefined.Count - 5} more" : "");
        // A JPEG index mask: its compression changes values near every edge, so "add a class" would be the wrong fix.
        if (Encoding.Kind == MaskEncodingKind.Index && ImageFile.IsJpeg(maskPath))
            return $"{maskPath}: mask {listed} not defined in {DatasetName}; this mask is a JPEG, whose lossy compression changes values near edges: save the masks as PNG, or for two classes use mask.encoding: threshold.";
        return Encoding.Kind == MaskEncodingKind.Index
            ? $"{maskPath}: mask {listed} not defined in {DatasetName}; add a class with that value, or list it in mask.ignore_values."
            : $"{maskPath}: mask {listed} not a class colour in {DatasetName}; add a class with that color, list it in mask.ignore_colors, or raise mask.color_tolerance (JPEG-damaged masks).";
    }

    MaskReading ReadIndex(string path)
    {
        int width, height;
        int[] values;
        bool hasAlpha = false;
        // A threshold mask is read by brightness: a float .npy of 0.0 and 1.0 is then 0/255, as its soft neighbours read.
        if (ImageFile.ReadRaw(path, intensities: Encoding.Kind == MaskEncodingKind.Threshold) is { } r)
        {
            width = r.Width; height = r.Height; hasAlpha = r.HasTransparency;
            values = new int[width * height];
            var s = r.Samples;
            switch (r.ColorType)
            {
                case PngColorType.Gray:
                case PngColorType.Palette:
                    for (int i = 0; i < values.Length; i++) values[i] = s[i];
                    break;
                case PngColorType.GrayAlpha:
                    for (int i = 0; i < values.Length; i++) values[i] = s[2 * i];
                    break;
                default:
                    int ch = r.Channels;
                    for (int i = 0; i < values.Length; i++)
                    {
                        ushort red = s[ch * i], green = s[ch * i + 1], blue = s[ch * i + 2];
                        if (red != green || green != blue)
                        {
                            if (Encoding.Kind == MaskEncodingKind.Threshold) { values[i] = Luma(red, green, blue); continue; }
                            throw ColorInIndexMask(path, i % width, i / width, red, green, blue);
                        }
                        values[i] = red;
                    }
                    break;
            }
        }
        else
        {
            var img = ImageFile.Load(path, 3);
            width = img.Width; height = img.Height;
            values = new int[width * height];
            var p = img.Pixels;
            bool luma = Encoding.Kind == MaskEncodingKind.Threshold;
            for (int i = 0; i < values.Length; i++)
            {
                byte red = p[3 * i], green = p[3 * i + 1], blue = p[3 * i + 2];
                if (red != green || green != blue)
                {
                    // A threshold mask is split by brightness: a colour pixel (JPEG chroma noise) counts by its luma.
                    if (luma) { values[i] = Luma(red, green, blue); continue; }
                    throw ColorInIndexMask(path, i % width, i / width, red, green, blue);
                }
                values[i] = red;
            }
        }
        var labels = new byte[values.Length];
        var lut = _valueToClass!;
        Dictionary<int, long>? undefined = null;
        for (int i = 0; i < values.Length; i++)
        {
            short c = lut[values[i]];
            if (c == Undefined)
            {
                undefined ??= [];
                undefined[values[i]] = undefined.GetValueOrDefault(values[i]) + 1;
                labels[i] = LabelMask.Ignore;
            }
            else labels[i] = (byte)c;
        }
        var list = undefined == null ? [] : undefined.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key)
            .Select(kv => new UndefinedLabel(kv.Key, null, kv.Value)).ToArray();
        return new MaskReading(new LabelMask(width, height, labels), list) { HasAlpha = hasAlpha };
    }

    /// <summary>ITU-R BT.601 luma, rounded: how a threshold-encoded mask reads a colour pixel.</summary>
    public static int Luma(int r, int g, int b) => (299 * r + 587 * g + 114 * b + 500) / 1000;

    SharpSegException ColorInIndexMask(string path, int x, int y, int r, int g, int b) =>
        new($"{path}: mask has colours (pixel ({x}, {y}) is ({r}, {g}, {b})) but {DatasetName} says mask.encoding: {Encoding.KindName}; for colour-coded masks set mask.encoding: rgb and give each class its color.");

    /// <summary>
    /// A mask file's pixels as packed RGB colours (<c>r &lt;&lt; 16 | g &lt;&lt; 8 | b</c>), as rgb encoding reads them:
    /// palette indices as their palette colours, gray as (v, v, v) (below 8 bits stretched to 0..255, 16 bits reduced to
    /// 8), 16-bit colour reduced to 8 bits, other formats (JPEG, BMP) as decoded; alpha dropped (<c>HasAlpha</c> says a
    /// PNG had it).
    /// </summary>
    internal static (int Width, int Height, int[] Packed, bool HasAlpha) ReadPackedColors(string path)
    {
        int width, height;
        int[] packed;
        bool hasAlpha = false;
        if (ImageFile.ReadRaw(path, intensities: true) is { } r) // colours: a float .npy within [0, 1] is 0..255
        {
            width = r.Width; height = r.Height; hasAlpha = r.HasTransparency;
            packed = new int[width * height];
            var s = r.Samples;
            int shift = r.BitDepth == 16 ? 8 : 0;
            int maxLow = (1 << r.BitDepth) - 1; // gray below 8 bits scales to 0..255
            switch (r.ColorType)
            {
                case PngColorType.Palette:
                    var pal = r.Palette!;
                    for (int i = 0; i < packed.Length; i++) packed[i] = pal[s[i]].Packed;
                    break;
                case PngColorType.Gray:
                case PngColorType.GrayAlpha:
                    int step = r.ColorType == PngColorType.Gray ? 1 : 2;
                    for (int i = 0; i < packed.Length; i++)
                    {
                        int v = r.BitDepth < 8 ? s[step * i] * 255 / maxLow : s[step * i] >> shift;
                        packed[i] = (v << 16) | (v << 8) | v;
                    }
                    break;
                default:
                    int ch = r.Channels;
                    for (int i = 0; i < packed.Length; i++)
                        packed[i] = ((s[ch * i] >> shift) << 16) | ((s[ch * i + 1] >> shift) << 8) | (s[ch * i + 2] >> shift);
                    break;
            }
        }
        else
        {
            var img = ImageFile.Load(path, 3);
            width = img.Width; height = img.Height;
            packed = new int[width * height];
            var p = img.Pixels;
            for (int i = 0; i < packed.Length; i++) packed[i] = (p[3 * i] << 16) | (p[3 * i + 1] << 8) | p[3 * i + 2];
        }
        return (width, height, packed, hasAlpha);
    }

    MaskReading ReadColors(string path)
    {
        var (width, height, packed, hasAlpha) = ReadPackedColors(path);
        var labels = new byte[packed.Length];
        var cache = new Dictionary<int, short>(_exactColors!);
        Dictionary<int, long>? undefined = null;
        int lastColor = -1; short last = Undefined;
        for (int i = 0; i < packed.Length; i++)
        {
            int color = packed[i];
            if (color != lastColor)
            {
                if (!cache.TryGetValue(color, out last)) cache[color] = last = Nearest(Rgb.FromPacked(color));
                lastColor = color;
            }
            if (last == Undefined)
            {
                undefined ??= [];
                undefined[color] = undefined.GetValueOrDefault(color) + 1;
                labels[i] = LabelMask.Ignore;
            }
            else labels[i] = (byte)last;
        }
        var list = undefined == null ? [] : undefined.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key)
            .Select(kv => new UndefinedLabel(null, Rgb.FromPacked(kv.Key), kv.Value)).ToArray();
        var mask = new LabelMask(width, height, labels);
        // unmatched: ignore: the colours stay ignored in the mask and are reported as ignored, not as undefined.
        return Encoding.IgnoreUnmatched ? new MaskReading(mask, []) { Unmatched = list, HasAlpha = hasAlpha } : new MaskReading(mask, list) { HasAlpha = hasAlpha };
    }

    short Nearest(Rgb color)
    {
        int tol = Encoding.ColorTolerance;
        if (tol == 0) return Undefined;
        short best = Undefined; int bestDistance = int.MaxValue;
        foreach (var (c, target) in _colorTargets)
        {
            int d = color.MaxChannelDistance(c);
            if (d <= tol && d < bestDistance) { bestDistance = d; best = target; }
        }
        return best;
    }
}
