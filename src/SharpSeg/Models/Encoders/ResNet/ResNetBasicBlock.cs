using TorchSharp;
using static TorchSharp.torch;
using SharpSeg.Models.Onnx;

namespace SharpSeg.Models.Encoders.ResNet;

/// <summary>torchvision's ResNet BasicBlock (ResNet-18/34): 3×3 conv → BN → ReLU → 3×3 conv → BN, plus the identity
/// (or a 1×1 strided projection "downsample"), then ReLU. Unlike torchvision it accepts dilation &gt; 1 (as SMP does), so
/// ResNet-18/34 can run at output stride 8 or 16.</summary>
internal sealed class ResNetBasicBlock : nn.Module<Tensor, Tensor>, IOnnxExportable
{
    public const int Expansion = 1;

    private readonly nn.Module<Tensor, Tensor> conv1, bn1, conv2, bn2, relu;
    private readonly nn.Module<Tensor, Tensor>? downsample;

    public ResNetBasicBlock(string name, int inplanes, int planes, int stride, int dilation, int firstDilation, nn.Module<Tensor, Tensor>? downsample)
        : base(name)
    {
        conv1 = nn.Conv2d(inplanes, planes, kernel_size: 3, stride: stride, padding: firstDilation, dilation: firstDilation, bias: false);
        bn1 = nn.BatchNorm2d(planes);
        relu = nn.ReLU(inplace: true);
        conv2 = nn.Conv2d(planes, planes, kernel_size: 3, padding: dilation, dilation: dilation, bias: false);
        bn2 = nn.BatchNorm2d(planes);
        this.downsample = downsample;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        Tensor identity = downsample is null ? x : downsample.call(x);
        Tensor y = relu.call(bn1.call(conv1.call(x)));
        y = bn2.call(conv2.call(y));
        return relu.call(y.add_(identity));
    }

    public OnnxValue ExportOnnx(OnnxGraphBuilder graph, OnnxValue x)
    {
        OnnxValue identity = downsample is null ? x : graph.Module(downsample, x);
        OnnxValue y = graph.Relu(graph.Conv(conv1, bn1, x));
        y = graph.Conv(conv2, bn2, y);
        return graph.Relu(graph.Add(y, identity));
    }
}
