using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SharpSeg.Models.Fusion;

/// <summary>
/// Channels-last (NHWC in memory, still indexed <c>[N, C, H, W]</c>) tensors and convolution weights for CPU inference
/// and training: libtorch's oneDNN convolutions run faster on them and keep their outputs channels-last. For training
/// only the input batch is converted (<see cref="Convert"/>): a convolution whose input is channels-last runs
/// channels-last and hands its output on in that layout, while the weights, their gradients, the optimiser's state and
/// so the checkpoints stay in the default layout (TorchSharp's <c>Module.save</c>/<c>load</c> refuse non-contiguous
/// tensors). TorchSharp 0.107 has no
/// <c>memory_format</c> argument on <c>contiguous</c>/<c>to</c>, so the layout is made by
/// <c>permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2)</c>: same shape and values, NHWC strides.
/// </summary>
public static class ChannelsLast
{
    /// <summary>A channels-last copy of a 4-D tensor (values and shape unchanged); other ranks are returned as they are.</summary>
    public static Tensor Convert(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        return x.dim() == 4 ? x.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2) : x;
    }

    /// <summary><c>train.channels_last</c> (auto, true or false; <paramref name="source"/> names the setting in the error):
    /// whether a training run of <paramref name="architecture"/> on <paramref name="encoder"/> on
    /// <paramref name="device"/> feeds its batches channels-last; auto is <see cref="PaysForTraining"/>.</summary>
    public static bool ForTraining(string? setting, Device device, string architecture, string encoder, string source) =>
        Configuration.ConfigTree.ParseAuto(setting, source) ?? PaysForTraining(device, architecture, encoder);

    /// <summary>Architectures whose training steps were not consistently faster channels-last on Zen 4
    /// (docs/BENCHMARKS.md, "Channels-last training"): DeepLabV3+ (0.93–1.18× over three rounds), SegFormer
    /// (0.90–0.99×), Mask2Former (0.98× in bf16).</summary>
    static readonly string[] SlowerChannelsLast = ["deeplabv3plus", "segformer", "mask2former"];

    /// <summary>
    /// Whether <c>train.channels_last: auto</c> turns channels-last training on: on the CPU with oneDNN at its full
    /// width (<see cref="OneDnnAtFullWidth"/>) and AVX-512, for the architectures and
    /// encoders where it was measured to win on such a CPU (Zen 4: U-Net 1.09–1.33×, HRNet 1.12–1.31×, UNet++
    /// 1.11–1.32×, LR-ASPP, PSPNet, UPerNet, FPN, DeepLabV3 and FCN 1.0–1.35×; docs/BENCHMARKS.md, "Channels-last
    /// training"). Off for <see cref="SlowerChannelsLast"/> and the Mix Transformer encoders, on AVX2-only CPUs (PyTorch's
    /// channels-last training was not faster on the one measured, Zen 3) and on a GPU (not measured).
    /// </summary>
    public static bool PaysForTraining(Device device, string architecture, string encoder, Engine.CpuInfo? cpu = null) =>
        OneDnnAtFullWidth(device) && (cpu ?? Engine.CpuInfo.Current).VectorIsa == "AVX-512"
        && !SlowerChannelsLast.Contains(architecture.Trim().ToLowerInvariant()) && !encoder.Trim().StartsWith("mit_", StringComparison.OrdinalIgnoreCase);

    /// <summary>Whether <paramref name="device"/> is the CPU with oneDNN on at its full width (not capped at SSE4.1,
    /// <see cref="Engine.TorchRuntime.OneDnnIsaCapped"/>): where channels-last can pay at all, for inference
    /// (<see cref="Inference.TorchInferenceBackend.ChannelsLastPays"/>) and training (<see cref="PaysForTraining"/>).</summary>
    public static bool OneDnnAtFullWidth(Device device) =>
        device.type == DeviceType.CPU && Engine.TorchRuntime.OneDnnInUse && Engine.TorchRuntime.OneDnnIsaCapped is null;

    /// <summary>What <c>train.channels_last: auto</c> does on this machine's CPU, for <c>sharpseg info</c>.</summary>
    public static string DescribeTraining()
    {
        string why = !OneDnnAtFullWidth(CPU) ? "oneDNN is not at its full width here"
            : Engine.CpuInfo.Current.VectorIsa != "AVX-512" ? $"measured to win on AVX-512 CPUs only, this one has {Engine.CpuInfo.Current.VectorIsa}"
            : "";
        return why.Length == 0
            ? "on (train.channels_last: auto) for every architecture but " + string.Join(", ", SlowerChannelsLast) + " and the MiT encoders"
            : $"off (train.channels_last: auto; {why}); train.channels_last: true forces it";
    }

    /// <summary>True when a 4-D tensor's strides are NHWC.</summary>
    public static bool IsChannelsLast(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.dim() != 4) return false;
        var s = x.stride();
        return s[1] == 1 && s[3] == x.shape[1] && s[2] == x.shape[1] * x.shape[3];
    }

    /// <summary>Stores every Conv2d weight of <paramref name="model"/> channels-last (for inference; gradients off).
    /// Returns the number of weights converted.</summary>
    public static int ConvertWeights(nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        int n = 0;
        using var noGrad = torch.no_grad();
        foreach (var m in model.modules())
            if (m is Conv2d conv && conv.weight is { } w)
            {
                conv.weight = new Parameter(Convert(w.detach()).DetachFromDisposeScope(), requires_grad: false);
                n++;
            }
        return n;
    }
}
