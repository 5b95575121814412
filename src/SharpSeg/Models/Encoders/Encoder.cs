using TorchSharp;
using static TorchSharp.torch;
using SharpSeg.Models.Onnx;

namespace SharpSeg.Models.Encoders;

/// <summary>
/// The encoder contract every backbone implements (plain U-Net, ResNet, MobileNet, MiT, HRNet...), so that any decoder
/// works with any encoder. <see cref="nn.Module{T, TResult}.forward"/> takes an image batch <c>[N, InChannels, H, W]</c>
/// (H and W multiples of <see cref="OutputStride"/>; <see cref="SegmentationModel"/> pads to that) and returns
/// <c>Depth + 1</c> feature maps from highest to lowest resolution; map <c>i</c> has shape
/// <c>[N, OutChannels[i], H / Strides[i], W / Strides[i]]</c>.
/// </summary>
/// <remarks>
/// Stage 0 is always at stride 1 (as in segmentation_models.pytorch): an encoder either computes full-resolution
/// features there (plain U-Net) or returns its input unchanged (ResNet-style backbones, <c>OutChannels[0] = InChannels</c>).
/// An encoder that has no feature at some stride reports 0 channels for it and returns an empty tensor
/// (<c>[N, 0, h, w]</c>); decoders skip such stages.
/// </remarks>
public abstract class Encoder : nn.Module<Tensor, Tensor[]>
{
    protected Encoder(string name) : base(name) { }

    /// <summary>Channels of the input image (1 for grey, 3 for RGB).</summary>
    public abstract int InChannels { get; }

    /// <summary>Channels of each returned feature map, stage 0 (stride 1) first.</summary>
    public abstract IReadOnlyList<int> OutChannels { get; }

    /// <summary>Downsampling factor of each returned feature map relative to the input, stage 0 (always 1) first; non-decreasing.</summary>
    public abstract IReadOnlyList<int> Strides { get; }

    /// <summary>Number of downsampling stages (feature maps returned minus one).</summary>
    public int Depth => OutChannels.Count - 1;

    /// <summary>Stride of the deepest feature map; input height and width must be multiples of it.</summary>
    public int OutputStride => Strides[^1];

    /// <summary>The stage an auxiliary head reads (torchvision: ResNet's layer3, the second-deepest map; MobileNetV3:
    /// the stride-8 block). Default <c>Depth - 1</c>.</summary>
    public virtual int AuxStage => Depth - 1;

    /// <summary>True for a state-dict key (without the <c>encoder.</c> prefix) of the published network that this encoder
    /// deliberately leaves out, such as a truncated ResNet's <c>layer4.*</c>: pretrained weights for it are skipped.</summary>
    public virtual bool LeavesOut(string key) => false;

    /// <summary>Writes this encoder into an ONNX graph, mirroring <c>forward</c>: the (padded) image → the feature maps,
    /// stage 0 first. An encoder without an override cannot be exported (a <see cref="SharpSegException"/> names it).</summary>
    public virtual OnnxValue[] ExportOnnx(OnnxGraphBuilder graph, OnnxValue x) => throw graph.Unsupported(this);
}
