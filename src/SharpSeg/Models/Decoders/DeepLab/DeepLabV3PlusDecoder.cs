using TorchSharp;
using static TorchSharp.torch;
using SharpSeg.Models.Onnx;

namespace SharpSeg.Models.Decoders.DeepLab;

/// <summary>
/// DeepLabV3+ (Chen et al. 2018): ASPP(256) → 3×3 conv 256 → BN → ReLU on the deepest map, bilinearly upsampled to
/// the stride-4 map, concatenated with that map's 1×1 projection to 48 channels (→ BN → ReLU), then two 3×3 convs 256
/// → BN → ReLU (the paper's decoder; SMP uses one separable conv instead). <c>→ [N, 256, H/4, W/4]</c>; the model
/// upsamples the logits ×4. Default encoder output stride 16 (ASPP rates 6/12/18).
/// </summary>
public sealed class DeepLabV3PlusDecoder : Decoder
{
    private readonly nn.Module<Tensor, Tensor> aspp, asppConv, lowProject, fuse;
    private readonly int lowStage;
    private readonly int outputStride;

    /// <param name="encoderChannels">The encoder's channels per stage.</param>
    /// <param name="encoderStrides">The encoder's strides; needs a stage at stride 4 (the low-level features).</param>
    /// <param name="rates">ASPP rates; null: chosen from the encoder's output stride as in <see cref="DeepLabV3Decoder"/>.</param>
    /// <param name="channels">ASPP and decoder width (256).</param>
    /// <param name="lowChannels">Width of the low-level projection (48).</param>
    public DeepLabV3PlusDecoder(IReadOnlyList<int> encoderChannels, IReadOnlyList<int> encoderStrides, IReadOnlyList<int>? rates = null,
        int channels = 256, int lowChannels = 48) : base(nameof(DeepLabV3PlusDecoder))
    {
        lowStage = -1;
        for (int i = 0; i < encoderStrides.Count; i++)
            if (encoderStrides[i] == 4 && encoderChannels[i] > 0) { lowStage = i; break; }
        if (lowStage < 0) throw new ArgumentException("DeepLabV3+ needs an encoder stage at stride 4", nameof(encoderStrides));
        outputStride = 4;
        aspp = new Aspp("aspp", encoderChannels[^1], rates ?? Aspp.RatesFor(encoderStrides[^1]), channels);
        asppConv = Conv2dNormActivation.Create(channels, channels, kernelSize: 3);
        lowProject = Conv2dNormActivation.Create(encoderChannels[lowStage], lowChannels, kernelSize: 1);
        fuse = nn.Sequential(
            Conv2dNormActivation.Create(channels + lowChannels, channels, kernelSize: 3),
            Conv2dNormActivation.Create(channels, channels, kernelSize: 3));
        OutChannels = channels;
        RegisterComponents();
    }

    public override int OutChannels { get; }
    public override int OutputStride => outputStride;

    /// <summary>Encoder maps (highest resolution first) → <c>[N, 256, H / 4, W / 4]</c>.</summary>
    public override Tensor forward(Tensor[] features)
    {
        var low = lowProject.call(features[lowStage]);
        var high = asppConv.call(aspp.call(features[^1]));
        high = nn.functional.interpolate(high, size: [low.shape[2], low.shape[3]], mode: InterpolationMode.Bilinear, align_corners: false);
        return fuse.call(torch.cat([high, low], dim: 1));
    }

    public override OnnxValue ExportOnnx(OnnxGraphBuilder graph, OnnxValue[] features)
    {
        var low = graph.Module(lowProject, features[lowStage]);
        var high = graph.Module(asppConv, graph.Module(aspp, features[^1]));
        high = graph.ResizeLike(high, low);
        return graph.Module(fuse, graph.Concat([high, low]));
    }
}
