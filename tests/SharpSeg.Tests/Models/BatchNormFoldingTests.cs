using SharpSeg.Models.Fusion;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace SharpSeg.Tests.Models;

/// <summary>The folding arithmetic and the channels-last layout; every registered model is checked folded in
/// <c>OnnxExportParityTests</c>.</summary>
public sealed class BatchNormFoldingTests
{
    [Fact]
    public void FoldArithmeticMatchesConvThenBatchNorm()
    {
        torch.manual_seed(1);
        var conv = nn.Conv2d(3, 4, kernel_size: 3, padding: 1, groups: 1, bias: true);
        var bn = nn.BatchNorm2d(4, eps: 1e-3);
        using (torch.no_grad())
        {
            bn.running_mean!.copy_(torch.tensor(new float[] { 0.5f, -1f, 2f, 0f }));
            bn.running_var!.copy_(torch.tensor(new float[] { 0.25f, 4f, 1f, 9f }));
            bn.weight!.copy_(torch.tensor(new float[] { 1.5f, -0.5f, 2f, 1f }));
            bn.bias!.copy_(torch.tensor(new float[] { 0.1f, 0.2f, -0.3f, 0f }));
        }
        bn.eval();
        using var noGrad = torch.no_grad();
        var x = randn(2, 3, 9, 7);
        var expected = bn.call(conv.call(x));
        var (w, b) = BatchNormFolding.Fold(conv, bn);
        var actual = nn.functional.conv2d(x, w, b, padding: [1, 1]);
        Assert.True((expected - actual).abs().max().item<float>() < 1e-5);
        // Hand-checked channel 1: scale = -0.5 / sqrt(4 + 1e-3); bias' = (b - (-1)) * scale + 0.2.
        double scale = -0.5 / Math.Sqrt(4.001);
        Assert.Equal(conv.weight![1, 0, 0, 0].item<float>() * scale, w[1, 0, 0, 0].item<float>(), 5);
        Assert.Equal((conv.bias![1].item<float>() + 1) * scale + 0.2, b[1].item<float>(), 5);
    }

    [Fact]
    public void ChannelsLastKeepsValuesAndChangesStrides()
    {
        var x = arange(2 * 3 * 4 * 5, dtype: ScalarType.Float32).reshape(2, 3, 4, 5);
        var y = ChannelsLast.Convert(x);
        Assert.True(ChannelsLast.IsChannelsLast(y));
        Assert.False(ChannelsLast.IsChannelsLast(x));
        Assert.Equal(0f, (x - y).abs().max().item<float>());
    }
}
