using TorchSharp;
using static TorchSharp.torch;
using SharpSeg.Models.Onnx;

namespace SharpSeg.Models.Decoders;

/// <summary>One U-Net decoder step: upsample the deeper map to the skip's size, concatenate the skip, double conv.</summary>
internal sealed class UNetUpBlock : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor>? up;
    private readonly nn.Module<Tensor, Tensor> conv;
    private readonly bool hasSkip;
    private readonly InterpolationMode interpolation;

    public UNetUpBlock(string name, int inChannels, int skipChannels, int outChannels, int scale, UpsamplingMode mode, bool batchNorm) : base(name)
    {
        int upChannels = inChannels;
        if (mode == UpsamplingMode.Transposed && scale > 1)
        {
            up = nn.ConvTranspose2d(inChannels, outChannels, kernel_size: scale, stride: scale);
            upChannels = outChannels;
        }
        hasSkip = skipChannels > 0;
        interpolation = mode == UpsamplingMode.Nearest ? InterpolationMode.Nearest : InterpolationMode.Bilinear;
        conv = new ConvBlock("conv", upChannels + skipChannels, outChannels, batchNorm);
        RegisterComponents();
    }

    /// <summary><paramref name="x"/> <c>[N, in, h, w]</c>, <paramref name="skip"/> <c>[N, skip, H, W]</c> → <c>[N, out, H, W]</c>.</summary>
    public override Tensor forward(Tensor x, Tensor skip)
    {
        long[] size = [skip.shape[2], skip.shape[3]];
        if (up is not null) x = up.call(x);
        if (x.shape[2] != size[0] || x.shape[3] != size[1])
            x = interpolation == InterpolationMode.Nearest
                ? nn.functional.interpolate(x, size: size, mode: InterpolationMode.Nearest)
                : nn.functional.interpolate(x, size: size, mode: InterpolationMode.Bilinear, align_corners: false);
        if (hasSkip) x = torch.cat([x, skip], dim: 1);
        return conv.forward(x);
    }

    /// <summary>ONNX graph of <see cref="forward"/>: the bilinear path always resizes to the skip's size (an exact
    /// identity when the sizes already match, as at dilated stages).</summary>
    public OnnxValue ExportOnnx(OnnxGraphBuilder graph, OnnxValue x, OnnxValue skip)
    {
        if (up is not null) x = graph.Module(up, x);
        else x = graph.ResizeLike(x, skip);
        if (hasSkip) x = graph.Concat([x, skip]);
        return graph.Module(conv, x);
    }
}
