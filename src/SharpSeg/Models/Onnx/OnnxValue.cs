namespace SharpSeg.Models.Onnx;

/// <summary>A tensor in an ONNX graph under construction, by name (what a node input or output refers to).</summary>
/// <param name="Name">The graph-unique tensor name.</param>
public readonly record struct OnnxValue(string Name)
{
    public override string ToString() => Name;
}
