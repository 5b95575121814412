using TorchSharp;
using static TorchSharp.torch;
using SharpSeg.Models.Onnx;

namespace SharpSeg.Models.Encoders.MobileNet;

/// <summary>torchvision's SqueezeExcitation as MobileNetV3 uses it: global average pool → 1×1 conv <c>fc1</c> → ReLU →
/// 1×1 conv <c>fc2</c> → Hardsigmoid, multiplied onto the input channels.</summary>
internal sealed class SqueezeExcitation : nn.Module<Tensor, Tensor>, IOnnxExportable
{
    private readonly nn.Module<Tensor, Tensor> avgpool, fc1, activation, fc2, scaleActivation;

    public SqueezeExcitation(string name, int channels, int squeezeChannels) : base(name)
    {
        avgpool = nn.AdaptiveAvgPool2d(1);
        fc1 = nn.Conv2d(channels, squeezeChannels, kernel_size: 1);
        activation = nn.ReLU();
        fc2 = nn.Conv2d(squeezeChannels, channels, kernel_size: 1);
        scaleActivation = nn.Hardsigmoid();
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => x * scaleActivation.call(fc2.call(activation.call(fc1.call(avgpool.call(x)))));

    public OnnxValue ExportOnnx(OnnxGraphBuilder graph, OnnxValue x) =>
        graph.Mul(x, graph.Module(scaleActivation, graph.Module(fc2, graph.Module(activation, graph.Module(fc1, graph.Module(avgpool, x))))));
}
