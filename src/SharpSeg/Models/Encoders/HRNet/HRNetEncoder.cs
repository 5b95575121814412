using SharpSeg.Models.Encoders.ResNet;
using TorchSharp;
using static TorchSharp.torch;
using SharpSeg.Models.Onnx;

namespace SharpSeg.Models.Encoders.HRNet;

/// <summary>
/// HRNetV2-W18-Small-v2 (Wang et al. 2019, the official HRNet-Semantic-Segmentation config
/// <c>seg_hrnet_w18_small_v2</c>, also MMSegmentation's <c>hr18s</c>) as an encoder: a stem of two 3×3 stride-2 convs
/// (64 channels, stride 4), two Bottlenecks (256 channels), then stages of 1, 3 and 2 modules with 2, 3 and 4 parallel
/// branches of widths 18/36/72/144 (two BasicBlocks per branch per module) and multi-resolution fusion after every module.
/// Returns 6 maps: the input (stride 1), the first stem conv (stride 2, 64 channels), and the four branches at strides
/// 4, 8, 16, 32 (18, 36, 72, 144 channels).
/// </summary>
/// <remarks>
/// Chosen over v1 (one 32-wide Bottleneck, one module per stage, branches 16/32/64/128; 1.5 M parameters) because v2 is what
/// "HRNet-W18-small" means in MMSegmentation and most papers. With the HRNet head and 19 classes the reference lists
/// 3.9 M parameters and 71.6 GFLOPs at 1024×2048. The output stride is always 32 (no dilation). Parameter names mirror the
/// official keys (<c>conv1</c>, <c>bn2</c>, <c>layer1.0.downsample.0</c>, <c>transition1.1.0.0</c>, <c>stage3.2.fuse_layers.2.0.1.0</c>).
/// Differences: fusion upsampling uses <c>align_corners=false</c> (the official seg code defaults to true; MMSegmentation
/// uses false), and branches the official code leaves as <c>None</c> in the transitions are Identity modules.
/// </remarks>
public sealed class HRNetEncoder : Encoder
{
    private readonly nn.Module<Tensor, Tensor> conv1, bn1, conv2, bn2, relu, layer1;
    private readonly TorchSharp.Modules.ModuleList<nn.Module<Tensor, Tensor>>[] transitions;
    private readonly TorchSharp.Modules.ModuleList<HighResolutionModule>[] stages;
    private readonly int inChannels;
    private readonly int[] outChannels;

    // (modules, branch widths) of stages 2..4; every branch of every module has BlocksPerBranch BasicBlocks.
    private static readonly (int Modules, int[] Channels)[] StageSpecs = [(1, [18, 36]), (3, [18, 36, 72]), (2, [18, 36, 72, 144])];
    private const int BlocksPerBranch = 2, StemWidth = 64, Layer1Blocks = 2;

    /// <param name="inChannels">Image channels.</param>
    public HRNetEncoder(int inChannels = 3) : base(nameof(HRNetEncoder))
    {
        if (inChannels < 1) throw new ArgumentOutOfRangeException(nameof(inChannels), $"in_channels must be at least 1, got {inChannels}");
        this.inChannels = inChannels;
        conv1 = nn.Conv2d(inChannels, StemWidth, kernel_size: 3, stride: 2, padding: 1, bias: false);
        bn1 = nn.BatchNorm2d(StemWidth);
        conv2 = nn.Conv2d(StemWidth, StemWidth, kernel_size: 3, stride: 2, padding: 1, bias: false);
        bn2 = nn.BatchNorm2d(StemWidth);
        relu = nn.ReLU(inplace: true);
        int layer1Out = StemWidth * ResNetBottleneck.Expansion;
        var downsample = nn.Sequential(nn.Conv2d(StemWidth, layer1Out, kernel_size: 1, bias: false), nn.BatchNorm2d(layer1Out));
        layer1 = nn.Sequential(Enumerable.Range(0, Layer1Blocks).Select(k => (nn.Module<Tensor, Tensor>)new ResNetBottleneck(
            $"{k}", k == 0 ? StemWidth : layer1Out, StemWidth, 1, 1, k == 0 ? downsample : null)).ToArray());
        RegisterComponents(); // the fields; the per-stage lists are arrays, registered below under the official names

        transitions = new TorchSharp.Modules.ModuleList<nn.Module<Tensor, Tensor>>[StageSpecs.Length];
        stages = new TorchSharp.Modules.ModuleList<HighResolutionModule>[StageSpecs.Length];
        int[] previous = [layer1Out];
        for (int s = 0; s < StageSpecs.Length; s++)
        {
            var (modules, channels) = StageSpecs[s];
            transitions[s] = nn.ModuleList(Transition(previous, channels));
            stages[s] = nn.ModuleList(Enumerable.Range(0, modules).Select(m => new HighResolutionModule($"{m}", channels, BlocksPerBranch)).ToArray());
            register_module($"transition{s + 1}", transitions[s]);
            register_module($"stage{s + 2}", stages[s]);
            previous = channels;
        }
        outChannels = [inChannels, StemWidth, .. previous];
    }

    public override int InChannels => inChannels;
    public override IReadOnlyList<int> OutChannels => outChannels;
    public override IReadOnlyList<int> Strides { get; } = [1, 2, 4, 8, 16, 32];

    /// <summary><c>[N, InChannels, H, W]</c> (H, W multiples of 32) → [input, stem conv1 (stride 2), branch 1..4].</summary>
    public override Tensor[] forward(Tensor x)
    {
        var stem = relu.call(bn1.call(conv1.call(x)));
        Tensor[] y = [layer1.call(relu.call(bn2.call(conv2.call(stem))))];
        for (int s = 0; s < stages.Length; s++)
        {
            var transition = transitions[s];
            // Existing branches go through their transition (Identity when the width is unchanged); a new branch
            // starts from the lowest-resolution map of the previous stage, as in the official code.
            var branchInputs = new Tensor[transition.Count];
            for (int i = 0; i < branchInputs.Length; i++) branchInputs[i] = transition[i].call(y[Math.Min(i, y.Length - 1)]);
            y = branchInputs;
            foreach (var module in stages[s]) y = module.call(y);
        }
        return [x, stem, .. y];
    }

    public override OnnxValue[] ExportOnnx(OnnxGraphBuilder graph, OnnxValue x)
    {
        var stem = graph.Relu(graph.Conv(conv1, bn1, x));
        OnnxValue[] y = [graph.Module(layer1, graph.Relu(graph.Conv(conv2, bn2, stem)))];
        for (int s = 0; s < stages.Length; s++)
        {
            var transition = transitions[s];
            var branchInputs = new OnnxValue[transition.Count];
            for (int i = 0; i < branchInputs.Length; i++) branchInputs[i] = graph.Module(transition[i], y[Math.Min(i, y.Length - 1)]);
            y = branchInputs;
            foreach (var module in stages[s]) y = module.ExportOnnx(graph, y);
        }
        return [x, stem, .. y];
    }

    /// <summary>The official <c>_make_transition_layer</c>: a 3×3 conv → BN → ReLU where a branch changes width, a chain of
    /// 3×3 stride-2 convs for a new branch, Identity (official: None) otherwise.</summary>
    private static nn.Module<Tensor, Tensor>[] Transition(int[] previous, int[] current)
    {
        var layers = new nn.Module<Tensor, Tensor>[current.Length];
        for (int i = 0; i < current.Length; i++)
        {
            if (i < previous.Length)
            {
                layers[i] = current[i] == previous[i] ? nn.Identity()
                    : nn.Sequential(nn.Conv2d(previous[i], current[i], kernel_size: 3, padding: 1, bias: false), nn.BatchNorm2d(current[i]), nn.ReLU(inplace: true));
                continue;
            }
            int steps = i + 1 - previous.Length;
            layers[i] = nn.Sequential(Enumerable.Range(0, steps).Select(j =>
            {
                int inCh = previous[^1], outCh = j == steps - 1 ? current[i] : inCh;
                return (nn.Module<Tensor, Tensor>)nn.Sequential(nn.Conv2d(inCh, outCh, kernel_size: 3, stride: 2, padding: 1, bias: false), nn.BatchNorm2d(outCh), nn.ReLU(inplace: true));
            }).ToArray());
        }
        return layers;
    }
}
