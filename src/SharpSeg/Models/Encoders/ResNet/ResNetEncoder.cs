using SharpSeg.Onnx;
using TorchSharp;
using static TorchSharp.torch;
using SharpSeg.Models.Onnx;

namespace SharpSeg.Models.Encoders.ResNet;

/// <summary>
/// torchvision's ResNet-18/34/50/101 (and the [2, 2, 2, 3]-block ResNet-18 of the offline ImageNet weights) as an encoder: stem (7×7 conv stride 2 → BN → ReLU), 3×3 max-pool stride 2,
/// then layer1..layer4. Returns 6 maps: the input itself (stride 1, <c>InChannels</c>), the stem (stride 2, 64 ch),
/// layer1 (4), layer2 (8), layer3 (16), layer4 (32); channels 64/128/256/512 for ResNet-18/34 and ×4 for ResNet-50/101.
/// </summary>
/// <remarks>
/// Output stride 16 or 8 replaces the stride of layer4 (and layer3) by dilation, as torchvision's
/// <c>replace_stride_with_dilation</c>; the strides then read e.g. [1, 2, 4, 8, 8, 8]. Parameter names mirror
/// torchvision's (<c>conv1.weight</c>, <c>bn1.running_mean</c>, <c>layer1.0.conv1.weight</c>, <c>layer2.0.downsample.0.weight</c>),
/// so a torchvision state dict without <c>fc.*</c> maps one to one. Differences: the classification <c>avgpool</c>/<c>fc</c>
/// are not part of the encoder, and BasicBlock accepts dilation (torchvision refuses it).
/// </remarks>
public sealed class ResNetEncoder : Encoder
{
    private readonly nn.Module<Tensor, Tensor> conv1, bn1, relu, maxpool, layer1, layer2;
    private readonly nn.Module<Tensor, Tensor>? layer3, layer4;
    private readonly int inChannels;
    private readonly int[] outChannels;
    private readonly int[] strides;

    /// <summary>The variants: name → (blocks per layer, bottleneck?).</summary>
    public static IReadOnlyDictionary<string, (int[] Layers, bool Bottleneck)> Variants { get; } = new Dictionary<string, (int[], bool)>
    {
        ["resnet18"] = ([2, 2, 2, 2], false),
        ["resnet34"] = ([3, 4, 6, 3], false),
        ["resnet50"] = ([3, 4, 6, 3], true),
        ["resnet101"] = ([3, 4, 23, 3], true),
        // The ImageNet-trained ResNet-18 shipped offline in Microsoft.ML.DnnImageFeaturizer.ResNet18 (CNTK export): three
        // blocks in layer4 (docs/PRETRAINED.md). Weights: Pretrained.ImageNetResNet18.
        ["resnet18_imagenet"] = ([2, 2, 2, 3], false),
    };

    /// <param name="variant">A key of <see cref="Variants"/>: "resnet18", "resnet34", "resnet50", "resnet101", "resnet18_imagenet".</param>
    /// <param name="inChannels">Image channels (the stem adapts; 3 matches torchvision weights).</param>
    /// <param name="outputStride">8, 16 or 32: stride of layer4's output.</param>
    /// <param name="width">Channels of the stem and layer1 (64 in every published ResNet; layer2..4 double it). Smaller
    /// widths only serve tests with small weight fixtures.</param>
    /// <param name="depth">Downsampling stages kept (segmentation_models.pytorch's <c>encoder_depth</c>): 5 (all), 4 (no
    /// layer4: features to stride 16, a third fewer MACs for ResNet-18 at the same input) or 3 (neither layer3 nor layer4).</param>
    public ResNetEncoder(string variant = "resnet50", int inChannels = 3, int outputStride = 32, int width = 64, int depth = 5) : base(nameof(ResNetEncoder))
    {
        if (!Variants.TryGetValue(variant, out var spec))
            throw new ArgumentException($"unknown ResNet variant '{variant}': use one of {string.Join(", ", Variants.Keys)}", nameof(variant));
        if (inChannels < 1) throw new ArgumentOutOfRangeException(nameof(inChannels), $"in_channels must be at least 1, got {inChannels}");
        if (outputStride is not (8 or 16 or 32)) throw new ArgumentOutOfRangeException(nameof(outputStride), $"output stride must be 8, 16 or 32, got {outputStride}");
        if (width < 1) throw new ArgumentOutOfRangeException(nameof(width), $"width must be at least 1, got {width}");
        if (depth is < 3 or > 5) throw new ArgumentOutOfRangeException(nameof(depth), $"depth must be 3, 4 or 5, got {depth}");
        Variant = variant;
        this.inChannels = inChannels;
        int expansion = spec.Bottleneck ? ResNetBottleneck.Expansion : ResNetBasicBlock.Expansion;
        conv1 = nn.Conv2d(inChannels, width, kernel_size: 7, stride: 2, padding: 3, bias: false);
        bn1 = nn.BatchNorm2d(width);
        relu = nn.ReLU(inplace: true);
        maxpool = nn.MaxPool2d(kernel_size: 3, stride: 2, padding: 1);

        int inplanes = width, dilation = 1;
        nn.Module<Tensor, Tensor> MakeLayer(int planes, int blocks, int stride, bool dilate)
        {
            int previousDilation = dilation;
            if (dilate) { dilation *= stride; stride = 1; }
            nn.Module<Tensor, Tensor>? downsample = null;
            if (stride != 1 || inplanes != planes * expansion)
                downsample = nn.Sequential(
                    nn.Conv2d(inplanes, planes * expansion, kernel_size: 1, stride: stride, bias: false),
                    nn.BatchNorm2d(planes * expansion));
            var list = new nn.Module<Tensor, Tensor>[blocks];
            for (int i = 0; i < blocks; i++)
            {
                list[i] = spec.Bottleneck
                    ? new ResNetBottleneck($"{i}", inplanes, planes, i == 0 ? stride : 1, i == 0 ? previousDilation : dilation, i == 0 ? downsample : null)
                    : new ResNetBasicBlock($"{i}", inplanes, planes, i == 0 ? stride : 1, dilation, i == 0 ? previousDilation : dilation, i == 0 ? downsample : null);
                inplanes = planes * expansion;
            }
            return nn.Sequential(list);
        }
        layer1 = MakeLayer(width, spec.Layers[0], 1, false);
        layer2 = MakeLayer(2 * width, spec.Layers[1], 2, false);
        if (depth >= 4) layer3 = MakeLayer(4 * width, spec.Layers[2], 2, outputStride == 8);
        if (depth == 5) layer4 = MakeLayer(8 * width, spec.Layers[3], 2, outputStride <= 16);
        outChannels = [.. new[] { inChannels, width, width * expansion, 2 * width * expansion, 4 * width * expansion, 8 * width * expansion }.Take(depth + 1)];
        strides = [.. new[] { 1, 2, 4, 8, Math.Min(16, outputStride), outputStride }.Take(depth + 1)];
        RegisterComponents();
    }

    /// <summary>"resnet18", "resnet34", "resnet50", "resnet101" or "resnet18_imagenet".</summary>
    public string Variant { get; }

    public override int InChannels => inChannels;
    public override IReadOnlyList<int> OutChannels => outChannels;
    public override IReadOnlyList<int> Strides => strides;

    /// <summary>Keys of the full network that this encoder leaves out with a depth below 5 (<c>layer4.*</c>, and
    /// <c>layer3.*</c> at depth 3): pretrained weights for them are skipped, not an error.</summary>
    public override bool LeavesOut(string key) =>
        (layer4 is null && key.StartsWith("layer4.", StringComparison.Ordinal)) || (layer3 is null && key.StartsWith("layer3.", StringComparison.Ordinal));

    /// <summary><c>[N, InChannels, H, W]</c> (H, W multiples of <see cref="Encoder.OutputStride"/>, so every stride halves
    /// exactly) → [input, stem, layer1, layer2, layer3, layer4] (without the layers a smaller depth leaves out).</summary>
    public override Tensor[] forward(Tensor x)
    {
        var stem = relu.call(bn1.call(conv1.call(x)));
        var f1 = layer1.call(maxpool.call(stem));
        var f2 = layer2.call(f1);
        if (layer3 is null) return [x, stem, f1, f2];
        var f3 = layer3.call(f2);
        if (layer4 is null) return [x, stem, f1, f2, f3];
        var f4 = layer4.call(f3);
        return [x, stem, f1, f2, f3, f4];
    }

    public override OnnxValue[] ExportOnnx(OnnxGraphBuilder graph, OnnxValue x)
    {
        var stem = graph.Relu(graph.Conv(conv1, bn1, x));
        var f1 = graph.Module(layer1, graph.Module(maxpool, stem));
        var f2 = graph.Module(layer2, f1);
        if (layer3 is null) return [x, stem, f1, f2];
        var f3 = graph.Module(layer3, f2);
        if (layer4 is null) return [x, stem, f1, f2, f3];
        var f4 = graph.Module(layer4, f3);
        return [x, stem, f1, f2, f3, f4];
    }
}
