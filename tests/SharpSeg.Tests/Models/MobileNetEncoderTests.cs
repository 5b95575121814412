using SharpSeg.Models;
using SharpSeg.Models.Encoders;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using SharpSeg.Models.Encoders.MobileNet;

namespace SharpSeg.Tests.Models;

public sealed class MobileNetEncoderTests
{
    [Fact]
    public void MobileNetV2ClassifierHasTorchvisionParameterCount()
    {
        // torchvision.models.mobilenet_v2(): 3,504,872 = features + Linear(1280, 1000).
        using var encoder = new MobileNetV2Encoder();
        using var fc = nn.Linear(1280, 1000);
        Assert.Equal(3_504_872, ModelZoo.CountParameters(encoder) + ModelZoo.CountParameters(fc));
    }

    [Fact]
    public void MobileNetV3LargeClassifierHasTorchvisionParameterCount()
    {
        // torchvision.models.mobilenet_v3_large(): 5,483,032 = features + Linear(960, 1280) + Linear(1280, 1000).
        using var encoder = new MobileNetV3Encoder();
        using var fc1 = nn.Linear(960, 1280);
        using var fc2 = nn.Linear(1280, 1000);
        Assert.Equal(5_483_032, ModelZoo.CountParameters(encoder) + ModelZoo.CountParameters(fc1) + ModelZoo.CountParameters(fc2));
    }

    [Fact]
    public void ParameterNamesMirrorTorchvision()
    {
        using var v2 = new MobileNetV2Encoder();
        var names = v2.state_dict().Keys.ToHashSet();
        Assert.Contains("features.0.0.weight", names);
        Assert.Contains("features.1.conv.0.0.weight", names);
        Assert.Contains("features.2.conv.3.running_var", names);
        Assert.Contains("features.18.1.bias", names);
        using var v3 = new MobileNetV3Encoder();
        names = v3.state_dict().Keys.ToHashSet();
        Assert.Contains("features.4.block.2.fc1.weight", names);
        Assert.Contains("features.16.0.weight", names);
    }

    [Theory]
    [InlineData(32)]
    [InlineData(16)]
    [InlineData(8)]
    public void FeatureMapsHaveTheAdvertisedShapes(int outputStride)
    {
        torch.manual_seed(0);
        using var v2 = new MobileNetV2Encoder(outputStride: outputStride);
        using var v3 = new MobileNetV3Encoder(outputStride: outputStride);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        foreach (Encoder e in new Encoder[] { v2, v3 })
        {
            e.eval();
            Assert.Equal(outputStride, e.OutputStride);
            var maps = e.forward(randn(1, 3, 64, 32));
            Assert.Equal(6, maps.Length);
            for (int i = 0; i < maps.Length; i++)
                Assert.Equal(new long[] { 1, e.OutChannels[i], 64 / e.Strides[i], 32 / e.Strides[i] }, maps[i].shape);
        }
    }

    // torchvision.models.segmentation: lraspp_mobilenet_v3_large(num_classes=21) 3,221,538;
    // deeplabv3_mobilenet_v3_large(num_classes=21, aux_loss=True) 11,029,328.
    [Theory]
    [InlineData("lraspp", false, 3_221_538)]
    [InlineData("deeplabv3", true, 11_029_328)]
    public void TorchvisionMobileNetV3SegmentationModelsHaveTheirParameterCounts(string architecture, bool aux, long expected)
    {
        using var model = ModelZoo.Create(new ModelConfig { Architecture = architecture, Encoder = "mobilenet_v3_large", NumClasses = 21, AuxHead = aux });
        Assert.Equal(16, model.Encoder.OutputStride);
        Assert.Equal(expected, ModelZoo.CountParameters(model));
    }

    [Fact]
    public void LrAsppGivesInputSizedLogitsAndOnlyFitsMobileNetV3()
    {
        torch.manual_seed(1);
        using var model = ModelZoo.Create(new ModelConfig { Architecture = "lraspp", Encoder = "mobilenet_v3_large", NumClasses = 4 });
        model.eval();
        using (NewDisposeScope())
        using (no_grad())
            Assert.Equal(new long[] { 1, 4, 65, 33 }, model.forward(randn(1, 3, 65, 33)).shape);
        var ex = Assert.Throws<SharpSegException>(() => ModelZoo.Create(new ModelConfig { Architecture = "lraspp", Encoder = "resnet50" }));
        Assert.Contains("mobilenet_v3_large", ex.Message);
    }
}
