using TorchSharp;
using static TorchSharp.torch;
using SharpSeg.Models.Onnx;

namespace SharpSeg.Models.Decoders.Fpn;

/// <summary>SMP's FPN segmentation block: 3×3 conv → GroupNorm(32) → ReLU, each followed by ×2 bilinear upsampling
/// while the map is coarser than stride 4 (at least one conv). <c>[N, in, H/s, W/s] → [N, out, H/4, W/4]</c>.</summary>
internal sealed class FpnSegmentationBlock : nn.Module<Tensor, Tensor>, IOnnxExportable
{
    private readonly TorchSharp.Modules.ModuleList<nn.Module<Tensor, Tensor>> blocks;
    private readonly int stride, targetStride;

    public FpnSegmentationBlock(string name, int inChannels, int outChannels, int stride, int targetStride) : base(name)
    {
        this.stride = stride;
        this.targetStride = targetStride;
        int n = Math.Max(1, (int)Math.Round(Math.Log2((double)stride / targetStride)));
        blocks = nn.ModuleList(Enumerable.Range(0, n).Select(i => (nn.Module<Tensor, Tensor>)nn.Sequential(
            nn.Conv2d(i == 0 ? inChannels : outChannels, outChannels, kernel_size: 3, padding: 1, bias: false),
            GroupNorm(outChannels), nn.ReLU(inplace: true))).ToArray());
        RegisterComponents();
    }

    /// <summary>GroupNorm(32) with weight 1 and bias 0 set explicitly: TorchSharp 0.107's nn.GroupNorm leaves its affine
    /// parameters uninitialised (values up to 1e36 were seen).</summary>
    private static nn.Module<Tensor, Tensor> GroupNorm(int channels)
    {
        var gn = nn.GroupNorm(Math.Min(32, channels), channels);
        using (torch.no_grad())
        {
            nn.init.ones_(gn.weight!);
            nn.init.zeros_(gn.bias!);
        }
        return gn;
    }

    public override Tensor forward(Tensor x)
    {
        int s = stride;
        foreach (var block in blocks)
        {
            x = block.call(x);
            if (s > targetStride)
            {
                x = nn.functional.interpolate(x, size: [x.shape[2] * 2, x.shape[3] * 2], mode: InterpolationMode.Bilinear, align_corners: true);
                s /= 2;
            }
        }
        return x;
    }

    public OnnxValue ExportOnnx(OnnxGraphBuilder graph, OnnxValue x)
    {
        int s = stride;
        foreach (var block in blocks)
        {
            x = graph.Module(block, x);
            if (s > targetStride)
            {
                x = graph.ResizeBy(x, 2, OnnxGraphBuilder.Interpolation.Bilinear, alignCorners: true);
                s /= 2;
            }
        }
        return x;
    }
}
