using System.Text.Json;
using SharpSeg.Losses;
using SharpSeg.Models;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace SharpSeg.Tests.Models;

public sealed class ModelZooTests
{
    public static IEnumerable<object[]> Entries => ModelZoo.Registered.Select(e => new object[] { e.Name });

    [Theory]
    [MemberData(nameof(Entries))]
    public void EveryRegisteredModelRunsForwardAndBackwardAtAnOddSize(string name)
    {
        var entry = ModelZoo.Registered.Single(e => e.Name == name);
        torch.manual_seed(3);
        using var model = ModelZoo.Create(entry.TinyConfig);
        var config = entry.TinyConfig;
        using var scope = NewDisposeScope();
        var x = randn(2, config.InChannels, 97, 131);
        var logits = model.forward(x);
        Assert.Equal(new long[] { 2, config.NumClasses, 97, 131 }, logits.shape);
        var loss = new CrossEntropyLoss().Compute(logits, randint(0, config.NumClasses, [2, 97, 131], dtype: ScalarType.Int64));
        Assert.True(float.IsFinite(loss.item<float>()));
        loss.backward();
        Assert.All(model.parameters(), p => Assert.NotNull(p.grad));
    }

    [Fact]
    public void RegistryCoversEveryArchitectureAndEncoderFamily()
    {
        foreach (var architecture in ModelZoo.Architectures.Keys)
            Assert.Contains(ModelZoo.Registered, e => e.Architecture == architecture);
        foreach (var encoder in new[] { "unet", "resnet18", "mobilenet_v2", "mobilenet_v3_large" })
            Assert.Contains(ModelZoo.Registered, e => e.Encoder == encoder);
        Assert.All(ModelZoo.Registered, e => Assert.Contains(e.Encoder, ModelZoo.ValidEncoders(e.Architecture)));
    }

    [Fact]
    public void RegistryListsTheUNet()
    {
        Assert.Contains(ModelZoo.Registered, e => e.Name == "unet/unet");
        Assert.NotEmpty(Entries);
    }

    [Fact]
    public void UnknownNamesAreUserErrorsListingTheValidOnes()
    {
        var ex = Assert.Throws<SharpSegException>(() => ModelZoo.Create(new ModelConfig { Architecture = "deeplab9" }));
        Assert.Contains("deeplab9", ex.Message);
        Assert.Contains("unet", ex.Message);
        ex = Assert.Throws<SharpSegException>(() => ModelZoo.Create(new ModelConfig { Encoder = "resnet999" }));
        Assert.Contains("unet", ex.Message);
        Assert.Throws<SharpSegException>(() => ModelZoo.Create(new ModelConfig { Upsampling = "bicubic" }));
        Assert.Throws<SharpSegException>(() => ModelZoo.Create(new ModelConfig { NumClasses = 0 }));
        Assert.Throws<SharpSegException>(() => ModelZoo.Create(new ModelConfig { DecoderChannels = [8, 8] }));
    }

    [Fact]
    public void DecoderChannelsOverrideTheDecoderWidths()
    {
        torch.manual_seed(5);
        using var model = ModelZoo.Create(new ModelConfig { Depth = 2, BaseWidth = 4, NumClasses = 2, DecoderChannels = [6, 10, 999] });
        Assert.Equal(6, model.Decoder.OutChannels);
        using var scope = NewDisposeScope();
        Assert.Equal(new long[] { 1, 2, 13, 11 }, model.forward(randn(1, 3, 13, 11)).shape);
    }

    [Fact]
    public void ConfigRoundTripsThroughSnakeCaseJson()
    {
        var config = new ModelConfig { InChannels = 1, NumClasses = 5, BaseWidth = 16, Dropout = 0.1, Upsampling = "transposed", DecoderChannels = [4, 8, 16, 32, 64] };
        string json = JsonSerializer.Serialize(config);
        Assert.Contains("\"in_channels\":1", json);
        Assert.Contains("\"base_width\":16", json);
        Assert.Contains("\"batch_norm\":true", json);
        Assert.Equal(config, JsonSerializer.Deserialize<ModelConfig>(json));
        Assert.NotEqual(config, config with { DecoderChannels = [4, 8, 16, 32, 65] });
        Assert.NotEqual(config, config with { DecoderChannels = null });
    }

    [Fact]
    public void ConfigReadsFromSnakeCaseYaml()
    {
        const string yaml = "architecture: unet\nencoder: unet\nin_channels: 1\nnum_classes: 4\ndepth: 3\nbase_width: 8\nbatch_norm: false\ndropout: 0.2\nupsampling: transposed\ndecoder_channels: [8, 16, 32, 64]\npadding: zeros\n";
        var config = new YamlDotNet.Serialization.DeserializerBuilder()
            .WithNamingConvention(YamlDotNet.Serialization.NamingConventions.UnderscoredNamingConvention.Instance)
            .Build().Deserialize<ModelConfig>(yaml);
        Assert.Equal(1, config.InChannels);
        Assert.Equal(4, config.NumClasses);
        Assert.Equal(8, config.BaseWidth);
        Assert.False(config.BatchNorm);
        Assert.Equal(new[] { 8, 16, 32, 64 }, config.DecoderChannels);
        Assert.Equal("zeros", config.Padding);
        config.Validate();
    }
}
