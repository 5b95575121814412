using TorchSharp;
using static TorchSharp.torch;
using SharpSeg.Models.Onnx;

namespace SharpSeg.Models.Decoders.HRNet;

/// <summary>
/// The HRNetV2 segmentation head (Wang et al. 2019, <c>last_layer</c> of the official seg_hrnet.py without its
/// classifier): the encoder's last four maps (strides 4..32) are bilinearly upsampled to the stride-4 map and
/// concatenated (18+36+72+144 = 270 channels for W18), then a 1×1 conv (with bias, as the official code) → BN → ReLU keeps
/// the width. <c>→ [N, ΣC, H/4, W/4]</c>; <see cref="SegmentationModel"/>'s 1×1 classifier is the official last conv.
/// </summary>
public sealed class HRNetDecoder : Decoder
{
    [TorchSharp.Utils.ComponentName(Name = "last_layer")] private readonly nn.Module<Tensor, Tensor> lastLayer;
    private readonly int firstStage;
    private readonly int[] strides;

    /// <param name="encoderChannels">The encoder's channels per stage (the last four are used).</param>
    /// <param name="encoderStrides">The encoder's strides; the first used stage sets the output stride (4 for HRNet).</param>
    public HRNetDecoder(IReadOnlyList<int> encoderChannels, IReadOnlyList<int> encoderStrides) : base(nameof(HRNetDecoder))
    {
        if (encoderChannels.Count < 5) throw new ArgumentException("the HRNet head needs an encoder with at least 4 downsampling stages", nameof(encoderChannels));
        firstStage = encoderChannels.Count - 4;
        int width = Enumerable.Range(firstStage, 4).Sum(i => encoderChannels[i]);
        lastLayer = nn.Sequential(nn.Conv2d(width, width, kernel_size: 1), nn.BatchNorm2d(width), nn.ReLU(inplace: true));
        RegisterComponents();
        OutChannels = width;
        strides = Enumerable.Range(firstStage, 4).Select(i => encoderStrides[i]).ToArray();
        OutputStride = strides[0];
    }

    public override int OutChannels { get; }
    public override int OutputStride { get; }

    /// <summary>Encoder maps (highest resolution first) → <c>[N, ΣC, H / OutputStride, W / OutputStride]</c>.</summary>
    public override Tensor forward(Tensor[] features) =>
        UpsampleConcatFuse.Forward(features[firstStage..(firstStage + 4)], features[firstStage], lastLayer);

    public override OnnxValue ExportOnnx(OnnxGraphBuilder graph, OnnxValue[] features) =>
        UpsampleConcatFuse.ExportOnnx(graph, features[firstStage..(firstStage + 4)], strides, features[firstStage], strides[0], lastLayer);
}
