namespace SharpSeg.Onnx;

/// <summary>What <see cref="OnnxExporter"/> wrote.</summary>
/// <param name="Path">The ONNX file.</param>
/// <param name="Bytes">Its size.</param>
/// <param name="Nodes">Nodes in the graph.</param>
/// <param name="QuantizedTensors">Activation tensors with QuantizeLinear/DequantizeLinear (0 for float32).</param>
/// <param name="CalibrationImages">Images the activation ranges were measured on (0 for float32).</param>
public sealed record OnnxExportResult(string Path, long Bytes, int Nodes, int QuantizedTensors, int CalibrationImages);
