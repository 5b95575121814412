using static TorchSharp.torch;

namespace SharpSeg.Models;

/// <summary>torchvision's Conv2dNormActivation: conv (no bias) → BatchNorm → activation, as a Sequential whose children
/// are named 0, 1, 2 (so state-dict keys read <c>…0.weight</c>, <c>…1.running_mean</c> as in torchvision).</summary>
internal static class Conv2dNormActivation
{
    /// <summary>"same" padding for odd kernels: <c>[N, in, H, W] → [N, out, H / stride, W / stride]</c>. BatchNorm
    /// <paramref name="eps"/>/<paramref name="momentum"/> default to PyTorch's; torchvision's MobileNetV3 uses 0.001/0.01.</summary>
    public static nn.Module<Tensor, Tensor> Create(int inChannels, int outChannels, int kernelSize = 3, int stride = 1, int dilation = 1,
        int groups = 1, Activation activation = Activation.ReLU, double eps = 1e-5, double momentum = 0.1)
    {
        var conv = nn.Conv2d(inChannels, outChannels, kernel_size: kernelSize, stride: stride, padding: (kernelSize - 1) / 2 * dilation,
            dilation: dilation, groups: groups, bias: false);
        var bn = nn.BatchNorm2d(outChannels, eps: eps, momentum: momentum);
        return activation switch
        {
            Activation.None => nn.Sequential(conv, bn),
            Activation.ReLU => nn.Sequential(conv, bn, nn.ReLU(inplace: true)),
            Activation.ReLU6 => nn.Sequential(conv, bn, nn.ReLU6(inplace: true)),
            Activation.Hardswish => nn.Sequential(conv, bn, nn.Hardswish()),
            _ => throw new ArgumentOutOfRangeException(nameof(activation)),
        };
    }

    /// <summary>The activation after the BatchNorm.</summary>
    public enum Activation { None, ReLU, ReLU6, Hardswish }
}
