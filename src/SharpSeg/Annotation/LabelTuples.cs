using SharpSeg.Imaging;

namespace SharpSeg.Annotation;

/// <summary>
/// How many pixels carry each combination of annotators' labels: the key packs one byte per annotator (annotator j in
/// byte j; <see cref="LabelMask.Ignore"/> where the annotator gave no label, i.e. an ignore pixel or a missing mask).
/// Every fusion rule and agreement statistic here depends on a pixel only through its combination, so they are all
/// computed on this histogram (a few hundred entries) instead of on millions of pixels: exactly, not approximately.
/// </summary>
public sealed class LabelTuples
{
    /// <summary>The most annotators a combination can hold (one byte each in a 64-bit key).</summary>
    public const int MaxAnnotators = 8;

    public LabelTuples(int annotators, int classes)
    {
        if (annotators is < 2 or > MaxAnnotators) throw new SharpSegException($"annotator fusion needs 2 to {MaxAnnotators} annotators, got {annotators}.");
        if (classes is < 1 or > LabelMask.MaxClasses) throw new ArgumentOutOfRangeException(nameof(classes));
        Annotators = annotators; Classes = classes;
    }

    public int Annotators { get; }
    public int Classes { get; }

    /// <summary>Pixel count per combination.</summary>
    public Dictionary<ulong, long> Counts { get; } = [];

    /// <summary>All pixels counted.</summary>
    public long Pixels { get; private set; }

    /// <summary>Annotator <paramref name="j"/>'s label in <paramref name="key"/> (<see cref="LabelMask.Ignore"/>: none).</summary>
    public static byte Label(ulong key, int j) => (byte)(key >> (8 * j));

    /// <summary>The key of one pixel's labels.</summary>
    public static ulong Key(ReadOnlySpan<byte> labels)
    {
        ulong key = 0;
        for (int j = 0; j < labels.Length; j++) key |= (ulong)labels[j] << (8 * j);
        return key;
    }

    /// <summary>The combination key of every pixel of one image; a null mask (the annotator has none for this image)
    /// abstains everywhere. Labels outside the class table count as no label.</summary>
    public static ulong[] Keys(IReadOnlyList<LabelMask?> masks, int classes)
    {
        int pixels = masks.First(m => m != null)!.Labels.Length;
        var keys = new ulong[pixels];
        for (int j = 0; j < masks.Count; j++)
        {
            int shift = 8 * j;
            if (masks[j] is not { } m) { for (int i = 0; i < pixels; i++) keys[i] |= (ulong)LabelMask.Ignore << shift; continue; }
            var labels = m.Labels;
            for (int i = 0; i < pixels; i++)
            {
                byte l = labels[i];
                keys[i] |= (ulong)(l < classes ? l : LabelMask.Ignore) << shift;
            }
        }
        return keys;
    }

    /// <summary>Counts every pixel of one image (<see cref="Keys"/>) and returns that image's own histogram.</summary>
    public LabelTuples AddImage(IReadOnlyList<LabelMask?> masks)
    {
        var image = new LabelTuples(Annotators, Classes);
        var keys = Keys(masks, Classes);
        // Runs of equal combinations (most of a mask) cost one dictionary update each.
        for (int i = 0; i < keys.Length;)
        {
            int j = i + 1;
            while (j < keys.Length && keys[j] == keys[i]) j++;
            image.Add(keys[i], j - i);
            i = j;
        }
        Merge(image);
        return image;
    }

    public void Add(ulong key, long count)
    {
        Counts[key] = Counts.TryGetValue(key, out long c) ? c + count : count;
        Pixels += count;
    }

    public void Merge(LabelTuples other)
    {
        foreach (var (k, c) in other.Counts) Add(k, c);
    }

    /// <summary>How many annotators labelled the pixels of <paramref name="key"/>.</summary>
    public int Labelled(ulong key)
    {
        int n = 0;
        for (int j = 0; j < Annotators; j++) if (Label(key, j) != LabelMask.Ignore) n++;
        return n;
    }
}
