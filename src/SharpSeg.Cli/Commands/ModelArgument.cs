using SharpSeg.Engine;
using Spectre.Console;

namespace SharpSeg.Cli.Commands;

/// <summary>The model file of <c>predict</c> and <c>eval</c>: <c>--checkpoint</c> or <c>--model</c> (one of them).</summary>
internal static class ModelArgument
{
    /// <summary>The help line of <c>--bf16</c>, one for every command that runs a checkpoint.</summary>
    public const string Bf16Description = "Run a checkpoint under bfloat16 autocast: about 1.5× faster on CPUs with avx512_bf16 or amx_bf16 (sharpseg info says), masks within bfloat16 rounding of fp32's";

    public static string Resolve(string? checkpoint, string? model)
    {
        if (checkpoint != null && model != null) throw new SharpSegException("give either --checkpoint or --model, not both.");
        return checkpoint ?? model ?? throw new SharpSegException("--checkpoint (a .ckpt) or --model (an exported .onnx or a .tflite) is required.");
    }

    /// <summary>
    /// Refuses the checkpoint-only options for an ONNX or TFLite <paramref name="model"/> (one line), then warns when
    /// <c>--bf16</c> would run on a CPU that emulates bfloat16: the checks every command that runs a model makes first.
    /// </summary>
    public static void CheckRunOptions(string model, string? device, bool eager, bool bf16)
    {
        Inference.ModelFile.RefuseCheckpointOnlyOptions(model, device, eager, bf16);
        WarnIfBf16Slow(bf16, device);
    }

    /// <summary>Warns (one yellow line) when <c>--bf16</c> runs on a CPU that only emulates bfloat16, where it is slower.</summary>
    public static void WarnIfBf16Slow(bool bf16, string? device)
    {
        if (bf16 && TorchRuntime.MixedPrecisionWarning(TorchRuntime.ResolveDevice(device), "--bf16", "leave out --bf16") is { } slow)
            AnsiConsole.MarkupLine($"[yellow]{ConsoleOutput.Escape(slow)}[/]");
    }

    public static bool IsOnnx(string path) => Inference.ModelFile.IsOnnx(path);
}
