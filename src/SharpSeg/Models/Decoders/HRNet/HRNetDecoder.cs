using TorchSharp;
using static TorchSharp.torch;

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
        OutputStride = encoderStrides[firstStage];
    }

    public override int OutChannels { get; }
    public override int OutputStride { get; }

    /// <summary>Encoder maps (highest resolution first) → <c>[N, ΣC, H / OutputStride, W / OutputStride]</c>.</summary>
    public override Tensor forward(Tensor[] features)
    {
        var first = features[firstStage];
        long h = first.shape[2], w = first.shape[3];
        var parts = new Tensor[4];
        for (int k = 0; k < 4; k++)
        {
            var y = features[firstStage + k];
            parts[k] = y.shape[2] == h && y.shape[3] == w ? y
                : nn.functional.interpolate(y, size: [h, w], mode: InterpolationMode.Bilinear, align_corners: false);
        }
        return lastLayer.call(torch.cat(parts, dim: 1));
    }
}
