using SharpSeg.Models.Decoders.PspNet;
using TorchSharp;
using static TorchSharp.torch;
using SharpSeg.Models.Onnx;

namespace SharpSeg.Models.Decoders.UPerNet;

/// <summary>
/// UPerNet (Xiao et al. 2018) as MMSegmentation's UPerHead: a pyramid pooling module (bins 1, 2, 3, 6, each 1×1 conv to
/// <c>channels</c>) plus 3×3 conv on the deepest map; 1×1 lateral convs on the three shallower levels (stride 4 upwards),
/// a top-down pathway (bilinear upsampling + sum) and a 3×3 conv per level; all four levels upsampled to the shallowest,
/// concatenated and fused by a 3×3 conv. Every conv is followed by BN → ReLU. <c>→ [N, channels, H/4, W/4]</c> for
/// ResNet; the model upsamples the logits ×4. MMSegmentation uses 512 channels, SMP 256; default here 256.
/// </summary>
public sealed class UPerNetDecoder : Decoder
{
    private readonly nn.Module<Tensor, Tensor> ppm, pspBottleneck, fusion;
    private readonly TorchSharp.Modules.ModuleList<nn.Module<Tensor, Tensor>> laterals, fpnConvs;
    private readonly int firstStage;
    private readonly int[] strides;

    /// <param name="encoderChannels">The encoder's channels per stage (the last four are used).</param>
    /// <param name="encoderStrides">The encoder's strides; the first used stage sets the output stride.</param>
    /// <param name="channels">Width of every level and of the output (256).</param>
    public UPerNetDecoder(IReadOnlyList<int> encoderChannels, IReadOnlyList<int> encoderStrides, int channels = 256) : base(nameof(UPerNetDecoder))
    {
        if (encoderChannels.Count < 4) throw new ArgumentException("UPerNet needs an encoder with at least 3 downsampling stages", nameof(encoderChannels));
        firstStage = encoderChannels.Count - 4;
        strides = encoderStrides.ToArray();
        var pyramid = new PyramidPoolingModule("ppm", encoderChannels[^1], [1, 2, 3, 6], channels);
        ppm = pyramid;
        pspBottleneck = Conv2dNormActivation.Create(pyramid.OutChannels, channels, kernelSize: 3);
        laterals = nn.ModuleList(Enumerable.Range(firstStage, 3).Select(i => Conv2dNormActivation.Create(encoderChannels[i], channels, kernelSize: 1)).ToArray());
        fpnConvs = nn.ModuleList(Enumerable.Range(0, 3).Select(_ => Conv2dNormActivation.Create(channels, channels, kernelSize: 3)).ToArray());
        fusion = Conv2dNormActivation.Create(4 * channels, channels, kernelSize: 3);
        OutChannels = channels;
        OutputStride = encoderStrides[firstStage];
        RegisterComponents();
    }

    public override int OutChannels { get; }
    public override int OutputStride { get; }

    /// <summary>Encoder maps (highest resolution first) → <c>[N, channels, H / OutputStride, W / OutputStride]</c>.</summary>
    public override Tensor forward(Tensor[] features)
    {
        var levels = new Tensor[4];
        levels[3] = pspBottleneck.call(ppm.call(features[^1]));
        for (int k = 0; k < 3; k++) levels[k] = laterals[k].call(features[firstStage + k]);
        for (int k = 2; k >= 0; k--) levels[k] = levels[k] + Resize(levels[k + 1], levels[k]);
        for (int k = 0; k < 3; k++) levels[k] = fpnConvs[k].call(levels[k]);
        for (int k = 1; k < 4; k++) levels[k] = Resize(levels[k], levels[0]);
        return fusion.call(torch.cat(levels, dim: 1));
    }

    private static Tensor Resize(Tensor x, Tensor like) =>
        x.shape[2] == like.shape[2] && x.shape[3] == like.shape[3] ? x
        : nn.functional.interpolate(x, size: [like.shape[2], like.shape[3]], mode: InterpolationMode.Bilinear, align_corners: false);

    public override OnnxValue ExportOnnx(OnnxGraphBuilder graph, OnnxValue[] features)
    {
        var levels = new OnnxValue[4];
        levels[3] = graph.Module(pspBottleneck, graph.Module(ppm, features[^1]));
        for (int k = 0; k < 3; k++) levels[k] = graph.Module(laterals[k], features[firstStage + k]);
        for (int k = 2; k >= 0; k--) levels[k] = graph.Add(levels[k], ResizeOnnx(graph, levels[k + 1], k + 1, levels[k], k));
        for (int k = 0; k < 3; k++) levels[k] = graph.Module(fpnConvs[k], levels[k]);
        for (int k = 1; k < 4; k++) levels[k] = ResizeOnnx(graph, levels[k], k, levels[0], 0);
        return graph.Module(fusion, graph.Concat(levels));
    }

    /// <summary><see cref="Resize"/> in the graph: level strides are known, so equal sizes need no node.</summary>
    private OnnxValue ResizeOnnx(OnnxGraphBuilder graph, OnnxValue x, int level, OnnxValue like, int likeLevel) =>
        strides[firstStage + level] == strides[firstStage + likeLevel] ? x : graph.ResizeLike(x, like);
}
