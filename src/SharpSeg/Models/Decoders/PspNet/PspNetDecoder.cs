using TorchSharp;
using static TorchSharp.torch;
using SharpSeg.Models.Onnx;

namespace SharpSeg.Models.Decoders.PspNet;

/// <summary>
/// PSPNet (Zhao et al. 2017): pyramid pooling (bins 1, 2, 3, 6; each reduced to C/4 channels) on the deepest map,
/// concatenated with it (2C), then 3×3 conv 512 → BN → ReLU → dropout 0.1. <c>[N, C, H/s, W/s] → [N, 512, H/s, W/s]</c>,
/// s = the encoder's output stride (paper: 8 with a dilated ResNet). The paper's auxiliary loss on layer3 is the
/// model's aux head (<c>aux_head: true</c>).
/// </summary>
/// <remarks>The 1×1 pooling branch has BatchNorm on a 1×1 map, so training needs batches of at least 2 images.</remarks>
public sealed class PspNetDecoder : Decoder
{
    private readonly nn.Module<Tensor, Tensor> ppm, bottleneck;
    private readonly int outputStride;

    /// <param name="encoderChannels">The encoder's channels per stage; only the deepest is used.</param>
    /// <param name="encoderStrides">The encoder's strides; the last is the decoder's output stride.</param>
    /// <param name="channels">Output width (512).</param>
    /// <param name="bins">Pooled grid sizes (1, 2, 3, 6).</param>
    public PspNetDecoder(IReadOnlyList<int> encoderChannels, IReadOnlyList<int> encoderStrides, int channels = 512, IReadOnlyList<int>? bins = null)
        : base(nameof(PspNetDecoder))
    {
        var pyramid = new PyramidPoolingModule("ppm", encoderChannels[^1], bins ?? [1, 2, 3, 6]);
        ppm = pyramid;
        bottleneck = nn.Sequential(Conv2dNormActivation.Create(pyramid.OutChannels, channels, kernelSize: 3), nn.Dropout(0.1));
        OutChannels = channels;
        outputStride = encoderStrides[^1];
        RegisterComponents();
    }

    public override int OutChannels { get; }
    public override int OutputStride => outputStride;

    /// <summary>Encoder maps → <c>[N, 512, H / OutputStride, W / OutputStride]</c>.</summary>
    public override Tensor forward(Tensor[] features) => bottleneck.call(ppm.call(features[^1]));

    public override OnnxValue ExportOnnx(OnnxGraphBuilder graph, OnnxValue[] features) => graph.Module(bottleneck, graph.Module(ppm, features[^1]));
}
