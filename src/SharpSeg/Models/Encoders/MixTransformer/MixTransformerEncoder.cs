using SharpSeg.Onnx;
using TorchSharp;
using static TorchSharp.torch;
using SharpSeg.Models.Onnx;

namespace SharpSeg.Models.Encoders.MixTransformer;

/// <summary>
/// SegFormer's Mix Transformer (MiT-B0/B1, Xie et al. 2021) as an encoder, written from the paper and the official
/// <c>mix_transformer.py</c> configs: four stages, each an overlapping patch embedding (7×7 stride 4, then 3×3 stride
/// 2), transformer blocks with efficient self-attention (spatial-reduction ratios 8/4/2/1) and Mix-FFN (3×3 depthwise
/// conv, MLP ratio 4), then LayerNorm. Returns 6 maps: the input (stride 1), an empty stride-2 map (0 channels: MiT has
/// none there), and the four stage outputs at strides 4, 8, 16, 32.
/// </summary>
/// <remarks>
/// B0: widths 32/64/160/256, B1: 64/128/320/512; both depths 2/2/2/2 and heads 1/2/5/8; stochastic depth rising
/// linearly over the 8 blocks to <c>dropPath</c> (official 0.1). The output stride is always 32 (no dilation). Parameter
/// names mirror the official checkpoint keys (<c>patch_embed1.proj.weight</c>, <c>block1.0.attn.sr.weight</c>,
/// <c>block2.1.mlp.dwconv.dwconv.weight</c>, <c>norm4.bias</c>), so ImageNet MiT weights can be mapped one to one later.
/// Weights start as the official <c>_init_weights</c>: linear truncated normal (std 0.02, cut at ±2 σ by
/// <see cref="TruncatedNormal"/>, not TorchSharp's broken <c>trunc_normal_</c>), LayerNorm 1/0, conv normal
/// with std √(2 / fan-out).
/// </remarks>
public sealed class MixTransformerEncoder : Encoder
{
    private readonly OverlapPatchEmbedding[] patchEmbeds;
    private readonly TorchSharp.Modules.ModuleList<MixTransformerBlock>[] blocks;
    private readonly nn.Module<Tensor, Tensor>[] norms;
    private readonly int inChannels;
    private readonly int[] outChannels;

    /// <summary>The variants: name → (stage widths, blocks per stage, heads per stage).</summary>
    public static IReadOnlyDictionary<string, (int[] Dims, int[] Depths, int[] Heads)> Variants { get; } = new Dictionary<string, (int[], int[], int[])>
    {
        ["mit_b0"] = ([32, 64, 160, 256], [2, 2, 2, 2], [1, 2, 5, 8]),
        ["mit_b1"] = ([64, 128, 320, 512], [2, 2, 2, 2], [1, 2, 5, 8]),
    };

    private static readonly int[] ReductionRatios = [8, 4, 2, 1];
    private const int MlpRatio = 4;

    /// <param name="variant">"mit_b0" or "mit_b1".</param>
    /// <param name="inChannels">Image channels (3 matches ImageNet weights).</param>
    /// <param name="dropPath">Stochastic-depth probability of the last block (0 disables; official 0.1).</param>
    public MixTransformerEncoder(string variant = "mit_b0", int inChannels = 3, double dropPath = 0.1) : base(nameof(MixTransformerEncoder))
    {
        if (!Variants.TryGetValue(variant, out var spec))
            throw new ArgumentException($"unknown MiT variant '{variant}': use one of {string.Join(", ", Variants.Keys)}", nameof(variant));
        if (inChannels < 1) throw new ArgumentOutOfRangeException(nameof(inChannels), $"in_channels must be at least 1, got {inChannels}");
        if (dropPath < 0 || dropPath >= 1) throw new ArgumentOutOfRangeException(nameof(dropPath), $"drop path must be in [0, 1), got {dropPath}");
        Variant = variant;
        this.inChannels = inChannels;
        int totalBlocks = spec.Depths.Sum(), blockIndex = 0;
        patchEmbeds = new OverlapPatchEmbedding[4];
        blocks = new TorchSharp.Modules.ModuleList<MixTransformerBlock>[4];
        norms = new nn.Module<Tensor, Tensor>[4];
        for (int s = 0; s < 4; s++)
        {
            int dim = spec.Dims[s];
            patchEmbeds[s] = s == 0
                ? new OverlapPatchEmbedding($"patch_embed{s + 1}", inChannels, dim, kernelSize: 7, stride: 4)
                : new OverlapPatchEmbedding($"patch_embed{s + 1}", spec.Dims[s - 1], dim, kernelSize: 3, stride: 2);
            var stage = new MixTransformerBlock[spec.Depths[s]];
            for (int j = 0; j < stage.Length; j++, blockIndex++)
            {
                // timm/official: torch.linspace(0, drop_path_rate, sum(depths)).
                double p = totalBlocks > 1 ? dropPath * blockIndex / (totalBlocks - 1) : dropPath;
                stage[j] = new MixTransformerBlock($"{j}", dim, spec.Heads[s], ReductionRatios[s], MlpRatio, p);
            }
            blocks[s] = nn.ModuleList(stage);
            norms[s] = nn.LayerNorm(dim, eps: 1e-6);
            register_module($"patch_embed{s + 1}", patchEmbeds[s]);
            register_module($"block{s + 1}", blocks[s]);
            register_module($"norm{s + 1}", norms[s]);
        }
        outChannels = [inChannels, 0, .. spec.Dims];
        InitializeWeights();
    }

    /// <summary>"mit_b0" or "mit_b1".</summary>
    public string Variant { get; }

    public override int InChannels => inChannels;
    public override IReadOnlyList<int> OutChannels => outChannels;
    public override IReadOnlyList<int> Strides { get; } = [1, 2, 4, 8, 16, 32];

    /// <summary>Inference (gradients off) runs every attention through libtorch's fused <c>scaled_dot_product_attention</c>
    /// (true, the default: faster on CPU); false forces the plain matmul/softmax path everywhere, which graph exporters can
    /// follow op by op. Training with gradients always uses the plain path (faster there).</summary>
    public bool FusedAttention
    {
        get => blocks[0][0].Attention.Fused;
        set
        {
            foreach (var stage in blocks)
                foreach (var block in stage) block.Attention.Fused = value;
        }
    }

    /// <summary><c>[N, InChannels, H, W]</c> (H, W multiples of 32) → [input, empty stride-2 map <c>[N, 0, H/2, W/2]</c>,
    /// stage 1..4 maps <c>[N, C_s, H/4·2^-s, …]</c>] (channels-first).</summary>
    public override Tensor[] forward(Tensor x)
    {
        var outputs = new Tensor[6];
        outputs[0] = x;
        outputs[1] = torch.empty([x.shape[0], 0, x.shape[2] / 2, x.shape[3] / 2], dtype: x.dtype, device: x.device);
        Tensor map = x;
        for (int s = 0; s < 4; s++)
        {
            var tokens = patchEmbeds[s].call(map);                         // [N, h, w, C]
            foreach (var block in blocks[s]) tokens = block.call(tokens);
            map = norms[s].call(tokens).permute(0, 3, 1, 2).contiguous(); // [N, C, h, w]
            outputs[s + 2] = map;
        }
        return outputs;
    }

    /// <summary>ONNX graph of <see cref="forward"/>: the attention's plain path (whatever <see cref="FusedAttention"/>
    /// says; both compute the same), the empty stride-2 map as a zero-channel constant of the right shape.</summary>
    public override OnnxValue[] ExportOnnx(OnnxGraphBuilder graph, OnnxValue x)
    {
        var outputs = new OnnxValue[6];
        outputs[0] = x;
        outputs[1] = graph.EmptyMap(x, 2);
        OnnxValue map = x;
        for (int s = 0; s < 4; s++)
        {
            var tokens = graph.Module(patchEmbeds[s], map);                         // [N, h, w, C]
            foreach (var block in blocks[s]) tokens = graph.Module(block, tokens);
            map = graph.Transpose(graph.Module(norms[s], tokens), 0, 3, 1, 2);    // [N, C, h, w]
            outputs[s + 2] = map;
        }
        return outputs;
    }

    private void InitializeWeights()
    {
        using var noGrad = torch.no_grad();
        foreach (var (_, m) in named_modules())
        {
            switch (m)
            {
                case TorchSharp.Modules.Linear linear:
                    TruncatedNormal.Fill(linear.weight!, std: 0.02);
                    if (linear.bias is { } lb) nn.init.zeros_(lb);
                    break;
                case TorchSharp.Modules.LayerNorm norm:
                    nn.init.ones_(norm.weight!);
                    nn.init.zeros_(norm.bias!);
                    break;
                case TorchSharp.Modules.Conv2d conv:
                    var w = conv.weight!.shape; // [out, in/groups, kh, kw]; official fan_out = kh·kw·out / groups
                    long fanOut = w[2] * w[3] * w[0] / conv.groups;
                    nn.init.normal_(conv.weight!, 0, Math.Sqrt(2.0 / fanOut));
                    if (conv.bias is { } cb) nn.init.zeros_(cb);
                    break;
            }
        }
    }
}
