using TorchSharp;
using static TorchSharp.torch;
using SharpSeg.Models.Onnx;

namespace SharpSeg.Models.Decoders.LrAspp;

/// <summary>
/// Lite R-ASPP (Howard et al. 2019, "Searching for MobileNetV3") as torchvision's LRASPPHead: on the deepest map a
/// 1×1 conv 128 → BN → ReLU, gated by a global-pool → 1×1 conv → sigmoid branch, upsampled to the stride-8 map and
/// classified by a 1×1 conv, plus a 1×1 classifier on the stride-8 map itself. Outputs <b>logits</b>
/// <c>[N, numClasses, H/8, W/8]</c> (<see cref="Decoder.OutputsLogits"/>): the model adds no extra head. With the
/// MobileNetV3-Large encoder at output stride 16 the parameter count equals torchvision's lraspp_mobilenet_v3_large.
/// </summary>
public sealed class LrAsppDecoder : Decoder
{
    private readonly nn.Module<Tensor, Tensor> cbr, scale, low_classifier, high_classifier;
    private readonly int lowStage;

    /// <param name="encoderChannels">The encoder's channels per stage.</param>
    /// <param name="encoderStrides">The encoder's strides; needs a stage at stride 8 (the low-level branch, the last such stage).</param>
    /// <param name="numClasses">Logit channels.</param>
    /// <param name="interChannels">Width of the high-level branch (128).</param>
    public LrAsppDecoder(IReadOnlyList<int> encoderChannels, IReadOnlyList<int> encoderStrides, int numClasses, int interChannels = 128)
        : base(nameof(LrAsppDecoder))
    {
        lowStage = -1;
        for (int i = 0; i < encoderStrides.Count - 1; i++)
            if (encoderStrides[i] == 8 && encoderChannels[i] > 0) { lowStage = i; break; }
        if (lowStage < 0) throw new ArgumentException("LR-ASPP needs an encoder stage at stride 8 before the deepest one", nameof(encoderStrides));
        int high = encoderChannels[^1];
        cbr = Conv2dNormActivation.Create(high, interChannels, kernelSize: 1);
        scale = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(high, interChannels, kernel_size: 1, bias: false), nn.Sigmoid());
        low_classifier = nn.Conv2d(encoderChannels[lowStage], numClasses, kernel_size: 1);
        high_classifier = nn.Conv2d(interChannels, numClasses, kernel_size: 1);
        OutChannels = numClasses;
        RegisterComponents();
    }

    public override int OutChannels { get; }
    public override int OutputStride => 8;
    public override bool OutputsLogits => true;

    /// <summary>Encoder maps → logits <c>[N, numClasses, H / 8, W / 8]</c>.</summary>
    public override Tensor forward(Tensor[] features)
    {
        var low = features[lowStage];
        var high = features[^1];
        var x = cbr.call(high) * scale.call(high);
        x = nn.functional.interpolate(x, size: [low.shape[2], low.shape[3]], mode: InterpolationMode.Bilinear, align_corners: false);
        return low_classifier.call(low) + high_classifier.call(x);
    }

    public override OnnxValue ExportOnnx(OnnxGraphBuilder graph, OnnxValue[] features)
    {
        var low = features[lowStage];
        var high = features[^1];
        var x = graph.Mul(graph.Module(cbr, high), graph.Module(scale, high));
        x = graph.ResizeLike(x, low);
        return graph.Add(graph.Module(low_classifier, low), graph.Module(high_classifier, x));
    }
}
