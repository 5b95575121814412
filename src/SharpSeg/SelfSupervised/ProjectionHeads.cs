using static TorchSharp.torch;

namespace SharpSeg.SelfSupervised;

/// <summary>The small heads put on an encoder during contrastive pretraining (thrown away afterwards).</summary>
public static class ProjectionHeads
{
    /// <summary>
    /// SimCLR's projection head g(·) in Lightly's form: Linear → BatchNorm1d → ReLU → Linear, <c>[N, in] → [N, out]</c>,
    /// applied to the globally average-pooled deepest feature map.
    /// </summary>
    public static nn.Module<Tensor, Tensor> Global(int inFeatures, int hiddenFeatures, int outFeatures) => nn.Sequential(
        ("fc1", nn.Linear(inFeatures, hiddenFeatures, hasBias: false)),
        ("bn1", nn.BatchNorm1d(hiddenFeatures)),
        ("relu", nn.ReLU()),
        ("fc2", nn.Linear(hiddenFeatures, outFeatures)));

    /// <summary>
    /// DenseCL's dense projection head: 1×1 convolution → ReLU → 1×1 convolution, <c>[N, in, h, w] → [N, out, h, w]</c>
    /// (the global head applied to every cell of the deepest feature map).
    /// </summary>
    public static nn.Module<Tensor, Tensor> Dense(int inChannels, int hiddenChannels, int outChannels) => nn.Sequential(
        ("conv1", nn.Conv2d(inChannels, hiddenChannels, kernel_size: 1)),
        ("relu", nn.ReLU()),
        ("conv2", nn.Conv2d(hiddenChannels, outChannels, kernel_size: 1)));
}
