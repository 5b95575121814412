using System.Reflection;
using SharpSeg.Inference;
using SharpSeg.TfLite;

namespace SharpSeg.Portrait;

/// <summary>The two MediaPipe selfie-segmentation models built into SharpSeg.</summary>
public enum SelfieModel
{
    /// <summary>256×256 input, for photos and portrait-shaped frames.</summary>
    General,
    /// <summary>144×256 input, for 16:9 video; fewer operations per frame.</summary>
    Landscape,
}

/// <summary>
/// MediaPipe's selfie-segmentation models (Apache-2.0, vendored unchanged in <c>src/SharpSeg/Portrait/Models/</c> with
/// their provenance, embedded in this assembly): person vs background, so portrait effects work with no training.
/// They run through SharpSeg's TFLite import (<see cref="TfLiteNetwork"/>), whose masks agree with MediaPipe's own
/// WebAssembly solution on 99.97 % of pixels or more (docs/PORTRAIT.md).
/// </summary>
public static class SelfieSegmentation
{
    /// <summary>The classes of both models: 0 background, 1 person.</summary>
    public static IReadOnlyList<string> ClassNames { get; } = ["background", "person"];

    /// <summary>The model's file name (also its name in messages).</summary>
    public static string FileName(SelfieModel model) => model == SelfieModel.Landscape ? "selfie_segmentation_landscape.tflite" : "selfie_segmentation.tflite";

    /// <summary>The vendored .tflite file's bytes.</summary>
    public static byte[] ModelBytes(SelfieModel model)
    {
        string name = "SharpSeg.Portrait." + FileName(model);
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"the built-in model {name} is missing from SharpSeg.dll");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    /// <summary>The model rebuilt in TorchSharp.</summary>
    public static TfLiteNetwork Load(SelfieModel model) => new(TfLiteModel.Read(ModelBytes(model), $"{FileName(model)} (built in)"));

    /// <summary>A predictor (classes background, person) over the built-in <paramref name="model"/>.</summary>
    /// <paramref name="onnxRuntime"/>: as <see cref="TfLiteModels.CreatePredictor(TfLiteNetwork, string?, IReadOnlyList{string}?, bool?)"/>
    /// (null: ONNX Runtime on the CPU).
    public static Predictor CreatePredictor(SelfieModel model = SelfieModel.General, string? device = "cpu", bool? onnxRuntime = null) =>
        TfLiteModels.CreatePredictor(Load(model), device, ClassNames, onnxRuntime);

    /// <summary>The model for frames of <paramref name="width"/>×<paramref name="height"/>: landscape for frames at least
    /// 3:2 wide (its 144×256 input keeps their shape), general otherwise.</summary>
    public static SelfieModel ChooseFor(int width, int height) => width >= 1.5 * height ? SelfieModel.Landscape : SelfieModel.General;

    /// <summary>
    /// The predictor a <c>--model</c> argument names: <c>auto</c> (the built-in model <see cref="ChooseFor"/> frames of
    /// <paramref name="width"/>×<paramref name="height"/>), <c>general</c>, <c>landscape</c>, or a model file
    /// (.tflite, .onnx or .ckpt, through <see cref="Predictor.Load"/>).
    /// </summary>
    /// <paramref name="onnxRuntime"/> applies to TFLite models (null: ONNX Runtime on the CPU).
    public static Predictor OpenPredictor(string model, int width, int height, string? device = "cpu", bool? onnxRuntime = null)
    {
        if (model.Trim().Equals("auto", StringComparison.OrdinalIgnoreCase)) return CreatePredictor(ChooseFor(width, height), device, onnxRuntime);
        if (Parse(model) is { } builtIn) return CreatePredictor(builtIn, device, onnxRuntime);
        if (!File.Exists(model)) throw new SharpSegException($"{model}: model file not found; give auto, general, landscape, or a .tflite, .onnx or .ckpt file.");
        return ModelFile.IsTfLite(model) ? TfLiteModels.CreatePredictor(model, device, onnxRuntime: onnxRuntime) : Predictor.Load(model, device);
    }

    /// <summary>Parses <c>general</c> or <c>landscape</c>; null for anything else (a model file).</summary>
    public static SelfieModel? Parse(string text) => text.Trim().ToLowerInvariant() switch
    {
        "general" or "selfie" => SelfieModel.General,
        "landscape" => SelfieModel.Landscape,
        _ => null,
    };
}
