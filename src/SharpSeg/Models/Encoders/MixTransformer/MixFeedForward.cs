using TorchSharp;
using static TorchSharp.torch;
using SharpSeg.Models.Onnx;

namespace SharpSeg.Models.Encoders.MixTransformer;

/// <summary>
/// SegFormer's Mix-FFN: linear C→hidden (<c>fc1</c>) → 3×3 depthwise conv (<c>dwconv.dwconv</c>, with bias; it leaks
/// position information, which is why MiT needs no positional encoding) → GELU → linear hidden→C (<c>fc2</c>).
/// Channels-last <c>[B, H, W, C] → [B, H, W, C]</c>. Names mirror the official <c>Mlp</c>/<c>DWConv</c> modules.
/// </summary>
internal sealed class MixFeedForward : nn.Module<Tensor, Tensor>, IOnnxExportable
{
    private readonly nn.Module<Tensor, Tensor> fc1, dwconv, act, fc2;

    public MixFeedForward(string name, int dim, int hidden) : base(name)
    {
        fc1 = nn.Linear(dim, hidden);
        dwconv = nn.Sequential(("dwconv", nn.Conv2d(hidden, hidden, kernel_size: 3, padding: 1, groups: hidden)));
        act = nn.GELU();
        fc2 = nn.Linear(hidden, dim);
        RegisterComponents();
    }

    /// <summary><c>[B, H, W, C]</c> → <c>[B, H, W, C]</c>.</summary>
    public override Tensor forward(Tensor x)
    {
        var y = fc1.call(x);
        y = dwconv.call(y.permute(0, 3, 1, 2)).permute(0, 2, 3, 1);
        return fc2.call(act.call(y));
    }

    public OnnxValue ExportOnnx(OnnxGraphBuilder graph, OnnxValue x)
    {
        var y = graph.Module(fc1, x);
        y = graph.Transpose(graph.Module(dwconv, graph.Transpose(y, 0, 3, 1, 2)), 0, 2, 3, 1);
        return graph.Module(fc2, graph.Module(act, y));
    }
}
