namespace SharpSeg.Instances;

/// <summary>
/// The result of <see cref="ConnectedComponents"/> labelling: per pixel the component id (1..<see cref="Count"/>, 0 = not
/// labelled), and per component its class index. Ids follow the raster order of each component's first pixel (top row
/// first, then left to right), the order <c>scipy.ndimage.label</c> also numbers in.
/// </summary>
public sealed class ComponentLabels
{
    public ComponentLabels(int width, int height, int[] ids, byte[] classes)
    {
        if ((long)width * height != ids.Length) throw new ArgumentException($"id buffer has {ids.Length} entries, expected {(long)width * height}");
        Width = width; Height = height; Ids = ids; ClassOf = classes;
    }

    public int Width { get; }
    public int Height { get; }
    /// <summary>Row-major component id per pixel; 0 where no component is.</summary>
    public int[] Ids { get; }
    /// <summary>Class index of component <c>id</c> at <c>ClassOf[id - 1]</c>.</summary>
    public byte[] ClassOf { get; }
    /// <summary>Number of components.</summary>
    public int Count => ClassOf.Length;
}
