using TorchSharp;
using static TorchSharp.torch;
using SharpSeg.Models.Onnx;

namespace SharpSeg.Models.Encoders.MixTransformer;

/// <summary>
/// MiT's overlapping patch embedding: a <c>k×k</c> convolution with stride s and padding k/2 (7×7 s4 for the first
/// stage, 3×3 s2 after), then LayerNorm over channels (eps 1e-5, as the official <c>OverlapPatchEmbed</c>).
/// <c>[B, C_in, H, W]</c> (channels-first) → channels-last <c>[B, H/s, W/s, C]</c> for the transformer blocks.
/// </summary>
internal sealed class OverlapPatchEmbedding : nn.Module<Tensor, Tensor>, IOnnxExportable
{
    private readonly nn.Module<Tensor, Tensor> proj, norm;

    public OverlapPatchEmbedding(string name, int inChannels, int dim, int kernelSize, int stride) : base(name)
    {
        proj = nn.Conv2d(inChannels, dim, kernel_size: kernelSize, stride: stride, padding: kernelSize / 2);
        norm = nn.LayerNorm(dim);
        RegisterComponents();
    }

    /// <summary><c>[B, C_in, H, W]</c> → <c>[B, H/s, W/s, C]</c>.</summary>
    public override Tensor forward(Tensor x) => norm.call(proj.call(x).permute(0, 2, 3, 1));

    public OnnxValue ExportOnnx(OnnxGraphBuilder graph, OnnxValue x) => graph.Module(norm, graph.Transpose(graph.Module(proj, x), 0, 2, 3, 1));
}
