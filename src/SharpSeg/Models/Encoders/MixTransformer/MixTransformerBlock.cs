using TorchSharp;
using static TorchSharp.torch;
using SharpSeg.Models.Onnx;

namespace SharpSeg.Models.Encoders.MixTransformer;

/// <summary>
/// One MiT transformer block (pre-norm): <c>x + DropPath(Attention(LN(x)))</c>, then <c>x + DropPath(MixFFN(LN(x)))</c>,
/// LayerNorm eps 1e-6 as the official MiT configs. Channels-last <c>[B, H, W, C] → [B, H, W, C]</c>.
/// Names mirror the official <c>Block</c> (<c>norm1</c>, <c>attn</c>, <c>norm2</c>, <c>mlp</c>).
/// </summary>
internal sealed class MixTransformerBlock : nn.Module<Tensor, Tensor>, IOnnxExportable
{
    // Declaration order = registration order = the official state-dict order.
    private readonly nn.Module<Tensor, Tensor> norm1;
    private readonly EfficientSelfAttention attn;
    [TorchSharp.Utils.ComponentName(Name = "drop_path")] private readonly DropPath? dropPath;
    private readonly nn.Module<Tensor, Tensor> norm2, mlp;

    /// <param name="name">Module name.</param>
    /// <param name="dim">Channels C.</param>
    /// <param name="heads">Attention heads.</param>
    /// <param name="reduction">Spatial-reduction ratio of the attention's keys and values.</param>
    /// <param name="mlpRatio">Hidden width of the Mix-FFN relative to C (4 in MiT).</param>
    /// <param name="dropPath">Stochastic-depth probability of this block (0: none).</param>
    public MixTransformerBlock(string name, int dim, int heads, int reduction, int mlpRatio, double dropPath) : base(name)
    {
        norm1 = nn.LayerNorm(dim, eps: 1e-6);
        attn = new EfficientSelfAttention("attn", dim, heads, reduction);
        norm2 = nn.LayerNorm(dim, eps: 1e-6);
        mlp = new MixFeedForward("mlp", dim, dim * mlpRatio);
        if (dropPath > 0) this.dropPath = new DropPath("drop_path", dropPath);
        RegisterComponents();
    }

    /// <summary>The block's attention (its <see cref="EfficientSelfAttention.Fused"/> switch).</summary>
    public EfficientSelfAttention Attention => attn;

    /// <summary><c>[B, H, W, C]</c> → <c>[B, H, W, C]</c>.</summary>
    public override Tensor forward(Tensor x)
    {
        var y = attn.call(norm1.call(x));
        x = x + (dropPath is null ? y : dropPath.call(y));
        y = mlp.call(norm2.call(x));
        return x + (dropPath is null ? y : dropPath.call(y));
    }

    public OnnxValue ExportOnnx(OnnxGraphBuilder graph, OnnxValue x)
    {
        var y = graph.Module(attn, graph.Module(norm1, x));
        x = graph.Add(x, dropPath is null ? y : graph.Module(dropPath, y));
        y = graph.Module(mlp, graph.Module(norm2, x));
        return graph.Add(x, dropPath is null ? y : graph.Module(dropPath, y));
    }
}
