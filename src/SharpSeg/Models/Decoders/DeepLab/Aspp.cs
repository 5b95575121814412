using TorchSharp;
using static TorchSharp.torch;
using SharpSeg.Models.Onnx;

namespace SharpSeg.Models.Decoders.DeepLab;

/// <summary>torchvision's ASPP: parallel 1×1 conv, three 3×3 atrous convs (rates) and image pooling, each → BN → ReLU,
/// concatenated, projected by 1×1 conv → BN → ReLU → dropout 0.5. <c>[N, in, h, w] → [N, out, h, w]</c>.</summary>
internal sealed class Aspp : nn.Module<Tensor, Tensor>, IOnnxExportable
{
    private readonly TorchSharp.Modules.ModuleList<nn.Module<Tensor, Tensor>> convs;
    private readonly nn.Module<Tensor, Tensor> project;

    public Aspp(string name, int inChannels, IReadOnlyList<int> rates, int outChannels = 256) : base(name)
    {
        var list = new List<nn.Module<Tensor, Tensor>> { Conv2dNormActivation.Create(inChannels, outChannels, kernelSize: 1) };
        foreach (int r in rates) list.Add(Conv2dNormActivation.Create(inChannels, outChannels, kernelSize: 3, dilation: r));
        list.Add(new AsppPooling($"{list.Count}", inChannels, outChannels));
        convs = nn.ModuleList(list.ToArray());
        project = nn.Sequential(
            nn.Conv2d(list.Count * outChannels, outChannels, kernel_size: 1, bias: false),
            nn.BatchNorm2d(outChannels), nn.ReLU(inplace: true), nn.Dropout(0.5));
        RegisterComponents();
    }

    /// <summary>Atrous rates for an encoder output stride (torchvision: 12/24/36 at 8; DeepLabV3 paper: 6/12/18 at 16).</summary>
    public static int[] RatesFor(int outputStride) => outputStride switch
    {
        8 => [12, 24, 36],
        16 => [6, 12, 18],
        _ => [3, 6, 9],
    };

    public override Tensor forward(Tensor x)
    {
        var branches = new Tensor[convs.Count];
        for (int i = 0; i < convs.Count; i++) branches[i] = convs[i].call(x);
        return project.call(torch.cat(branches, dim: 1));
    }

    public OnnxValue ExportOnnx(OnnxGraphBuilder graph, OnnxValue x) =>
        graph.Module(project, graph.Concat(Enumerable.Range(0, convs.Count).Select(i => graph.Module(convs[i], x)).ToArray()));
}
