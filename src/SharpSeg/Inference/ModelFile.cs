namespace SharpSeg.Inference;

/// <summary>What kind of model file a path is, and which inference options each kind takes.</summary>
public static class ModelFile
{
    /// <summary>True for an exported ONNX model (<c>.onnx</c>, run by ONNX Runtime); otherwise a SharpSeg checkpoint
    /// or a TFLite model.</summary>
    public static bool IsOnnx(string path) => Path.GetExtension(path).Equals(".onnx", StringComparison.OrdinalIgnoreCase);

    /// <summary>True for a TensorFlow Lite model (<c>.tflite</c>, rebuilt in TorchSharp by <see cref="TfLiteModels"/>).</summary>
    public static bool IsTfLite(string path) => Path.GetExtension(path).Equals(".tflite", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Refuses checkpoint-only options for an ONNX model instead of ignoring them: ONNX Runtime runs the exported graph
    /// on the CPU as exported, so a <paramref name="device"/> other than cpu and <paramref name="eager"/> (run unfused)
    /// would change nothing.
    /// </summary>
    public static void RefuseCheckpointOnlyOptions(string path, string? device, bool eager, bool bf16 = false)
    {
        if (bf16 && (IsTfLite(path) || IsOnnx(path)))
            throw new SharpSegException($"--bf16: {Path.GetFileName(path)} is {(IsOnnx(path) ? "an ONNX" : "a TFLite")} model, which runs in fp32 (--bf16 chooses how a .ckpt checkpoint runs); drop --bf16 or use the .ckpt checkpoint.");
        if (IsTfLite(path) && eager)
            throw new SharpSegException($"--eager: {Path.GetFileName(path)} is a TFLite model, which SharpSeg rebuilds and runs one way (--eager chooses how a .ckpt checkpoint runs); drop --eager.");
        if (!IsOnnx(path)) return;
        if (device != null && !device.Trim().Equals("cpu", StringComparison.OrdinalIgnoreCase))
            throw new SharpSegException($"--device {device}: {Path.GetFileName(path)} is an ONNX model, which ONNX Runtime runs on the CPU; drop --device or use the .ckpt checkpoint.");
        if (eager)
            throw new SharpSegException($"--eager: {Path.GetFileName(path)} is an ONNX model, run as exported (--eager chooses how a .ckpt checkpoint runs); drop --eager or use the .ckpt checkpoint.");
    }
}
