using System.Text.Json.Serialization;
using SharpSeg.Imaging;

namespace SharpSeg.Data.Dataset;

/// <summary>
/// The classes of a dataset, in class-index order (class index i is <c>Classes[i]</c>; <see cref="LabelMask.Ignore"/>
/// is not a class). The one class table of the system: datasets, checkpoints, ONNX metadata and exported weights all
/// carry this type, in the JSON form of <see cref="ClassTableJson"/>.
/// </summary>
[JsonConverter(typeof(ClassTableJson))]
public sealed class ClassTable
{
    static readonly Rgb[] Palette =
    [
        new(128, 64, 128), new(244, 35, 232), new(70, 70, 70), new(102, 102, 156), new(190, 153, 153),
        new(153, 153, 153), new(250, 170, 30), new(220, 220, 0), new(107, 142, 35), new(152, 251, 152),
        new(70, 130, 180), new(220, 20, 60), new(255, 0, 0), new(0, 0, 142), new(0, 0, 70),
        new(0, 60, 100), new(0, 80, 100), new(0, 0, 230), new(119, 11, 32),
    ];

    public ClassTable(IReadOnlyList<ClassInfo> classes)
    {
        if (classes.Count > LabelMask.MaxClasses) throw new ArgumentException($"at most {LabelMask.MaxClasses} classes, got {classes.Count}");
        Classes = classes.ToArray();
    }

    public IReadOnlyList<ClassInfo> Classes { get; }

    public int Count => Classes.Count;

    public ClassInfo this[int index] => Classes[index];

    public IReadOnlyList<string> Names => Classes.Select(c => c.Name).ToArray();

    /// <summary>The display colours in class-index order.</summary>
    public IReadOnlyList<Rgb> Colors => Classes.Select(c => c.Color).ToArray();

    /// <summary>The class index of <paramref name="name"/> (ordinal, case-sensitive), or -1.</summary>
    public int IndexOf(string name)
    {
        for (int i = 0; i < Classes.Count; i++)
            if (Classes[i].Name == name) return i;
        return -1;
    }

    /// <summary>
    /// A fixed, distinct display colour for class <paramref name="index"/> when the dataset gives none: the Cityscapes
    /// palette for the first 19, then colours spread by the golden ratio in hue.
    /// </summary>
    public static Rgb DefaultColor(int index)
    {
        if (index < Palette.Length) return Palette[index];
        double hue = (index * 0.6180339887) % 1.0, s = 0.65, v = 0.9;
        int sector = (int)(hue * 6); double f = hue * 6 - sector;
        double p = v * (1 - s), q = v * (1 - f * s), t = v * (1 - (1 - f) * s);
        var (r, g, b) = sector switch { 0 => (v, t, p), 1 => (q, v, p), 2 => (p, v, t), 3 => (p, q, v), 4 => (t, p, v), _ => (v, p, q) };
        return new Rgb((byte)(r * 255), (byte)(g * 255), (byte)(b * 255));
    }
}
