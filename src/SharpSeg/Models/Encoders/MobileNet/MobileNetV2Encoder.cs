using SharpSeg.Onnx;
using TorchSharp;
using static TorchSharp.torch;
using SharpSeg.Models.Onnx;

namespace SharpSeg.Models.Encoders.MobileNet;

/// <summary>
/// torchvision's MobileNetV2 (width 1.0) as an encoder: returns 6 maps, the input (stride 1), then the ends of the
/// stride-2/4/8/16/32 stages with 16, 24, 32, 96 and 1280 channels (the last includes the final 1×1 conv to 1280, as SMP).
/// </summary>
/// <remarks>
/// Output stride 16 or 8 turns the later stride-2 depthwise convs into stride 1 with dilation 2 (and 4), as torchvision
/// does for MobileNetV3 (torchvision's MobileNetV2 has no dilation). Parameter names mirror torchvision's
/// (<c>features.0.0.weight</c>, <c>features.1.conv.0.0.weight</c>…); the classifier is not part of the encoder.
/// </remarks>
public sealed class MobileNetV2Encoder : Encoder
{
    private static readonly (int T, int C, int N, int S)[] Settings =
        [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)];

    private static readonly int[] StageEnds = [1, 3, 6, 13, 18];

    private readonly TorchSharp.Modules.ModuleList<nn.Module<Tensor, Tensor>> features;
    private readonly int inChannels;
    private readonly int[] strides;

    /// <param name="inChannels">Image channels (3 matches torchvision weights).</param>
    /// <param name="outputStride">8, 16 or 32.</param>
    public MobileNetV2Encoder(int inChannels = 3, int outputStride = 32) : base(nameof(MobileNetV2Encoder))
    {
        if (inChannels < 1) throw new ArgumentOutOfRangeException(nameof(inChannels), $"in_channels must be at least 1, got {inChannels}");
        if (outputStride is not (8 or 16 or 32)) throw new ArgumentOutOfRangeException(nameof(outputStride), $"output stride must be 8, 16 or 32, got {outputStride}");
        this.inChannels = inChannels;
        var layers = new List<nn.Module<Tensor, Tensor>>
        {
            Conv2dNormActivation.Create(inChannels, 32, kernelSize: 3, stride: 2, activation: Conv2dNormActivation.Activation.ReLU6),
        };
        int input = 32, current = 2, dilation = 1;
        foreach (var (t, c, n, s) in Settings)
            for (int i = 0; i < n; i++)
            {
                int stride = i == 0 ? s : 1;
                if (stride > 1 && current * stride > outputStride) { dilation *= stride; stride = 1; }
                else current *= stride;
                layers.Add(new MobileNetV2InvertedResidual($"{layers.Count}", input, c, stride, t, dilation));
                input = c;
            }
        layers.Add(Conv2dNormActivation.Create(input, 1280, kernelSize: 1, activation: Conv2dNormActivation.Activation.ReLU6));
        features = nn.ModuleList(layers.ToArray());
        strides = SequentialStages.Strides(outputStride);
        RegisterComponents();
    }

    public override int InChannels => inChannels;
    public override IReadOnlyList<int> OutChannels => [inChannels, 16, 24, 32, 96, 1280];
    public override IReadOnlyList<int> Strides => strides;

    /// <summary><c>[N, InChannels, H, W]</c> (H, W multiples of the output stride) → 6 maps, the input first.</summary>
    public override Tensor[] forward(Tensor x) => SequentialStages.Forward(features, StageEnds, x);

    public override OnnxValue[] ExportOnnx(OnnxGraphBuilder graph, OnnxValue x) => SequentialStages.ExportOnnx(graph, features, StageEnds, x);
}
