using TorchSharp;
using static TorchSharp.torch;
using SharpSeg.Models.Onnx;

namespace SharpSeg.Models;

/// <summary>
/// The U-Net double convolution: (3×3 conv → [BatchNorm] → ReLU) × 2, padding 1, so <c>[N, in, H, W] → [N, out, H, W]</c>.
/// With BatchNorm the convolutions have no bias (BatchNorm's shift makes it redundant).
/// </summary>
internal sealed class ConvBlock : nn.Module<Tensor, Tensor>, IOnnxExportable
{
    private readonly nn.Module<Tensor, Tensor> layers;

    public ConvBlock(string name, int inChannels, int outChannels, bool batchNorm) : base(name)
    {
        var list = new List<(string, nn.Module<Tensor, Tensor>)>();
        for (int i = 0; i < 2; i++)
        {
            list.Add(($"conv{i}", nn.Conv2d(i == 0 ? inChannels : outChannels, outChannels, kernel_size: 3, padding: 1, bias: !batchNorm)));
            if (batchNorm) list.Add(($"bn{i}", nn.BatchNorm2d(outChannels)));
            list.Add(($"relu{i}", nn.ReLU(inplace: true)));
        }
        layers = nn.Sequential(list);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => layers.forward(x);

    public OnnxValue ExportOnnx(OnnxGraphBuilder graph, OnnxValue x) => graph.Module(layers, x);
}
