using TorchSharp;
using static TorchSharp.torch;
using SharpSeg.Models.Onnx;

namespace SharpSeg.Models.Decoders.PspNet;

/// <summary>PSPNet's pyramid pooling module: for each bin size b, adaptive average pool to b×b → 1×1 conv C→C/#bins →
/// BN → ReLU → bilinear upsampling; the branches are concatenated with the input: <c>[N, C, h, w] → [N, 2C, h, w]</c>
/// (for 4 bins).</summary>
internal sealed class PyramidPoolingModule : nn.Module<Tensor, Tensor>, IOnnxExportable
{
    private readonly TorchSharp.Modules.ModuleList<nn.Module<Tensor, Tensor>> stages;

    /// <param name="name">Module name.</param>
    /// <param name="inChannels">Channels of the input map.</param>
    /// <param name="bins">Pooled grid sizes.</param>
    /// <param name="branchChannels">Width of each branch; null: C / #bins (PSPNet). UPerNet uses a fixed width.</param>
    public PyramidPoolingModule(string name, int inChannels, IReadOnlyList<int> bins, int? branchChannels = null) : base(name)
    {
        int reduction = branchChannels ?? Math.Max(1, inChannels / bins.Count);
        stages = nn.ModuleList(bins.Select(b => (nn.Module<Tensor, Tensor>)nn.Sequential(
            nn.AdaptiveAvgPool2d(b), Conv2dNormActivation.Create(inChannels, reduction, kernelSize: 1))).ToArray());
        OutChannels = inChannels + bins.Count * reduction;
        RegisterComponents();
    }

    public int OutChannels { get; }

    public override Tensor forward(Tensor x)
    {
        var parts = new Tensor[stages.Count + 1];
        parts[0] = x;
        long[] size = [x.shape[2], x.shape[3]];
        for (int i = 0; i < stages.Count; i++)
            parts[i + 1] = nn.functional.interpolate(stages[i].call(x), size: size, mode: InterpolationMode.Bilinear, align_corners: false);
        return torch.cat(parts, dim: 1);
    }

    public OnnxValue ExportOnnx(OnnxGraphBuilder graph, OnnxValue x)
    {
        var parts = new OnnxValue[stages.Count + 1];
        parts[0] = x;
        for (int i = 0; i < stages.Count; i++) parts[i + 1] = graph.ResizeLike(graph.Module(stages[i], x), x);
        return graph.Concat(parts);
    }
}
