using TorchSharp;
using static TorchSharp.torch;
using SharpSeg.Models.Onnx;

namespace SharpSeg.Models.Encoders.MixTransformer;

/// <summary>
/// SegFormer's efficient self-attention (Xie et al. 2021, "Attention" in the official mix_transformer.py): multi-head
/// attention whose keys and values come from the map shrunk by a strided <c>R×R</c> convolution (<c>sr</c>, then
/// LayerNorm), so the cost is <c>N · N / R²</c> instead of <c>N²</c>. Works on channels-last maps
/// <c>[B, H, W, C] → [B, H, W, C]</c> (so H and W travel in the shape and every layer is a plain module call).
/// </summary>
/// <remarks>
/// Two paths with the same result (scale 1/√d): plain <c>matmul → scale → softmax → matmul</c> with reshapes and permutes
/// only, which an exporter can follow op by op, and libtorch's fused <c>scaled_dot_product_attention</c>. The fused one
/// runs only when <see cref="Fused"/> is set and gradients are off: on the 2-core development CPU it was about 3× faster
/// than the plain path for MiT-B0's first-stage attention in inference but slower with gradients (see docs/MODELS.md),
/// so training always takes the plain path. Parameter names mirror the official code
/// (<c>q</c>, <c>kv</c>, <c>sr</c>, <c>norm</c>, <c>proj</c>); attention and projection dropout are left out (0 in every
/// official MiT config).
/// </remarks>
internal sealed class EfficientSelfAttention : nn.Module<Tensor, Tensor>, IOnnxExportable
{
    // Declaration order = registration order = the official state-dict order.
    private readonly TorchSharp.Modules.Linear q, kv, proj;
    private readonly nn.Module<Tensor, Tensor>? sr, norm;
    private readonly int heads;
    private readonly double scale;

    /// <param name="name">Module name.</param>
    /// <param name="dim">Channels C (a multiple of <paramref name="heads"/>).</param>
    /// <param name="heads">Attention heads.</param>
    /// <param name="reduction">Spatial-reduction ratio R of keys and values (8, 4, 2, 1 in MiT's four stages).</param>
    public EfficientSelfAttention(string name, int dim, int heads, int reduction) : base(name)
    {
        if (dim % heads != 0) throw new ArgumentException($"dim {dim} is not a multiple of heads {heads}", nameof(heads));
        if (reduction < 1) throw new ArgumentOutOfRangeException(nameof(reduction), $"reduction must be at least 1, got {reduction}");
        this.heads = heads;
        Dim = dim;
        Reduction = reduction;
        scale = 1.0 / Math.Sqrt(dim / heads);
        q = nn.Linear(dim, dim, hasBias: true);
        kv = nn.Linear(dim, 2 * dim, hasBias: true);
        proj = nn.Linear(dim, dim, hasBias: true);
        if (reduction > 1)
        {
            sr = nn.Conv2d(dim, dim, kernel_size: reduction, stride: reduction);
            norm = nn.LayerNorm(dim);
        }
        RegisterComponents();
    }

    /// <summary>Channels C.</summary>
    public int Dim { get; }

    /// <summary>Spatial-reduction ratio R of keys and values.</summary>
    public int Reduction { get; }

    /// <summary>Use libtorch's fused <c>scaled_dot_product_attention</c> when gradients are off (default true); false
    /// forces the plain matmul/softmax path (for graph exporters).</summary>
    public bool Fused { get; set; } = true;

    /// <summary>Multiply-accumulates of the two attention products (<c>q·kᵀ</c> and <c>attn·v</c>) for an input of this
    /// shape: <c>2 · B · N · M · C</c> with N = H·W queries and M = ⌊H/R⌋·⌊W/R⌋ keys. The linear layers and the
    /// reduction conv are counted by <see cref="FlopCounter"/>'s layer hooks; softmax and scaling are not counted.</summary>
    public long AttentionMacs(long[] inputShape)
    {
        long b = inputShape[0], h = inputShape[1], w = inputShape[2];
        return 2 * b * (h * w) * ((h / Reduction) * (w / Reduction)) * Dim;
    }

    /// <summary><c>[B, H, W, C]</c> → <c>[B, H, W, C]</c>.</summary>
    public override Tensor forward(Tensor x)
    {
        long b = x.shape[0], h = x.shape[1], w = x.shape[2], c = x.shape[3], d = c / heads;
        var query = q.call(x).reshape(b, h * w, heads, d).permute(0, 2, 1, 3);            // [B, heads, N, d]
        var source = x;
        if (sr is not null)
            source = norm!.call(sr.call(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1));        // [B, H/R, W/R, C]
        var keyValue = kv.call(source).reshape(b, -1, 2, heads, d).permute(2, 0, 3, 1, 4); // [2, B, heads, M, d]
        Tensor key = keyValue[0], value = keyValue[1];
        Tensor attended;
        if (Fused && !torch.is_grad_enabled())
        {
            attended = nn.functional.scaled_dot_product_attention(query, key, value);
        }
        else
        {
            var scores = torch.matmul(query, key.transpose(-2, -1)).mul_(scale);
            attended = torch.matmul(scores.softmax(-1), value);                         // [B, heads, N, d]
        }
        return proj.call(attended.transpose(1, 2).reshape(b, h, w, c));
    }

    /// <summary>ONNX graph of <see cref="forward"/> (the plain path; B, H and W stay dynamic: reshapes keep B with 0 and
    /// infer N with −1, and the output takes <c>[B, H, W]</c> from the input's shape).</summary>
    public OnnxValue ExportOnnx(OnnxGraphBuilder graph, OnnxValue x)
    {
        long c = Dim, d = c / heads;
        var query = graph.Transpose(graph.Reshape(graph.Module(q, x), 0, -1, heads, d), 0, 2, 1, 3);           // [B, heads, N, d]
        var source = x;
        if (sr is not null)
            source = graph.Module(norm!, graph.Transpose(graph.Module(sr, graph.Transpose(x, 0, 3, 1, 2)), 0, 2, 3, 1)); // [B, H/R, W/R, C]
        var keyValue = graph.Transpose(graph.Reshape(graph.Module(kv, source), 0, -1, 2, heads, d), 2, 0, 3, 1, 4); // [2, B, heads, M, d]
        OnnxValue key = graph.Take(keyValue, 0), value = graph.Take(keyValue, 1);
        var attended = graph.Attention(query, key, value, (float)scale);                                        // [B, heads, N, d]
        var shape = graph.Concat([graph.Slice(graph.Shape(x), 0, 3), graph.Int64Constant([c])], axis: 0);      // [B, H, W, C]
        return graph.Module(proj, graph.Reshape(graph.Transpose(attended, 0, 2, 1, 3), shape));
    }
}
