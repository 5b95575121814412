using TorchSharp;
using static TorchSharp.torch;
using SharpSeg.Models.Onnx;

namespace SharpSeg.Models.Encoders.MobileNet;

/// <summary>torchvision's MobileNetV3 InvertedResidual: [1×1 expand → BN → act] → k×k depthwise (stride 1 when dilated) →
/// BN → act → [squeeze-excitation] → 1×1 project → BN, plus the input when stride 1 and channels match (children named
/// <c>block.0.0.weight</c>… as in torchvision).</summary>
internal sealed class MobileNetV3InvertedResidual : nn.Module<Tensor, Tensor>, IOnnxExportable
{
    /// <summary>torchvision's MobileNetV3 BatchNorm settings (<c>partial(nn.BatchNorm2d, eps=0.001, momentum=0.01)</c>).</summary>
    public const double BatchNormEps = 0.001, BatchNormMomentum = 0.01;

    private readonly nn.Module<Tensor, Tensor> block;
    private readonly bool useResidual;

    public MobileNetV3InvertedResidual(string name, int input, int kernel, int expanded, int output, bool useSe, bool hardswish, int stride, int dilation)
        : base(name)
    {
        var act = hardswish ? Conv2dNormActivation.Activation.Hardswish : Conv2dNormActivation.Activation.ReLU;
        useResidual = stride == 1 && input == output;
        var layers = new List<nn.Module<Tensor, Tensor>>();
        if (expanded != input) layers.Add(Conv2dNormActivation.Create(input, expanded, kernelSize: 1, activation: act, eps: BatchNormEps, momentum: BatchNormMomentum));
        layers.Add(Conv2dNormActivation.Create(expanded, expanded, kernelSize: kernel, stride: dilation > 1 ? 1 : stride, dilation: dilation,
            groups: expanded, activation: act, eps: BatchNormEps, momentum: BatchNormMomentum));
        if (useSe) layers.Add(new SqueezeExcitation("se", expanded, MakeDivisible(expanded / 4, 8)));
        layers.Add(Conv2dNormActivation.Create(expanded, output, kernelSize: 1, activation: Conv2dNormActivation.Activation.None, eps: BatchNormEps, momentum: BatchNormMomentum));
        block = nn.Sequential(layers.ToArray());
        RegisterComponents();
    }

    /// <summary>torchvision's <c>_make_divisible</c>: round to a multiple of <paramref name="divisor"/>, never below 90 %.</summary>
    public static int MakeDivisible(double v, int divisor)
    {
        int n = Math.Max(divisor, (int)(v + divisor / 2.0) / divisor * divisor);
        return n < 0.9 * v ? n + divisor : n;
    }

    public override Tensor forward(Tensor x) => useResidual ? x + block.call(x) : block.call(x);

    public OnnxValue ExportOnnx(OnnxGraphBuilder graph, OnnxValue x) => useResidual ? graph.Add(x, graph.Module(block, x)) : graph.Module(block, x);
}
