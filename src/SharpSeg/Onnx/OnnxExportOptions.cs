using SharpSeg.Imaging;

namespace SharpSeg.Onnx;

/// <summary>How <see cref="OnnxExporter"/> writes a model.</summary>
/// <param name="ArgMax">End the graph in ArgMax: output <c>labels</c> <c>[N, H, W]</c> int64 instead of <c>logits</c>
/// <c>[N, C, H, W]</c> (for deployment; SharpSeg's tiling, TTA and evaluation need logits).</param>
/// <param name="CalibrationImages">Quantise to int8 (static QDQ) with activation ranges measured on these images
/// (decoded with the model's image channels); null: float32.</param>
public sealed record OnnxExportOptions(bool ArgMax = false, IReadOnlyList<RgbImage>? CalibrationImages = null)
{
    /// <summary>True when the export is quantised to int8.</summary>
    public bool Int8 => CalibrationImages is not null;
}
