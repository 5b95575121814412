namespace SharpSeg.Inference;

/// <summary>How <see cref="Segmenter.Load(string, SegmenterOptions?, long?)"/> loads a model.</summary>
/// <param name="Device">For a checkpoint: "cpu" (default), "cuda" or "auto". An ONNX model always runs on the CPU with
/// ONNX Runtime; any value other than "cpu" is refused for it.</param>
/// <param name="Eager">For a checkpoint: run the model exactly as trained (false, the default, folds BatchNorms and runs
/// channels-last: the same masks within float rounding, faster). Refused for an ONNX model.</param>
/// <param name="Instances">How many copies of the model to load (1..64): up to this many images are segmented at once,
/// one per copy; further calls wait for a free copy. Each copy holds its own weights in memory.</param>
/// <param name="OnnxThreads">For an ONNX model: intra-op threads of each copy's ONNX Runtime session (0 = the
/// process's libtorch thread count divided between the copies, at least 1).</param>
public sealed record SegmenterOptions(string Device = "cpu", bool Eager = false, int Instances = 1, int OnnxThreads = 0)
{
    /// <summary>For a checkpoint: run under libtorch's bfloat16 autocast (about 1.5× faster on CPUs with avx512_bf16 or
    /// amx_bf16; masks within bfloat16 rounding of fp32's). Refused for ONNX and TFLite models.</summary>
    public bool Bf16 { get; init; }

    /// <summary>One CPU copy, BatchNorm folded.</summary>
    public static SegmenterOptions Default { get; } = new();

    /// <summary>Throws a one-line <see cref="SharpSegException"/> when a value is out of range.</summary>
    public void Validate()
    {
        if (Instances is < 1 or > 64) throw new SharpSegException($"instances {Instances}: give between 1 and 64 model copies.");
        if (OnnxThreads is < 0 or > 1024) throw new SharpSegException($"ONNX threads {OnnxThreads}: give 0 (automatic) or a thread count up to 1024.");
    }
}
