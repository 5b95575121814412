using TorchSharp;
using static TorchSharp.torch;
using SharpSeg.Models.Onnx;

namespace SharpSeg.Models.Decoders.DeepLab;

/// <summary>
/// DeepLabV3 (Chen et al. 2017) as torchvision's DeepLabHead without its final 1×1 classifier (that is
/// <see cref="SegmentationModel"/>'s head): ASPP(256) on the deepest encoder map → 3×3 conv 256 → BN → ReLU.
/// <c>[N, C_deepest, H/s, W/s] → [N, 256, H/s, W/s]</c>, s = the encoder's output stride (torchvision: 8).
/// With a ResNet-50 encoder at stride 8 and the aux head, parameter count equals torchvision's deeplabv3_resnet50.
/// </summary>
/// <remarks>The image-pooling branch has BatchNorm on a 1×1 map, so training needs batches of at least 2 images (as in
/// torchvision). Rates follow the output stride (DeepLabV3 paper); torchvision keeps 12/24/36 even for its stride-16
/// MobileNetV3 model: set <c>aspp_rates: [12, 24, 36]</c> to match it.</remarks>
public sealed class DeepLabV3Decoder : Decoder
{
    private readonly nn.Module<Tensor, Tensor> aspp, conv;
    private readonly int outputStride;

    /// <param name="encoderChannels">The encoder's channels per stage; only the last (deepest) is used.</param>
    /// <param name="encoderStrides">The encoder's strides; the last decides the decoder's output stride.</param>
    /// <param name="rates">ASPP atrous rates; null: <c>12/24/36</c> at stride 8, <c>6/12/18</c> at 16, <c>3/6/9</c> at 32.</param>
    /// <param name="channels">ASPP and decoder width (256).</param>
    public DeepLabV3Decoder(IReadOnlyList<int> encoderChannels, IReadOnlyList<int> encoderStrides, IReadOnlyList<int>? rates = null, int channels = 256)
        : base(nameof(DeepLabV3Decoder))
    {
        outputStride = encoderStrides[^1];
        aspp = new Aspp("aspp", encoderChannels[^1], rates ?? Aspp.RatesFor(outputStride), channels);
        conv = Conv2dNormActivation.Create(channels, channels, kernelSize: 3);
        OutChannels = channels;
        RegisterComponents();
    }

    public override int OutChannels { get; }
    public override int OutputStride => outputStride;

    /// <summary>Encoder maps (highest resolution first) → <c>[N, 256, H / OutputStride, W / OutputStride]</c>.</summary>
    public override Tensor forward(Tensor[] features) => conv.call(aspp.call(features[^1]));

    public override OnnxValue ExportOnnx(OnnxGraphBuilder graph, OnnxValue[] features) => graph.Module(conv, graph.Module(aspp, features[^1]));
}
