namespace SharpSeg.Models.Onnx;

/// <summary>
/// What <see cref="OnnxGraphBuilder"/> does at the tensors an int8 graph quantises: in calibration mode it records their
/// names (the exporter adds them as graph outputs and measures their ranges on calibration images); in quantisation
/// mode it gives each one's uint8 scale and zero point from the measured range.
/// </summary>
internal sealed class Int8Plan
{
    readonly Dictionary<string, (float Min, float Max)>? _ranges;

    Int8Plan(Dictionary<string, (float Min, float Max)>? ranges) => _ranges = ranges;

    /// <summary>A plan that records calibration points.</summary>
    public static Int8Plan Calibration() => new(null);

    /// <summary>A plan that quantises with measured ranges (tensor name → min, max).</summary>
    public static Int8Plan Quantization(Dictionary<string, (float Min, float Max)> ranges) => new(ranges);

    /// <summary>True while recording calibration points.</summary>
    public bool Calibrating => _ranges is null;

    /// <summary>Calibration points recorded so far, in graph order.</summary>
    public List<string> Points { get; } = [];

    public void Record(string tensor) => Points.Add(tensor);

    /// <summary>Asymmetric uint8 parameters covering [min(min, 0), max(max, 0)] (zero exactly representable).</summary>
    public (float Scale, byte ZeroPoint) Parameters(string tensor)
    {
        if (_ranges is null || !_ranges.TryGetValue(tensor, out var r))
            throw new InvalidOperationException($"no calibrated range for tensor {tensor}");
        return Parameters(r.Min, r.Max);
    }

    /// <summary>uint8 scale and zero point for a range.</summary>
    public static (float Scale, byte ZeroPoint) Parameters(float min, float max)
    {
        double lo = Math.Min(min, 0), hi = Math.Max(max, 0);
        double scale = (hi - lo) / 255.0;
        if (!(scale > 0) || double.IsInfinity(scale)) return (1f, 0);
        double zp = Math.Round(-lo / scale);
        return ((float)scale, (byte)Math.Clamp(zp, 0, 255));
    }
}
