using TorchSharp;
using static TorchSharp.torch;
using SharpSeg.Models.Onnx;

namespace SharpSeg.Models.Decoders;

/// <summary>
/// A decoder turns an <see cref="Encoders.Encoder"/>'s feature maps (highest resolution first) into one feature map
/// <c>[N, OutChannels, H / OutputStride, W / OutputStride]</c> for the segmentation head.
/// </summary>
public abstract class Decoder : nn.Module<Tensor[], Tensor>
{
    protected Decoder(string name) : base(name) { }

    /// <summary>Channels of the decoder's output map.</summary>
    public abstract int OutChannels { get; }

    /// <summary>Stride of the decoder's output relative to the input (1: full resolution).</summary>
    public abstract int OutputStride { get; }

    /// <summary>True when the decoder already ends in its own classifier (LR-ASPP): its output channels are the class
    /// logits and <see cref="SegmentationModel"/> adds no 1×1 head.</summary>
    public virtual bool OutputsLogits => false;

    /// <summary>Writes this decoder into an ONNX graph, mirroring <c>forward</c>: the encoder's feature maps → the
    /// decoder's output. A decoder without an override cannot be exported (a <see cref="SharpSegException"/> names it).</summary>
    public virtual OnnxValue ExportOnnx(OnnxGraphBuilder graph, OnnxValue[] features) => throw graph.Unsupported(this);
}
