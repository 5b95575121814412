using System.Globalization;
using SharpSeg.Data.Dataset;
using SharpSeg.Data.Masks;
using SharpSeg.Imaging;

namespace SharpSeg.Annotation;

/// <summary>
/// A simulated annotator: a sequence of perturbations applied to a dataset's real masks, to try fusion where only one
/// annotation exists (<c>sharpseg masks simulate</c>). Written as text, operations separated by commas:
/// <list type="bullet">
/// <item><c>grow CLASS R</c>: class CLASS takes every pixel within R pixels of it (square neighbourhood): an annotator
/// who draws it thick.</item>
/// <item><c>shrink CLASS R</c>: pixels of CLASS within R pixels of another class take that class: drawn thin.</item>
/// <item><c>jitter P</c>: each boundary pixel (one with a 4-neighbour of another class) takes a random 4-neighbour's
/// label with probability P: a shaky hand.</item>
/// <item><c>flip P</c>: each pixel takes a random other class with probability P: careless clicks.</item>
/// </list>
/// Ignore pixels stay ignore; the randomness comes from the seed, the annotator's position and the image's index (the same in every process).
/// </summary>
public sealed class SimulatedAnnotator
{
    readonly List<(string Op, int Class, double Amount)> _ops;

    SimulatedAnnotator(string text, List<(string, int, double)> ops) { Text = text; _ops = ops; }

    public string Text { get; }

    public static SimulatedAnnotator Parse(string text, ClassTable classes)
    {
        var ops = new List<(string, int, double)>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var w = part.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            SharpSegException Bad(string why) => new($"--perturb '{text}': '{part}' {why}; use grow CLASS R, shrink CLASS R, jitter P or flip P, separated by commas.");
            double Number(string s) => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ? v : throw Bad($"has '{s}' where a number belongs");
            switch (w[0].ToLowerInvariant())
            {
                case "grow" or "shrink":
                    if (w.Length != 3) throw Bad("needs a class and a radius");
                    int k = classes.IndexOf(w[1]);
                    if (k < 0 && int.TryParse(w[1], out int index) && index >= 0 && index < classes.Count) k = index;
                    if (k < 0) throw Bad($"names no class of the dataset ({string.Join(", ", classes.Names)})");
                    double r = Number(w[2]);
                    if (r is < 1 or > 64 || r != Math.Floor(r)) throw Bad("needs a whole radius of 1 to 64 pixels");
                    ops.Add((w[0].ToLowerInvariant(), k, r));
                    break;
                case "jitter" or "flip":
                    if (w.Length != 2) throw Bad("needs a probability");
                    double p = Number(w[1]);
                    if (!(p >= 0 && p <= 1)) throw Bad("needs a probability in [0, 1]");
                    ops.Add((w[0].ToLowerInvariant(), -1, p));
                    break;
                default: throw Bad("is not an operation");
            }
        }
        if (ops.Count == 0) throw new SharpSegException($"--perturb '{text}' has no operation; e.g. --perturb \"grow membrane 1, jitter 0.2\".");
        return new SimulatedAnnotator(text, ops);
    }

    /// <summary>The perturbed copy of <paramref name="mask"/> (<paramref name="classes"/> classes), reproducible from <paramref name="seed"/>.</summary>
    public LabelMask Apply(LabelMask mask, int classes, int seed)
    {
        var labels = mask.Labels.ToArray();
        var rng = new Random(seed);
        foreach (var (op, k, amount) in _ops)
            labels = op switch
            {
                "grow" => Grow(labels, mask.Width, mask.Height, k, (int)amount),
                "shrink" => Shrink(labels, mask.Width, mask.Height, k, (int)amount),
                "jitter" => Jitter(labels, mask.Width, mask.Height, amount, rng),
                _ => Flip(labels, classes, amount, rng),
            };
        return new LabelMask(mask.Width, mask.Height, labels);
    }

    static byte[] Grow(byte[] src, int w, int h, int k, int r)
    {
        var dst = src.ToArray();
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int i = y * w + x;
                if (src[i] == k || src[i] == LabelMask.Ignore) continue;
                if (Near(src, w, h, x, y, r, l => l == k) >= 0) dst[i] = (byte)k;
            }
        return dst;
    }

    static byte[] Shrink(byte[] src, int w, int h, int k, int r)
    {
        var dst = src.ToArray();
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int i = y * w + x;
                if (src[i] != k) continue;
                int other = Near(src, w, h, x, y, r, l => l != k && l != LabelMask.Ignore);
                if (other >= 0) dst[i] = (byte)other;
            }
        return dst;
    }

    /// <summary>The label of the nearest pixel (by ring, within radius r) whose label matches, or -1.</summary>
    static int Near(byte[] src, int w, int h, int x, int y, int r, Func<byte, bool> match)
    {
        for (int d = 1; d <= r; d++)
            for (int dy = -d; dy <= d; dy++)
            {
                int yy = y + dy;
                if (yy < 0 || yy >= h) continue;
                int step = Math.Abs(dy) == d ? 1 : 2 * d;
                for (int dx = -d; dx <= d; dx += step)
                {
                    int xx = x + dx;
                    if (xx < 0 || xx >= w) continue;
                    byte l = src[yy * w + xx];
                    if (match(l)) return l;
                }
            }
        return -1;
    }

    static byte[] Jitter(byte[] src, int w, int h, double p, Random rng)
    {
        var dst = src.ToArray();
        Span<int> nx = stackalloc int[4];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int i = y * w + x;
                if (src[i] == LabelMask.Ignore) continue;
                int n = 0;
                if (x > 0 && src[i - 1] != src[i] && src[i - 1] != LabelMask.Ignore) nx[n++] = i - 1;
                if (x < w - 1 && src[i + 1] != src[i] && src[i + 1] != LabelMask.Ignore) nx[n++] = i + 1;
                if (y > 0 && src[i - w] != src[i] && src[i - w] != LabelMask.Ignore) nx[n++] = i - w;
                if (y < h - 1 && src[i + w] != src[i] && src[i + w] != LabelMask.Ignore) nx[n++] = i + w;
                if (n > 0 && rng.NextDouble() < p) dst[i] = src[nx[rng.Next(n)]];
            }
        return dst;
    }

    static byte[] Flip(byte[] src, int classes, double p, Random rng)
    {
        var dst = src.ToArray();
        if (classes < 2) return dst;
        for (int i = 0; i < dst.Length; i++)
            if (dst[i] != LabelMask.Ignore && rng.NextDouble() < p) dst[i] = (byte)((dst[i] + rng.Next(1, classes)) % classes);
        return dst;
    }

    /// <summary>
    /// Writes one folder per annotator (<c>annotator1</c>, ...) under <paramref name="outDir"/> with a perturbed copy of
    /// every mask of <paramref name="split"/>, in the dataset's own mask encoding and named like the images; returns the folders.
    /// </summary>
    public static IReadOnlyList<string> WriteFolders(DatasetSpec spec, string split, IReadOnlyList<SimulatedAnnotator> annotators, string outDir, int seed,
        IProgress<(int Done, int Total)>? progress = null, CancellationToken cancellationToken = default)
    {
        var pairs = spec.ResolvePairs(split).Where(p => p.MaskPath != null).ToList();
        if (pairs.Count == 0) throw new SharpSegException($"{spec.SourcePath}: split '{split}' has no masks to perturb.");
        var decoder = new MaskDecoder(spec);
        var encoder = new MaskEncoder(spec);
        var folders = annotators.Select((_, j) => Path.Combine(Path.GetFullPath(outDir), $"annotator{j + 1}")).ToList();
        foreach (var f in folders) Directory.CreateDirectory(f);
        for (int i = 0; i < pairs.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var truth = decoder.Decode(pairs[i].MaskPath!);
            string stem = Path.GetFileNameWithoutExtension(pairs[i].ImagePath);
            for (int j = 0; j < annotators.Count; j++)
                encoder.Save(annotators[j].Apply(truth, spec.Classes.Count, unchecked(seed * 1_000_003 + j * 10_007 + i)), Path.Combine(folders[j], stem + ".png"));
            progress?.Report((i + 1, pairs.Count));
        }
        return folders;
    }
}
