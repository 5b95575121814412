using SharpSeg.Onnx;
using TorchSharp;
using static TorchSharp.torch;
using SharpSeg.Models.Onnx;

namespace SharpSeg.Models.Encoders.MobileNet;

/// <summary>
/// torchvision's MobileNetV3-Large as an encoder: returns 6 maps, the input (stride 1), then the maps torchvision's
/// segmentation models tap (<c>stage_indices</c>: the first block at each new stride) at strides 2/4/8/16 with 16, 24, 40
/// and 80 channels, and the final 1×1 conv (960 channels) at the output stride.
/// </summary>
/// <remarks>
/// Output stride 16 is torchvision's <c>dilated=True</c> (what its segmentation builders use): the last stage's stride-2
/// depthwise conv becomes stride 1 and the last three blocks use dilation 2. The aux head and LR-ASPP's low-level branch
/// read the stride-8 map (<c>features.4</c>, 40 channels) exactly as torchvision's do, so torchvision's lraspp and
/// deeplabv3 MobileNetV3 weights compute the same logits (checked numerically in the tests). BatchNorm uses
/// torchvision's eps 0.001, momentum 0.01. Parameter names mirror torchvision's (<c>features.1.block.0.0.weight</c>,
/// <c>…block.2.fc1.weight</c>).
/// </remarks>
public sealed class MobileNetV3Encoder : Encoder
{
    // input, kernel, expanded, output, squeeze-excitation, hardswish, stride (torchvision's mobilenet_v3_large config)
    private static readonly (int In, int K, int Exp, int Out, bool Se, bool Hs, int S)[] Blocks =
    [
        (16, 3, 16, 16, false, false, 1), (16, 3, 64, 24, false, false, 2), (24, 3, 72, 24, false, false, 1),
        (24, 5, 72, 40, true, false, 2), (40, 5, 120, 40, true, false, 1), (40, 5, 120, 40, true, false, 1),
        (40, 3, 240, 80, false, true, 2), (80, 3, 200, 80, false, true, 1), (80, 3, 184, 80, false, true, 1),
        (80, 3, 184, 80, false, true, 1), (80, 3, 480, 112, true, true, 1), (112, 3, 672, 112, true, true, 1),
        (112, 5, 672, 160, true, true, 2), (160, 5, 960, 160, true, true, 1), (160, 5, 960, 160, true, true, 1),
    ];

    // torchvision's stage_indices [0, 2, 4, 7, 13, 16] without 13 (one map per stride; 16 is the deepest).
    private static readonly int[] StageEnds = [0, 2, 4, 7, 16];

    private readonly TorchSharp.Modules.ModuleList<nn.Module<Tensor, Tensor>> features;
    private readonly int inChannels;
    private readonly int[] strides;

    /// <param name="inChannels">Image channels (3 matches torchvision weights).</param>
    /// <param name="outputStride">8, 16 (torchvision's dilated segmentation backbone) or 32.</param>
    public MobileNetV3Encoder(int inChannels = 3, int outputStride = 16) : base(nameof(MobileNetV3Encoder))
    {
        if (inChannels < 1) throw new ArgumentOutOfRangeException(nameof(inChannels), $"in_channels must be at least 1, got {inChannels}");
        if (outputStride is not (8 or 16 or 32)) throw new ArgumentOutOfRangeException(nameof(outputStride), $"output stride must be 8, 16 or 32, got {outputStride}");
        this.inChannels = inChannels;
        var layers = new List<nn.Module<Tensor, Tensor>>
        {
            Conv2dNormActivation.Create(inChannels, 16, kernelSize: 3, stride: 2, activation: Conv2dNormActivation.Activation.Hardswish,
                eps: MobileNetV3InvertedResidual.BatchNormEps, momentum: MobileNetV3InvertedResidual.BatchNormMomentum),
        };
        int current = 2, dilation = 1;
        foreach (var b in Blocks)
        {
            int stride = b.S;
            if (stride > 1 && current * stride > outputStride) dilation *= stride; // the block then runs at stride 1
            else current *= stride;
            layers.Add(new MobileNetV3InvertedResidual($"{layers.Count}", b.In, b.K, b.Exp, b.Out, b.Se, b.Hs, stride, dilation));
        }
        layers.Add(Conv2dNormActivation.Create(160, 960, kernelSize: 1, activation: Conv2dNormActivation.Activation.Hardswish,
            eps: MobileNetV3InvertedResidual.BatchNormEps, momentum: MobileNetV3InvertedResidual.BatchNormMomentum));
        features = nn.ModuleList(layers.ToArray());
        strides = SequentialStages.Strides(outputStride);
        RegisterComponents();
    }

    public override int InChannels => inChannels;
    public override IReadOnlyList<int> OutChannels => [inChannels, 16, 24, 40, 80, 960];
    public override IReadOnlyList<int> Strides => strides;

    /// <summary>The stride-8 map (<c>features.4</c>, 40 channels), as torchvision's aux head and LR-ASPP use.</summary>
    public override int AuxStage => 3;

    /// <summary><c>[N, InChannels, H, W]</c> (H, W multiples of the output stride) → 6 maps, the input first.</summary>
    public override Tensor[] forward(Tensor x) => SequentialStages.Forward(features, StageEnds, x);

    public override OnnxValue[] ExportOnnx(OnnxGraphBuilder graph, OnnxValue x) => SequentialStages.ExportOnnx(graph, features, StageEnds, x);
}
