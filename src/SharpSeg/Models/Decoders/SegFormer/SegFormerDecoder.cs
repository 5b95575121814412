using TorchSharp;
using static TorchSharp.torch;
using SharpSeg.Models.Onnx;

namespace SharpSeg.Models.Decoders.SegFormer;

/// <summary>
/// SegFormer's all-MLP head (Xie et al. 2021, the official <c>SegFormerHead</c>): on each of the encoder's last four maps
/// (strides 4..32) a linear layer to <c>embedDim</c> channels (<c>linear_c1..linear_c4.proj</c>), bilinear upsampling
/// to the stride-4 map, concatenation (deepest first, as the official code), a 1×1 conv 4·E→E without bias → BN → ReLU
/// (<c>linear_fuse</c>) and channel dropout 0.1. <c>→ [N, E, H/4, W/4]</c>; <see cref="SegmentationModel"/>'s 1×1
/// classifier is the official <c>linear_pred</c>. E = 256 for MiT-B0/B1 (768 for B2–B5 in the paper).
/// </summary>
public sealed class SegFormerDecoder : Decoder
{
    private readonly TorchSharp.Modules.Linear[] linears;
    [TorchSharp.Utils.ComponentName(Name = "linear_fuse")] private readonly nn.Module<Tensor, Tensor> fuse;
    private readonly nn.Module<Tensor, Tensor> dropout;
    private readonly int firstStage;
    private readonly int[] strides;

    /// <param name="encoderChannels">The encoder's channels per stage (the last four are used).</param>
    /// <param name="encoderStrides">The encoder's strides; the first used stage sets the output stride (4 for MiT).</param>
    /// <param name="embedDim">Width E of every projected map and of the output (256).</param>
    /// <param name="dropout">Channel dropout before the classifier (0.1).</param>
    public SegFormerDecoder(IReadOnlyList<int> encoderChannels, IReadOnlyList<int> encoderStrides, int embedDim = 256, double dropout = 0.1)
        : base(nameof(SegFormerDecoder))
    {
        if (encoderChannels.Count < 5) throw new ArgumentException("the SegFormer head needs an encoder with at least 4 downsampling stages", nameof(encoderChannels));
        firstStage = encoderChannels.Count - 4;
        if (Enumerable.Range(firstStage, 4).Any(i => encoderChannels[i] < 1))
            throw new ArgumentException("the SegFormer head needs features at the encoder's last four stages", nameof(encoderChannels));
        linears = Enumerable.Range(firstStage, 4).Select(i => nn.Linear(encoderChannels[i], embedDim)).ToArray();
        for (int k = 0; k < 4; k++) register_module($"linear_c{k + 1}", nn.Sequential(("proj", linears[k])));
        fuse = nn.Sequential(
            ("conv", nn.Conv2d(4 * embedDim, embedDim, kernel_size: 1, bias: false)),
            ("bn", nn.BatchNorm2d(embedDim)),
            ("activate", nn.ReLU(inplace: true)));
        this.dropout = nn.Dropout2d(dropout);
        RegisterComponents();
        OutChannels = embedDim;
        strides = Enumerable.Range(firstStage, 4).Select(i => encoderStrides[i]).ToArray();
        OutputStride = strides[0];
    }

    public override int OutChannels { get; }
    public override int OutputStride { get; }

    /// <summary>Encoder maps (highest resolution first) → <c>[N, E, H / OutputStride, W / OutputStride]</c>.</summary>
    public override Tensor forward(Tensor[] features)
    {
        var parts = new Tensor[4];
        for (int k = 3; k >= 0; k--)
            parts[3 - k] = linears[k].call(features[firstStage + k].permute(0, 2, 3, 1)).permute(0, 3, 1, 2);
        return dropout.call(UpsampleConcatFuse.Forward(parts, features[firstStage], fuse));
    }

    public override OnnxValue ExportOnnx(OnnxGraphBuilder graph, OnnxValue[] features)
    {
        var parts = new OnnxValue[4];
        var partStrides = new int[4];
        for (int k = 3; k >= 0; k--)
        {
            parts[3 - k] = graph.Transpose(graph.Module(linears[k], graph.Transpose(features[firstStage + k], 0, 2, 3, 1)), 0, 3, 1, 2);
            partStrides[3 - k] = strides[k];
        }
        return graph.Module(dropout, UpsampleConcatFuse.ExportOnnx(graph, parts, partStrides, features[firstStage], strides[0], fuse));
    }
}
