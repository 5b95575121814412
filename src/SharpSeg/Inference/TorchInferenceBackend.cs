using SharpSeg.Engine;
using TorchSharp;
using SharpSeg.Models;
using SharpSeg.Models.Fusion;
using static TorchSharp.torch;

namespace SharpSeg.Inference;

/// <summary>A TorchSharp module as an <see cref="IInferenceBackend"/>, optionally fed channels-last inputs.</summary>
public sealed class TorchInferenceBackend : IInferenceBackend
{
    readonly nn.Module<Tensor, Tensor> _model;
    readonly bool _ownsModel;

    /// <param name="model">Images <c>[N, Cin, H, W]</c> → logits <c>[N, classes, H, W]</c>, in eval mode.</param>
    /// <param name="classes">Logit channels.</param>
    /// <param name="device">Where the model lives.</param>
    /// <param name="channelsLast">Convert inputs to channels-last (<see cref="ChannelsLast"/>) before the model.</param>
    /// <param name="ownsModel">Dispose the model with the backend.</param>
    /// <param name="description">What runs (for reports).</param>
    /// <param name="bf16">Run the model under libtorch's autocast to bfloat16 (<see cref="Engine.Autocast"/>); the logits
    /// come back as float32.</param>
    public TorchInferenceBackend(nn.Module<Tensor, Tensor> model, int classes, Device? device = null, bool channelsLast = false, bool ownsModel = false,
        string? description = null, bool bf16 = false)
    {
        ArgumentNullException.ThrowIfNull(model);
        Engine.TorchRuntime.EnsureConfigured();
        _model = model; Classes = classes; Device = device ?? CPU; ChannelsLast = channelsLast; _ownsModel = ownsModel; Bf16 = bf16;
        Description = (description ?? (channelsLast ? "TorchSharp, channels-last" : "TorchSharp")) + (bf16 ? ", bf16 autocast" : "");
    }

    /// <summary>
    /// The fast CPU inference form of a model, in place: BatchNorms folded into their convolutions
    /// (<see cref="BatchNormFolding.FoldInPlace"/>), and convolution weights and inputs channels-last where that pays
    /// (<paramref name="channelsLast"/>: null = <see cref="ChannelsLastPays"/>). The model can no longer be trained or
    /// saved. Logits equal the eager model's within float rounding (1e-4, tested for both layouts).
    /// </summary>
    public static TorchInferenceBackend Fused(SegmentationModel model, Device? device = null, bool ownsModel = false, bool? channelsLast = null, bool bf16 = false)
    {
        ArgumentNullException.ThrowIfNull(model);
        bool cl = channelsLast ?? ChannelsLastPays(device ?? CPU);
        int folded = BatchNormFolding.FoldInPlace(model);
        if (cl) Models.Fusion.ChannelsLast.ConvertWeights(model);
        return new TorchInferenceBackend(model, model.NumClasses, device, cl, ownsModel,
            $"TorchSharp, {folded} BatchNorms folded{(cl ? ", channels-last" : "")}", bf16);
    }

    /// <summary>Whether fused inference stores activations channels-last: on the CPU with oneDNN at its full width. With
    /// oneDNN capped at SSE4.1 (<see cref="TorchRuntime.OneDnnIsaCapped"/>) channels-last was slower than NCHW for every
    /// CamVid model measured (U-Net/ResNet-18 287 against 138 ms, DeepLabV3+ 282 against 215, HRNet equal;
    /// docs/BENCHMARKS.md), so folding alone is used there.</summary>
    public static bool ChannelsLastPays(Device device) => Models.Fusion.ChannelsLast.OneDnnAtFullWidth(device);

    /// <summary>The module that runs.</summary>
    public nn.Module<Tensor, Tensor> Model => _model;

    public int Classes { get; }
    public Device Device { get; }
    public string Description { get; }

    /// <summary>True when inputs are converted to channels-last.</summary>
    public bool ChannelsLast { get; }

    /// <summary>True when the model runs under bfloat16 autocast.</summary>
    public bool Bf16 { get; }

    // The bf16 logits are disposed as soon as their fp32 copy exists, so tiles hold one set of logits, not two.
    public Tensor Logits(Tensor input) => Forward(input, _model.call, half => { using (half) return half.to_type(ScalarType.Float32); });

    /// <summary>
    /// Runs <paramref name="forward"/> on <paramref name="input"/> as this backend runs its model: the input
    /// channels-last when <see cref="ChannelsLast"/>, the pass under bfloat16 autocast when <see cref="Bf16"/> with its
    /// outputs brought back to fp32 by <paramref name="toFp32"/>. For other forward passes of the same model (e.g. a
    /// mask-classification model's queries).
    /// </summary>
    public T Forward<T>(Tensor input, Func<Tensor, T> forward, Func<T, T> toFp32)
    {
        var x = ChannelsLast ? Models.Fusion.ChannelsLast.Convert(input) : input;
        return Engine.Autocast.Forward(Device, Engine.Autocast.Precision(Bf16), () => forward(x), toFp32);
    }

    public void Dispose()
    {
        if (_ownsModel) _model.Dispose();
    }
}
