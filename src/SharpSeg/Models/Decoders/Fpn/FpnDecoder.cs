using TorchSharp;
using static TorchSharp.torch;
using SharpSeg.Models.Onnx;

namespace SharpSeg.Models.Decoders.Fpn;

/// <summary>
/// FPN for segmentation as in segmentation_models.pytorch (Kirillov et al.'s panoptic FPN head): 1×1 lateral convs to
/// 256 channels on the stride-4..deepest maps, a top-down pathway (nearest upsampling + sum), per level a segmentation
/// block (3×3 conv 128 → GroupNorm → ReLU, ×2 upsampling until stride 4), merged by sum, then dropout 0.2.
/// <c>→ [N, 128, H/4, W/4]</c>; the model upsamples the logits ×4. Uses the last four encoder stages from stride 4 on.
/// With output stride 2 (SharpSeg's addition, <c>model.decoder_stride: 2</c>), the merged map is upsampled ×2 and fused
/// with the encoder's stride-2 map as DeepLabV3+ fuses its low-level features one level coarser: a 1×1 projection of
/// those features to 48 channels (BatchNorm, ReLU), concatenation, a 3×3 conv to 64 (BatchNorm, ReLU)
/// <c>→ [N, 64, H/2, W/2]</c>, so a structure a few pixels wide is not averaged into a 4×4 cell.
/// </summary>
public sealed class FpnDecoder : Decoder
{
    private readonly TorchSharp.Modules.ModuleList<nn.Module<Tensor, Tensor>> laterals, segBlocks;
    private readonly nn.Module<Tensor, Tensor> dropout;
    private readonly nn.Module<Tensor, Tensor>? fineProjection, fineFusion;
    private readonly int firstStage;
    private readonly int[] strides;

    /// <param name="encoderChannels">The encoder's channels per stage (the last four are used).</param>
    /// <param name="encoderStrides">The encoder's strides; the first used stage sets the output stride (4 for ResNet).</param>
    /// <param name="pyramidChannels">Width of the top-down pyramid (256).</param>
    /// <param name="segmentationChannels">Width of the segmentation blocks and of the output (128).</param>
    /// <param name="dropout">Dropout on the merged map (0.2).</param>
    /// <param name="outputStride">4, or 2 for the refinement with the stage before the first used one (stride 2 on
    /// ResNet).</param>
    public FpnDecoder(IReadOnlyList<int> encoderChannels, IReadOnlyList<int> encoderStrides, int pyramidChannels = 256,
        int segmentationChannels = 128, double dropout = 0.2, int outputStride = 4) : base(nameof(FpnDecoder))
    {
        if (encoderChannels.Count < 4) throw new ArgumentException("FPN needs an encoder with at least 3 downsampling stages", nameof(encoderChannels));
        // The maps from stride 4 on, at most the last four (P2..P5): a shortened encoder (model.encoder_depth 4) gives
        // three levels at strides 4, 8 and 16, not a fourth at stride 2.
        firstStage = encoderChannels.Count - 4;
        while (firstStage < encoderChannels.Count - 2 && encoderStrides[firstStage] < 4) firstStage++;
        strides = encoderStrides.ToArray();
        OutputStride = encoderStrides[firstStage];
        var lat = new List<nn.Module<Tensor, Tensor>>();
        var seg = new List<nn.Module<Tensor, Tensor>>();
        for (int i = firstStage; i < encoderChannels.Count; i++)
        {
            lat.Add(nn.Conv2d(encoderChannels[i], pyramidChannels, kernel_size: 1));
            seg.Add(new FpnSegmentationBlock($"{i - firstStage}", pyramidChannels, segmentationChannels, encoderStrides[i], OutputStride));
        }
        laterals = nn.ModuleList(lat.ToArray());
        segBlocks = nn.ModuleList(seg.ToArray());
        this.dropout = nn.Dropout2d(dropout);
        OutChannels = segmentationChannels;
        if (outputStride != OutputStride)
        {
            int fine = firstStage - 1;
            if (outputStride >= OutputStride || fine < 0 || encoderStrides[fine] != outputStride || encoderChannels[fine] < 1)
                throw new SharpSegException($"model.decoder_stride {outputStride}: this encoder has no stage at stride {outputStride} before its stride-{OutputStride} stage (strides {string.Join(", ", encoderStrides)}); use a ResNet or MobileNet encoder, or remove model.decoder_stride.");
            fineProjection = Conv2dNormActivation.Create(encoderChannels[fine], FineProjectionChannels, kernelSize: 1);
            fineFusion = Conv2dNormActivation.Create(segmentationChannels + FineProjectionChannels, FineChannels, kernelSize: 3);
            OutputStride = outputStride;
            OutChannels = FineChannels;
        }
        RegisterComponents();
    }

    /// <summary>Channels of the projected stride-2 features (DeepLabV3+'s 48) and of the stride-2 output.</summary>
    public const int FineProjectionChannels = 48, FineChannels = 64;

    public override int OutChannels { get; }
    public override int OutputStride { get; }

    /// <summary>Encoder maps (highest resolution first) → <c>[N, 128, H / OutputStride, W / OutputStride]</c>.</summary>
    public override Tensor forward(Tensor[] features)
    {
        int levels = laterals.Count;
        var pyramid = new Tensor[levels];
        pyramid[levels - 1] = laterals[levels - 1].call(features[^1]);
        for (int k = levels - 2; k >= 0; k--)
        {
            var lateral = laterals[k].call(features[firstStage + k]);
            var top = pyramid[k + 1];
            if (top.shape[2] != lateral.shape[2] || top.shape[3] != lateral.shape[3])
                top = nn.functional.interpolate(top, size: [lateral.shape[2], lateral.shape[3]], mode: InterpolationMode.Nearest);
            pyramid[k] = lateral.add_(top);
        }
        Tensor merged = segBlocks[0].call(pyramid[0]);
        for (int k = 1; k < levels; k++)
        {
            var y = segBlocks[k].call(pyramid[k]);
            if (y.shape[2] != merged.shape[2] || y.shape[3] != merged.shape[3])
                y = nn.functional.interpolate(y, size: [merged.shape[2], merged.shape[3]], mode: InterpolationMode.Bilinear, align_corners: false);
            merged = merged + y;
        }
        merged = dropout.call(merged);
        if (fineProjection is null || fineFusion is null) return merged;
        var low = fineProjection.call(features[firstStage - 1]);
        var up = nn.functional.interpolate(merged, size: [low.shape[2], low.shape[3]], mode: InterpolationMode.Bilinear, align_corners: false);
        return fineFusion.call(torch.cat([up, low], 1));
    }

    public override OnnxValue ExportOnnx(OnnxGraphBuilder graph, OnnxValue[] features)
    {
        int levels = laterals.Count;
        var pyramid = new OnnxValue[levels];
        pyramid[levels - 1] = graph.Module(laterals[levels - 1], features[^1]);
        for (int k = levels - 2; k >= 0; k--)
        {
            var lateral = graph.Module(laterals[k], features[firstStage + k]);
            var top = pyramid[k + 1];
            if (strides[firstStage + k + 1] != strides[firstStage + k]) top = graph.ResizeLike(top, lateral, OnnxGraphBuilder.Interpolation.Nearest);
            pyramid[k] = graph.Add(lateral, top);
        }
        OnnxValue merged = graph.Module(segBlocks[0], pyramid[0]);
        for (int k = 1; k < levels; k++)
            merged = graph.Add(merged, graph.ResizeLike(graph.Module(segBlocks[k], pyramid[k]), merged));
        merged = graph.Module(dropout, merged);
        if (fineProjection is null || fineFusion is null) return merged;
        var low = graph.Module(fineProjection, features[firstStage - 1]);
        return graph.Module(fineFusion, graph.Concat([graph.ResizeLike(merged, low), low]));
    }
}
