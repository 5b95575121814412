using SharpSeg.Imaging;

namespace SharpSeg.Serving;

/// <summary>How <c>sharpseg serve</c> runs (docs/SERVING.md).</summary>
/// <param name="ModelPath">A checkpoint (<c>.ckpt</c>) or an exported ONNX model (<c>.onnx</c>).</param>
/// <param name="Host">Address to listen on: "localhost" (default; loopback only), "0.0.0.0" (every interface, as in a
/// container), or an IP address.</param>
/// <param name="Port">TCP port (0 = any free port, see <see cref="SegmentationServer.Urls"/>).</param>
/// <param name="Instances">Model copies: requests segmented at once (1..64).</param>
/// <param name="QueueLimit">Requests that may wait for a free copy beyond those running; one more is answered 503 with
/// Retry-After (0..10000).</param>
/// <param name="MaxBodyBytes">Largest request body (the encoded image, or the whole multipart form); larger is 413.</param>
/// <param name="MaxPixels">Largest image (width × height, from its header, before decoding); larger is 413.</param>
/// <param name="Device">For a checkpoint: cpu, cuda or auto.</param>
/// <param name="Eager">For a checkpoint: run unfused, exactly as trained.</param>
/// <param name="TorchThreads">libtorch intra-op threads for the process (0 = leave as is); <c>serve</c> divides the
/// cores between the model copies.</param>
/// <param name="ShutdownSeconds">On Ctrl+C / SIGTERM, how long requests in flight may take to finish.</param>
/// <param name="Bf16">For a checkpoint: run under bfloat16 autocast (<see cref="SharpSeg.Inference.SegmenterOptions.Bf16"/>).</param>
public sealed record SegmentationServerOptions(
    string ModelPath,
    string Host = "localhost",
    int Port = 8080,
    int Instances = 1,
    int QueueLimit = 16,
    long MaxBodyBytes = SegmentationServerOptions.DefaultMaxBodyBytes,
    long MaxPixels = PixelLimit.DefaultMaxPixels,
    string Device = "cpu",
    bool Eager = false,
    int TorchThreads = 0,
    int ShutdownSeconds = 30,
    bool Bf16 = false)
{
    /// <summary>32 MiB.</summary>
    public const long DefaultMaxBodyBytes = 32L << 20;

    /// <summary>Throws a one-line <see cref="SharpSegException"/> naming the CLI option when a value is out of range.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(ModelPath)) throw new SharpSegException("--checkpoint (a .ckpt) or --model (an exported .onnx or a .tflite) is required.");
        if (Port is < 0 or > 65535) throw new SharpSegException($"--port {Port}: give a TCP port between 1 and 65535 (0 = any free port).");
        if (Instances is < 1 or > 64) throw new SharpSegException($"--copies {Instances}: give between 1 and 64 model copies.");
        if (QueueLimit is < 0 or > 10_000) throw new SharpSegException($"--queue {QueueLimit}: give between 0 and 10000 waiting requests.");
        if (MaxBodyBytes is < 1024 or > (2L << 30)) throw new SharpSegException($"--max-body-mb: the body limit must be between 1 KiB and 2 GiB, got {MaxBodyBytes} bytes.");
        if (MaxPixels < 1) throw new SharpSegException($"--max-pixels {MaxPixels}: give a positive number of pixels such as 500M.");
        if (ShutdownSeconds is < 0 or > 3600) throw new SharpSegException($"--shutdown-seconds {ShutdownSeconds}: give between 0 and 3600.");
        if (string.IsNullOrWhiteSpace(Host)) throw new SharpSegException("--host: give localhost, 0.0.0.0 or an IP address.");
    }
}
