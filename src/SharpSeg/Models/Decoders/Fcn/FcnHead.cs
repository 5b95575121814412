using static TorchSharp.torch;

namespace SharpSeg.Models.Decoders.Fcn;

/// <summary>torchvision's FCNHead: 3×3 conv in→in/4 (no bias) → BN → ReLU → dropout 0.1 → 1×1 conv to classes (with
/// bias), or without the classifier when <c>numClasses</c> is null. <c>[N, in, h, w] → [N, classes, h, w]</c>.</summary>
internal static class FcnHead
{
    public static nn.Module<Tensor, Tensor> Create(int inChannels, int? numClasses)
    {
        int inter = Math.Max(1, inChannels / 4);
        var layers = new List<nn.Module<Tensor, Tensor>>
        {
            nn.Conv2d(inChannels, inter, kernel_size: 3, padding: 1, bias: false),
            nn.BatchNorm2d(inter),
            nn.ReLU(inplace: true),
            nn.Dropout(0.1),
        };
        if (numClasses is { } k) layers.Add(nn.Conv2d(inter, k, kernel_size: 1));
        return nn.Sequential(layers.ToArray());
    }
}
