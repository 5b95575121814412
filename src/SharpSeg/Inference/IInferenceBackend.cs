using static TorchSharp.torch;

namespace SharpSeg.Inference;

/// <summary>
/// The network behind <see cref="Predictor"/>, <see cref="SlidingWindowPredictor"/> and the evaluator: a normalised
/// image batch in, class logits out. Tiling, test-time augmentation, the inference scale, softmax and stitching are
/// done once, around it, for every backend: TorchSharp (<see cref="TorchInferenceBackend"/>) or ONNX Runtime
/// (<see cref="OnnxRuntimeBackend"/>); its inputs are always made by <see cref="Preprocessing"/>.
/// </summary>
public interface IInferenceBackend : IDisposable
{
    /// <summary>Logit channels (one per class).</summary>
    int Classes { get; }

    /// <summary>Where <see cref="Logits"/> wants its input (ONNX Runtime: the CPU).</summary>
    Device Device { get; }

    /// <summary>What runs, for reports ("TorchSharp, BatchNorm folded, channels-last", "ONNX Runtime int8 (model.onnx)").</summary>
    string Description { get; }

    /// <summary>Normalised images <c>[N, Cin, H, W]</c> (float32, on <see cref="Device"/>, any H, W) → logits
    /// <c>[N, Classes, H, W]</c> (not probabilities). Call under <c>torch.no_grad()</c> inside a dispose scope.</summary>
    Tensor Logits(Tensor input);
}
