using TorchSharp;
using static TorchSharp.torch;
using SharpSeg.Models.Onnx;

namespace SharpSeg.Models.Decoders.UNetPlusPlus;

/// <summary>
/// UNet++ (Zhou et al. 2018) as segmentation_models.pytorch builds it: nested, densely connected decoder nodes
/// <c>x_{d}_{l}</c>; each node upsamples the node below it to its skip resolution, concatenates every earlier node at
/// that resolution and the encoder skip, then applies a double 3×3 conv. Stage 0 (the input image) is not used as a
/// skip; the last node upsamples to full resolution. Output <c>[N, decoderChannels[0], H, W]</c> (SMP: 16 channels).
/// Needs a backbone whose stage 0 is the input (ResNet, MobileNet).
/// </summary>
public sealed class UNetPlusPlusDecoder : Decoder
{
    private readonly TorchSharp.Modules.ModuleList<nn.Module<Tensor, Tensor, Tensor>> blocks;
    private readonly Dictionary<string, int> index = new(StringComparer.Ordinal);
    private readonly int depth;

    /// <param name="encoderChannels">The encoder's channels per stage (stage 0, the input, is skipped).</param>
    /// <param name="encoderStrides">The encoder's strides.</param>
    /// <param name="decoderChannels">Node widths per stage, full resolution first (as <see cref="ModelConfig.DecoderChannels"/>;
    /// the deepest entry is unused); null: SMP's 16, 32, 64, 128, 256.</param>
    /// <param name="batchNorm">BatchNorm in the convolutions.</param>
    public UNetPlusPlusDecoder(IReadOnlyList<int> encoderChannels, IReadOnlyList<int> encoderStrides, IReadOnlyList<int>? decoderChannels = null, bool batchNorm = true)
        : base(nameof(UNetPlusPlusDecoder))
    {
        int n = encoderChannels.Count;
        if (n < 3) throw new ArgumentException("UNet++ needs an encoder with at least 2 downsampling stages", nameof(encoderChannels));
        // SMP's lists, deepest first: f = stages n-1 .. 1; decoder widths for the n-1 nodes of the top row.
        int[] f = Enumerable.Range(1, n - 1).Reverse().Select(i => encoderChannels[i]).ToArray();
        int[] dec = Enumerable.Range(0, n - 1).Reverse().Select(i => decoderChannels?[i] ?? Math.Min(256, 16 << i)).ToArray();
        int[] inCh = [f[0], .. dec[..^1]];
        int[] skipCh = [.. f[1..], 0];
        depth = inCh.Length - 1;
        var list = new List<nn.Module<Tensor, Tensor, Tensor>>();
        void Add(string name, int i, int s, int o)
        {
            index[name] = list.Count;
            list.Add(new UNetUpBlock(name, i, s, o, scale: 2, UpsamplingMode.Bilinear, batchNorm));
        }
        for (int l = 0; l < depth; l++)
            for (int d = 0; d <= l; d++)
            {
                if (d == 0) Add($"x_{d}_{l}", inCh[l], skipCh[l] * (l + 1), dec[l]);
                else Add($"x_{d}_{l}", skipCh[l - 1], skipCh[l] * (l + 1 - d), skipCh[l]);
            }
        Add($"x_0_{depth}", inCh[^1], 0, dec[^1]);
        blocks = nn.ModuleList(list.ToArray());
        OutChannels = dec[^1];
        OutputStride = encoderStrides[0];
        RegisterComponents();
    }

    public override int OutChannels { get; }
    public override int OutputStride { get; }

    private nn.Module<Tensor, Tensor, Tensor> Block(int d, int l) => blocks[index[$"x_{d}_{l}"]];

    /// <summary>Encoder maps (input first) → <c>[N, OutChannels, H, W]</c>.</summary>
    public override Tensor forward(Tensor[] features)
    {
        // f[k]: stage n-1-k (deepest first), as SMP after dropping stage 0.
        var f = features[1..].Reverse().ToArray();
        var dense = new Dictionary<(int, int), Tensor>();
        for (int l = 0; l < depth; l++)
            for (int d = 0; d < depth - l; d++)
            {
                if (l == 0)
                {
                    dense[(d, d)] = Block(d, d).call(f[d], f[d + 1]);
                }
                else
                {
                    int dl = d + l;
                    var parts = Enumerable.Range(d + 1, dl - d).Select(i => dense[(i, dl)]).Append(f[dl + 1]).ToArray();
                    dense[(d, dl)] = Block(d, dl).call(dense[(d, dl - 1)], torch.cat(parts, dim: 1));
                }
            }
        // The last node has no skip; features[0] only gives it the full-resolution size.
        return Block(0, depth).call(dense[(0, depth - 1)], features[0]);
    }

    public override OnnxValue ExportOnnx(OnnxGraphBuilder graph, OnnxValue[] features)
    {
        var f = features[1..].Reverse().ToArray();
        var dense = new Dictionary<(int, int), OnnxValue>();
        UNetUpBlock B(int d, int l) => (UNetUpBlock)Block(d, l);
        for (int l = 0; l < depth; l++)
            for (int d = 0; d < depth - l; d++)
            {
                if (l == 0) dense[(d, d)] = B(d, d).ExportOnnx(graph, f[d], f[d + 1]);
                else
                {
                    int dl = d + l;
                    var parts = Enumerable.Range(d + 1, dl - d).Select(i => dense[(i, dl)]).Append(f[dl + 1]).ToArray();
                    dense[(d, dl)] = B(d, dl).ExportOnnx(graph, dense[(d, dl - 1)], graph.Concat(parts));
                }
            }
        return B(0, depth).ExportOnnx(graph, dense[(0, depth - 1)], features[0]);
    }
}
