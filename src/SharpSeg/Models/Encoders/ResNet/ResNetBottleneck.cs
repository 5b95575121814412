using TorchSharp;
using static TorchSharp.torch;
using SharpSeg.Models.Onnx;

namespace SharpSeg.Models.Encoders.ResNet;

/// <summary>torchvision's ResNet Bottleneck (ResNet-50/101, "v1.5": the stride sits on the 3×3 conv): 1×1 conv → BN →
/// ReLU → 3×3 conv (stride, dilation) → BN → ReLU → 1×1 conv (×4 channels) → BN, plus identity/projection, then ReLU.</summary>
internal sealed class ResNetBottleneck : nn.Module<Tensor, Tensor>, IOnnxExportable
{
    public const int Expansion = 4;

    private readonly nn.Module<Tensor, Tensor> conv1, bn1, conv2, bn2, conv3, bn3, relu;
    private readonly nn.Module<Tensor, Tensor>? downsample;

    public ResNetBottleneck(string name, int inplanes, int planes, int stride, int dilation, nn.Module<Tensor, Tensor>? downsample) : base(name)
    {
        conv1 = nn.Conv2d(inplanes, planes, kernel_size: 1, bias: false);
        bn1 = nn.BatchNorm2d(planes);
        conv2 = nn.Conv2d(planes, planes, kernel_size: 3, stride: stride, padding: dilation, dilation: dilation, bias: false);
        bn2 = nn.BatchNorm2d(planes);
        conv3 = nn.Conv2d(planes, planes * Expansion, kernel_size: 1, bias: false);
        bn3 = nn.BatchNorm2d(planes * Expansion);
        relu = nn.ReLU(inplace: true);
        this.downsample = downsample;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        Tensor identity = downsample is null ? x : downsample.call(x);
        Tensor y = relu.call(bn1.call(conv1.call(x)));
        y = relu.call(bn2.call(conv2.call(y)));
        y = bn3.call(conv3.call(y));
        return relu.call(y.add_(identity));
    }

    public OnnxValue ExportOnnx(OnnxGraphBuilder graph, OnnxValue x)
    {
        OnnxValue identity = downsample is null ? x : graph.Module(downsample, x);
        OnnxValue y = graph.Relu(graph.Conv(conv1, bn1, x));
        y = graph.Relu(graph.Conv(conv2, bn2, y));
        y = graph.Conv(conv3, bn3, y);
        return graph.Relu(graph.Add(y, identity));
    }
}
