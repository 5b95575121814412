using TorchSharp;
using static TorchSharp.torch;
using SharpSeg.Models.Onnx;

namespace SharpSeg.Models.Encoders.MixTransformer;

/// <summary>Stochastic depth (Huang et al. 2016, timm's <c>DropPath</c>): in training, zeroes a residual branch for a
/// whole sample with probability p and scales the kept samples by 1/(1−p); identity in eval mode or when p is 0.
/// Any shape whose first dimension is the batch.</summary>
internal sealed class DropPath : nn.Module<Tensor, Tensor>, IOnnxExportable
{
    private readonly double p;

    public DropPath(string name, double p) : base(name)
    {
        if (p < 0 || p >= 1) throw new ArgumentOutOfRangeException(nameof(p), $"drop-path probability must be in [0, 1), got {p}");
        this.p = p;
    }

    /// <summary>The probability of dropping a sample's branch.</summary>
    public double Probability => p;

    public override Tensor forward(Tensor x)
    {
        if (!training || p == 0) return x;
        var shape = new long[x.dim()];
        Array.Fill(shape, 1L);
        shape[0] = x.shape[0];
        double keep = 1 - p;
        var mask = torch.rand(shape, dtype: x.dtype, device: x.device).add_(keep).floor_();
        return x.div(keep).mul_(mask);
    }

    /// <summary>Eval mode (what an exported graph runs): the identity. Random dropping in training mode has no graph.</summary>
    public OnnxValue ExportOnnx(OnnxGraphBuilder graph, OnnxValue x) =>
        !training || p == 0 ? x : throw graph.Unsupported(this, "stochastic depth in training mode");
}
