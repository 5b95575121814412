using SharpSeg.Models;
using SharpSeg.Models.Encoders;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using SharpSeg.Models.Encoders.ResNet;

namespace SharpSeg.Tests.Models;

public sealed class ResNetEncoderTests
{
    // torchvision.models.resnetXX().parameters() summed (the classification network: encoder + avgpool + fc(1000)).
    [Theory]
    [InlineData("resnet18", 11_689_512)]
    [InlineData("resnet34", 21_797_672)]
    [InlineData("resnet50", 25_557_032)]
    [InlineData("resnet101", 44_549_160)]
    public void ClassificationNetworkHasTorchvisionParameterCount(string variant, long expected)
    {
        using var encoder = new ResNetEncoder(variant);
        using var fc = nn.Linear(encoder.OutChannels[^1], 1000);
        Assert.Equal(expected, ModelZoo.CountParameters(encoder) + ModelZoo.CountParameters(fc));
    }

    [Fact]
    public void ParameterNamesMirrorTorchvision()
    {
        using var encoder = new ResNetEncoder("resnet50");
        var names = encoder.state_dict().Keys.ToHashSet();
        Assert.Contains("conv1.weight", names);
        Assert.Contains("bn1.running_mean", names);
        Assert.Contains("layer1.0.conv1.weight", names);
        Assert.Contains("layer1.0.downsample.0.weight", names);
        Assert.Contains("layer1.0.downsample.1.num_batches_tracked", names);
        Assert.Contains("layer4.2.bn3.bias", names);
        Assert.DoesNotContain(names, n => n.StartsWith("fc.", StringComparison.Ordinal));
        // torchvision resnet50 has 320 state-dict entries, 2 of them fc.weight/fc.bias.
        Assert.Equal(318, names.Count);
    }

    [Theory]
    [InlineData(32, new[] { 1, 2, 4, 8, 16, 32 })]
    [InlineData(16, new[] { 1, 2, 4, 8, 16, 16 })]
    [InlineData(8, new[] { 1, 2, 4, 8, 8, 8 })]
    public void OutputStrideTradesStrideForDilation(int outputStride, int[] strides)
    {
        torch.manual_seed(0);
        using var encoder = new ResNetEncoder("resnet18", outputStride: outputStride);
        Assert.Equal(strides, encoder.Strides);
        Assert.Equal(new[] { 3, 64, 64, 128, 256, 512 }, encoder.OutChannels);
        encoder.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var features = encoder.forward(randn(1, 3, 64, 96));
        for (int i = 0; i < features.Length; i++)
            Assert.Equal(new long[] { 1, encoder.OutChannels[i], 64 / strides[i], 96 / strides[i] }, features[i].shape);
    }

    [Fact]
    public void BottleneckChannelsAreFourTimesWider()
    {
        using var encoder = new ResNetEncoder("resnet50", inChannels: 1, outputStride: 8);
        Assert.Equal(new[] { 1, 64, 256, 512, 1024, 2048 }, encoder.OutChannels);
        Assert.Equal(4, encoder.AuxStage);
    }

    [Fact]
    public void MacsOfResNet18At224MatchTorchvision()
    {
        // torchvision's weight metadata: resnet18 1.814 GFLOPS (multiply-adds) at 224×224, fc included (0.5 M).
        torch.manual_seed(0);
        using var encoder = new ResNetEncoder("resnet18");
        using var x = randn(1, 3, 224, 224);
        long macs = FlopCounter.CountMacs(encoder, () => encoder.forward(x)) + 512 * 1000;
        Assert.InRange(macs / 1e9, 1.80, 1.84);
    }

    [Theory]
    [InlineData(4, new[] { 1, 2, 4, 8, 16 }, new[] { 3, 64, 64, 128, 256 })]
    [InlineData(3, new[] { 1, 2, 4, 8 }, new[] { 3, 64, 64, 128 })]
    public void A_shortened_encoder_stops_before_layer4(int depth, int[] strides, int[] channels)
    {
        torch.manual_seed(0);
        using var full = new ResNetEncoder("resnet18");
        using var shortened = new ResNetEncoder("resnet18", depth: depth);
        Assert.Equal(strides, shortened.Strides);
        Assert.Equal(channels, shortened.OutChannels);
        Assert.DoesNotContain(shortened.state_dict().Keys, k => k.StartsWith("layer4.", StringComparison.Ordinal));
        Assert.True(shortened.LeavesOut("layer4.0.conv1.weight") && !shortened.LeavesOut("layer2.0.conv1.weight"));
        Assert.Equal(depth == 3, shortened.LeavesOut("layer3.1.bn2.weight"));
        Assert.False(full.LeavesOut("layer4.0.conv1.weight"));
        // The same weights give the same maps as the full encoder's first stages.
        shortened.load_state_dict(full.state_dict().Where(kv => !shortened.LeavesOut(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value));
        full.eval(); shortened.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = randn(1, 3, 64, 96);
        var a = full.forward(x); var b = shortened.forward(x);
        Assert.Equal(depth + 1, b.Length);
        for (int i = 0; i < b.Length; i++) Assert.True(a[i].eq(b[i]).all().item<bool>(), $"map {i}");
        long fullMacs = FlopCounter.CountMacs(full, () => full.forward(x)), shortMacs = FlopCounter.CountMacs(shortened, () => shortened.forward(x));
        Assert.True(shortMacs < (depth == 4 ? 0.8 : 0.6) * fullMacs, $"{shortMacs} MACs against {fullMacs}"); // layer4 is 23 % of ResNet-18's MACs, layer3 another 23 %
        Assert.Throws<ArgumentOutOfRangeException>(() => new ResNetEncoder("resnet18", depth: 6));
    }
}
