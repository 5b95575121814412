using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SharpSeg.Models.Fusion;

/// <summary>
/// Channels-last (NHWC in memory, still indexed <c>[N, C, H, W]</c>) tensors and convolution weights for CPU inference:
/// libtorch's oneDNN convolutions run faster on them and keep their outputs channels-last. TorchSharp 0.107 has no
/// <c>memory_format</c> argument on <c>contiguous</c>/<c>to</c>, so the layout is made by
/// <c>permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2)</c>: same shape and values, NHWC strides.
/// </summary>
public static class ChannelsLast
{
    /// <summary>A channels-last copy of a 4-D tensor (values and shape unchanged); other ranks are returned as they are.</summary>
    public static Tensor Convert(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        return x.dim() == 4 ? x.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2) : x;
    }

    /// <summary>True when a 4-D tensor's strides are NHWC.</summary>
    public static bool IsChannelsLast(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.dim() != 4) return false;
        var s = x.stride();
        return s[1] == 1 && s[3] == x.shape[1] && s[2] == x.shape[1] * x.shape[3];
    }

    /// <summary>Stores every Conv2d weight of <paramref name="model"/> channels-last (for inference; gradients off).
    /// Returns the number of weights converted.</summary>
    public static int ConvertWeights(nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        int n = 0;
        using var noGrad = torch.no_grad();
        foreach (var m in model.modules())
            if (m is Conv2d conv && conv.weight is { } w)
            {
                conv.weight = new Parameter(Convert(w.detach()).DetachFromDisposeScope(), requires_grad: false);
                n++;
            }
        return n;
    }
}
