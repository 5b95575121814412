namespace SharpSeg.Cli.Commands;

/// <summary>The model file of <c>predict</c> and <c>eval</c>: <c>--checkpoint</c> or <c>--model</c> (one of them).</summary>
internal static class ModelArgument
{
    public static string Resolve(string? checkpoint, string? model)
    {
        if (checkpoint != null && model != null) throw new SharpSegException("give either --checkpoint or --model, not both.");
        return checkpoint ?? model ?? throw new SharpSegException("--checkpoint (a .ckpt) or --model (an exported .onnx or a .tflite) is required.");
    }

    public static bool IsOnnx(string path) => Inference.ModelFile.IsOnnx(path);
}
