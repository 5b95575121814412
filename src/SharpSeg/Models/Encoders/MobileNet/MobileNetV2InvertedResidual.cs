using TorchSharp;
using static TorchSharp.torch;
using SharpSeg.Models.Onnx;

namespace SharpSeg.Models.Encoders.MobileNet;

/// <summary>torchvision's MobileNetV2 InvertedResidual: [1×1 expand → BN → ReLU6] → 3×3 depthwise (stride, dilation) →
/// BN → ReLU6 → 1×1 project → BN, plus the input when stride 1 and channels match. Children named as torchvision's
/// <c>conv.0.0.weight</c>… so state dicts map one to one.</summary>
internal sealed class MobileNetV2InvertedResidual : nn.Module<Tensor, Tensor>, IOnnxExportable
{
    private readonly nn.Module<Tensor, Tensor> conv;
    private readonly bool useResidual;

    public MobileNetV2InvertedResidual(string name, int inp, int oup, int stride, int expandRatio, int dilation) : base(name)
    {
        int hidden = (int)Math.Round((double)inp * expandRatio);
        useResidual = stride == 1 && inp == oup;
        var layers = new List<nn.Module<Tensor, Tensor>>();
        if (expandRatio != 1) layers.Add(Conv2dNormActivation.Create(inp, hidden, kernelSize: 1, activation: Conv2dNormActivation.Activation.ReLU6));
        layers.Add(Conv2dNormActivation.Create(hidden, hidden, kernelSize: 3, stride: stride, dilation: dilation, groups: hidden,
            activation: Conv2dNormActivation.Activation.ReLU6));
        layers.Add(nn.Conv2d(hidden, oup, kernel_size: 1, bias: false));
        layers.Add(nn.BatchNorm2d(oup));
        conv = nn.Sequential(layers.ToArray());
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => useResidual ? x + conv.call(x) : conv.call(x);

    public OnnxValue ExportOnnx(OnnxGraphBuilder graph, OnnxValue x) => useResidual ? graph.Add(x, graph.Module(conv, x)) : graph.Module(conv, x);
}
