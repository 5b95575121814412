using TorchSharp;
using static TorchSharp.torch;
using SharpSeg.Models.Onnx;

namespace SharpSeg.Models.Encoders;

/// <summary>
/// The plain U-Net contracting path: a double 3×3 convolution at full resolution, then <c>depth</c> times
/// (2×2 max-pool → double 3×3 convolution) with the width doubling at each stage.
/// Returns <c>depth + 1</c> maps with channels <c>baseWidth · 2^i</c> at strides <c>2^i</c>, i = 0..depth.
/// </summary>
public sealed class UNetEncoder : Encoder
{
    private readonly nn.Module<Tensor, Tensor> pool;
    private readonly TorchSharp.Modules.ModuleList<nn.Module<Tensor, Tensor>> stages;
    private readonly int inChannels;
    private readonly int[] outChannels;
    private readonly int[] strides;

    /// <param name="inChannels">Image channels (1 or 3, any positive value works).</param>
    /// <param name="depth">Number of 2× downsamplings (1..8); output stride is 2^depth.</param>
    /// <param name="baseWidth">Channels of the full-resolution stage; doubled at each downsampling.</param>
    /// <param name="batchNorm">BatchNorm after each convolution (convolutions then have no bias).</param>
    public UNetEncoder(int inChannels = 3, int depth = 4, int baseWidth = 32, bool batchNorm = true) : base(nameof(UNetEncoder))
    {
        if (inChannels < 1) throw new ArgumentOutOfRangeException(nameof(inChannels), $"in_channels must be at least 1, got {inChannels}");
        if (depth < 1 || depth > 8) throw new ArgumentOutOfRangeException(nameof(depth), $"depth must be 1..8, got {depth}");
        if (baseWidth < 1) throw new ArgumentOutOfRangeException(nameof(baseWidth), $"base_width must be at least 1, got {baseWidth}");
        this.inChannels = inChannels;
        outChannels = new int[depth + 1];
        strides = new int[depth + 1];
        var blocks = new nn.Module<Tensor, Tensor>[depth + 1];
        for (int i = 0; i <= depth; i++)
        {
            outChannels[i] = checked(baseWidth << i);
            strides[i] = 1 << i;
            blocks[i] = new ConvBlock($"stage{i}", i == 0 ? inChannels : outChannels[i - 1], outChannels[i], batchNorm);
        }
        pool = nn.MaxPool2d(kernel_size: 2, stride: 2);
        stages = nn.ModuleList(blocks);
        RegisterComponents();
    }

    public override int InChannels => inChannels;
    public override IReadOnlyList<int> OutChannels => outChannels;
    public override IReadOnlyList<int> Strides => strides;

    /// <summary><c>[N, InChannels, H, W]</c> (H, W multiples of 2^depth) → feature maps, full resolution first.</summary>
    public override Tensor[] forward(Tensor x)
    {
        var features = new Tensor[stages.Count];
        Tensor h = x;
        for (int i = 0; i < stages.Count; i++)
        {
            if (i > 0) h = pool.forward(h);
            h = stages[i].forward(h);
            features[i] = h;
        }
        return features;
    }

    public override OnnxValue[] ExportOnnx(OnnxGraphBuilder graph, OnnxValue x)
    {
        var features = new OnnxValue[stages.Count];
        OnnxValue h = x;
        for (int i = 0; i < stages.Count; i++)
        {
            if (i > 0) h = graph.Module(pool, h);
            h = graph.Module(stages[i], h);
            features[i] = h;
        }
        return features;
    }
}
