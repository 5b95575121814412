using TorchSharp;
using static TorchSharp.torch;
using SharpSeg.Models.Onnx;

namespace SharpSeg.Models.Decoders.DeepLab;

/// <summary>ASPP's image-level branch: global average pool → 1×1 conv → BN → ReLU → bilinear upsampling back to the
/// input size. (In training its BatchNorm sees one value per channel per image, so batches need at least 2 images,
/// as in torchvision.)</summary>
internal sealed class AsppPooling : nn.Module<Tensor, Tensor>, IOnnxExportable
{
    private readonly nn.Module<Tensor, Tensor> pool, conv;

    public AsppPooling(string name, int inChannels, int outChannels) : base(name)
    {
        pool = nn.AdaptiveAvgPool2d(1);
        conv = Conv2dNormActivation.Create(inChannels, outChannels, kernelSize: 1);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) =>
        nn.functional.interpolate(conv.call(pool.call(x)), size: [x.shape[2], x.shape[3]], mode: InterpolationMode.Bilinear, align_corners: false);

    public OnnxValue ExportOnnx(OnnxGraphBuilder graph, OnnxValue x) => graph.ResizeLike(graph.Module(conv, graph.Module(pool, x)), x);
}
