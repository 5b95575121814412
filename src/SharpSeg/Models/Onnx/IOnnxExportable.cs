namespace SharpSeg.Models.Onnx;

/// <summary>
/// A SharpSeg module with one tensor in and one out that can write itself into an ONNX graph. Its
/// <see cref="ExportOnnx"/> mirrors its <c>forward</c> line by line, calling <see cref="OnnxGraphBuilder"/> where the
/// forward calls torch (<c>graph.Module(child, x)</c> for <c>child.call(x)</c>, <c>graph.Add(a, b)</c> for <c>a + b</c>),
/// so a change to one is a visible change next to the other. Encoders and decoders override
/// <see cref="Models.Encoders.Encoder.ExportOnnx"/> / <see cref="Models.Decoders.Decoder.ExportOnnx"/> instead.
/// </summary>
public interface IOnnxExportable
{
    /// <summary>Emits the module's nodes for input <paramref name="x"/> and returns its output.</summary>
    OnnxValue ExportOnnx(OnnxGraphBuilder graph, OnnxValue x);
}
