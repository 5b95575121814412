using SharpSeg.Models.Encoders.ResNet;
using TorchSharp;
using static TorchSharp.torch;
using SharpSeg.Models.Onnx;

namespace SharpSeg.Models.Encoders.HRNet;

/// <summary>
/// One HRNet module (Wang et al. 2019, <c>HighResolutionModule</c> of the official seg_hrnet.py): every branch runs its own
/// BasicBlocks at its own resolution, then every output branch i sums all branches: the same one as is, lower-resolution
/// ones through a 1×1 conv → BN and bilinear upsampling, higher-resolution ones through a chain of 3×3 stride-2 convs → BN
/// (ReLU between them), followed by ReLU. <c>[N, C_b, H/2^b, W/2^b]</c> per branch b → same shapes.
/// Names mirror the official module (<c>branches.1.0.conv1.weight</c>, <c>fuse_layers.2.0.1.0.weight</c>); where the
/// official code stores <c>None</c> (i = j) an Identity without parameters keeps the indices.
/// </summary>
internal sealed class HighResolutionModule : nn.Module<Tensor[], Tensor[]>
{
    private readonly TorchSharp.Modules.ModuleList<nn.Module<Tensor, Tensor>> branches;
    [TorchSharp.Utils.ComponentName(Name = "fuse_layers")]
    private readonly TorchSharp.Modules.ModuleList<TorchSharp.Modules.ModuleList<nn.Module<Tensor, Tensor>>> fuseLayers;
    private readonly nn.Module<Tensor, Tensor> relu;
    private readonly int count;

    /// <param name="name">Module name.</param>
    /// <param name="channels">Width of each branch, highest resolution first (e.g. 18, 36, 72).</param>
    /// <param name="blocks">BasicBlocks per branch.</param>
    public HighResolutionModule(string name, IReadOnlyList<int> channels, int blocks) : base(name)
    {
        count = channels.Count;
        branches = nn.ModuleList(channels.Select(c => (nn.Module<Tensor, Tensor>)nn.Sequential(
            Enumerable.Range(0, blocks).Select(k => (nn.Module<Tensor, Tensor>)new ResNetBasicBlock($"{k}", c, c, 1, 1, 1, null)).ToArray())).ToArray());
        var fuse = new List<TorchSharp.Modules.ModuleList<nn.Module<Tensor, Tensor>>>();
        if (count > 1)
        {
            for (int i = 0; i < count; i++)
            {
                var row = new nn.Module<Tensor, Tensor>[count];
                for (int j = 0; j < count; j++)
                {
                    if (j > i)
                        row[j] = nn.Sequential(nn.Conv2d(channels[j], channels[i], kernel_size: 1, bias: false), nn.BatchNorm2d(channels[i]));
                    else if (j == i)
                        row[j] = nn.Identity();
                    else
                        row[j] = nn.Sequential(Enumerable.Range(0, i - j).Select(k => k == i - j - 1
                            ? (nn.Module<Tensor, Tensor>)nn.Sequential(nn.Conv2d(channels[j], channels[i], kernel_size: 3, stride: 2, padding: 1, bias: false), nn.BatchNorm2d(channels[i]))
                            : nn.Sequential(nn.Conv2d(channels[j], channels[j], kernel_size: 3, stride: 2, padding: 1, bias: false), nn.BatchNorm2d(channels[j]), nn.ReLU(inplace: true))).ToArray());
                }
                fuse.Add(nn.ModuleList(row));
            }
        }
        fuseLayers = nn.ModuleList(fuse.ToArray());
        relu = nn.ReLU(inplace: true);
        RegisterComponents();
    }

    /// <summary>One map per branch, highest resolution first → the fused maps (same shapes).</summary>
    public override Tensor[] forward(Tensor[] x)
    {
        if (x.Length != count) throw new ArgumentException($"expected {count} branch maps, got {x.Length}", nameof(x));
        var y = new Tensor[count];
        for (int b = 0; b < count; b++) y[b] = branches[b].call(x[b]);
        if (count == 1) return y;
        var fused = new Tensor[count];
        for (int i = 0; i < count; i++)
        {
            long h = y[i].shape[2], w = y[i].shape[3];
            Tensor sum = y[i];
            for (int j = 0; j < count; j++)
            {
                if (j == i) continue;
                var z = fuseLayers[i][j].call(y[j]);
                if (j > i) z = nn.functional.interpolate(z, size: [h, w], mode: InterpolationMode.Bilinear, align_corners: false);
                sum = sum + z;
            }
            fused[i] = relu.call(sum);
        }
        return fused;
    }

    /// <summary>ONNX graph of <see cref="forward"/>: branch maps in, fused maps out (upsampling to the target branch's
    /// run-time size, bilinear with align_corners=false as the forward).</summary>
    public OnnxValue[] ExportOnnx(OnnxGraphBuilder graph, OnnxValue[] x)
    {
        if (x.Length != count) throw new ArgumentException($"expected {count} branch maps, got {x.Length}", nameof(x));
        var y = new OnnxValue[count];
        for (int b = 0; b < count; b++) y[b] = graph.Module(branches[b], x[b]);
        if (count == 1) return y;
        var fused = new OnnxValue[count];
        for (int i = 0; i < count; i++)
        {
            OnnxValue sum = y[i];
            for (int j = 0; j < count; j++)
            {
                if (j == i) continue;
                var z = graph.Module(fuseLayers[i][j], y[j]);
                if (j > i) z = graph.ResizeLike(z, y[i]);
                sum = graph.Add(sum, z);
            }
            fused[i] = graph.Relu(sum);
        }
        return fused;
    }
}
