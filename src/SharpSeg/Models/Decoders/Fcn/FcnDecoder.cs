using TorchSharp;
using static TorchSharp.torch;
using SharpSeg.Models.Onnx;

namespace SharpSeg.Models.Decoders.Fcn;

/// <summary>
/// FCN (Long et al. 2015) as torchvision builds it (fcn_resnet50/101): its FCNHead on the deepest map without the final
/// 1×1 classifier (that is <see cref="SegmentationModel"/>'s head): 3×3 conv C→C/4 → BN → ReLU → dropout 0.1.
/// <c>[N, C, H/s, W/s] → [N, C/4, H/s, W/s]</c>, logits upsampled bilinearly by s (torchvision: s = 8, dilated ResNet).
/// This is exactly torchvision's configuration; the original paper's FCN-8s skip fusion is not implemented.
/// </summary>
public sealed class FcnDecoder : Decoder
{
    private readonly nn.Module<Tensor, Tensor> head;
    private readonly int outputStride;

    /// <param name="encoderChannels">The encoder's channels per stage; only the deepest is used.</param>
    /// <param name="encoderStrides">The encoder's strides; the last is the decoder's output stride.</param>
    public FcnDecoder(IReadOnlyList<int> encoderChannels, IReadOnlyList<int> encoderStrides) : base(nameof(FcnDecoder))
    {
        head = FcnHead.Create(encoderChannels[^1], numClasses: null);
        OutChannels = Math.Max(1, encoderChannels[^1] / 4);
        outputStride = encoderStrides[^1];
        RegisterComponents();
    }

    public override int OutChannels { get; }
    public override int OutputStride => outputStride;

    /// <summary>Encoder maps → <c>[N, C/4, H / OutputStride, W / OutputStride]</c>.</summary>
    public override Tensor forward(Tensor[] features) => head.call(features[^1]);

    public override OnnxValue ExportOnnx(OnnxGraphBuilder graph, OnnxValue[] features) => graph.Module(head, features[^1]);
}
