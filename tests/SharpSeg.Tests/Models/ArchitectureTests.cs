using SharpSeg.Models;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using SharpSeg.Models.Encoders;
using SharpSeg.Models.Decoders.Fpn;

namespace SharpSeg.Tests.Models;

public sealed class ArchitectureTests
{
    private static SegmentationModel Build(string architecture, string encoder, int classes = 21, bool aux = false, int? outputStride = null)
    {
        torch.manual_seed(2);
        return ModelZoo.Create(new ModelConfig { Architecture = architecture, Encoder = encoder, NumClasses = classes, AuxHead = aux, OutputStride = outputStride });
    }

    // torchvision.models.segmentation.fcn_resnet50(num_classes=21, aux_loss=True) / deeplabv3_resnet50(...) parameter counts.
    [Theory]
    [InlineData("fcn", 35_322_218)]
    [InlineData("deeplabv3", 42_004_074)]
    public void TorchvisionSegmentationModelsHaveTheirParameterCounts(string architecture, long expected)
    {
        using var model = Build(architecture, "resnet50", aux: true);
        Assert.Equal(8, model.Encoder.OutputStride);
        Assert.True(model.HasAuxHead);
        Assert.Equal(expected, ModelZoo.CountParameters(model));
    }

    [Theory]
    [InlineData("fcn", 8)]
    [InlineData("deeplabv3", 8)]
    [InlineData("pspnet", 8)]
    [InlineData("deeplabv3plus", 16)]
    [InlineData("fpn", 32)]
    [InlineData("unet", 32)]
    [InlineData("unetplusplus", 32)]
    [InlineData("upernet", 32)]
    public void ArchitecturesDefaultToTheirOutputStride(string architecture, int outputStride)
    {
        Assert.Equal(outputStride, ModelZoo.DefaultOutputStride(architecture));
        using var model = Build(architecture, "resnet18", classes: 2);
        Assert.Equal(outputStride, model.Encoder.OutputStride);
    }

    [Theory]
    [InlineData("fcn", 16, 97, 131)]
    [InlineData("deeplabv3", 8, 65, 33)]
    [InlineData("deeplabv3plus", 16, 65, 33)]
    [InlineData("pspnet", 16, 97, 131)]
    [InlineData("fpn", 32, 65, 33)]
    [InlineData("fpn", 8, 33, 47)]
    [InlineData("unet", 32, 65, 33)]
    [InlineData("unet", 16, 33, 47)]
    [InlineData("unetplusplus", 32, 65, 33)]
    [InlineData("unetplusplus", 8, 33, 47)]
    [InlineData("upernet", 32, 97, 131)]
    [InlineData("upernet", 16, 65, 33)]
    public void AwkwardSizesGiveInputSizedLogitsAndAux(string architecture, int outputStride, int h, int w)
    {
        using var model = Build(architecture, "resnet18", classes: 3, aux: true, outputStride: outputStride);
        Assert.Equal(outputStride, model.Encoder.OutputStride);
        model.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = randn(1, 3, h, w);
        Assert.Equal(new long[] { 1, 3, h, w }, model.forward(x).shape);
        var (logits, auxLogits) = model.ForwardWithAux(x);
        Assert.Equal(new long[] { 1, 3, h, w }, logits.shape);
        Assert.NotNull(auxLogits);
        Assert.Equal(new long[] { 1, 3, h, w }, auxLogits!.shape);
        Assert.True(torch.allclose(logits, model.forward(x), rtol: 1e-4, atol: 1e-4));
    }

    [Theory]
    [InlineData("fpn", 4, 36, 52)]
    [InlineData("fpn", 3, 36, 52)]
    [InlineData("unet", 4, 36, 52)]
    public void Shortened_resnet_encoders_give_input_sized_logits(string architecture, int depth, int h, int w)
    {
        var config = new ModelConfig { Architecture = architecture, Encoder = "resnet18", NumClasses = 3, EncoderDepth = depth };
        config.RefuseOptionsTheModelIgnores();
        using var model = ModelZoo.Create(config);
        Assert.Equal(1 << depth, model.Encoder.OutputStride);
        if (model.Decoder is SharpSeg.Models.Decoders.Fpn.FpnDecoder fpn) Assert.Equal(4, fpn.OutputStride); // levels from stride 4, not 2
        model.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        Assert.Equal(new long[] { 2, 3, h, w }, model.forward(randn(2, 3, h, w)).shape);
    }

    [Fact]
    public void Encoder_depth_is_refused_where_it_has_no_meaning()
    {
        var onDeepLab = Assert.Throws<SharpSegException>(() => new ModelConfig { Architecture = "deeplabv3plus", Encoder = "resnet18", EncoderDepth = 4 }.RefuseOptionsTheModelIgnores());
        Assert.Contains("model.encoder_depth has no effect", onDeepLab.Message);
        Assert.Throws<SharpSegException>(() => new ModelConfig { Architecture = "fpn", Encoder = "mobilenet_v2", EncoderDepth = 4 }.RefuseOptionsTheModelIgnores());
        Assert.Contains("3, 4 or 5", Assert.Throws<SharpSegException>(() => new ModelConfig { Architecture = "fpn", Encoder = "resnet18", EncoderDepth = 2 }.Validate()).Message);
        Assert.NotEqual(new ModelConfig { Architecture = "fpn", Encoder = "resnet18" }, new ModelConfig { Architecture = "fpn", Encoder = "resnet18", EncoderDepth = 4 });
    }

    [Fact]
    public void WithoutAuxHeadForwardWithAuxReturnsNull()
    {
        using var model = Build("fcn", "resnet18", classes: 2, outputStride: 32);
        Assert.False(model.HasAuxHead);
        model.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (_, aux) = model.ForwardWithAux(randn(1, 3, 40, 40));
        Assert.Null(aux);
    }

    [Fact]
    public void EncodersThatDoNotFitTheArchitectureAreUserErrors()
    {
        var ex = Assert.Throws<SharpSegException>(() => ModelZoo.Create(new ModelConfig { Architecture = "deeplabv3", Encoder = "unet" }));
        Assert.Contains("resnet50", ex.Message);
        Assert.Contains("deeplabv3", ex.Message);
        Assert.Throws<SharpSegException>(() => ModelZoo.Create(new ModelConfig { Architecture = "fcn", Encoder = "resnet18", OutputStride = 4 }));
        Assert.Throws<SharpSegException>(() => ModelZoo.Create(new ModelConfig { Architecture = "unet", Encoder = "unet", Depth = 4, OutputStride = 8 }));
        Assert.Throws<SharpSegException>(() => ModelZoo.Create(new ModelConfig { Architecture = "unet", Encoder = "resnet18", DecoderChannels = [8, 8, 8] }));
    }

    [Fact]
    public void UNetOnResNetUsesSmpDecoderWidths()
    {
        using var model = ModelZoo.Create(new ModelConfig { Architecture = "unet", Encoder = "resnet18", NumClasses = 2 });
        Assert.Equal(16, model.Decoder.OutChannels);
        Assert.Equal(1, model.Decoder.OutputStride);
    }

    [Fact]
    public void DescribeListsParametersStrideAndMacs()
    {
        var rows = ModelZoo.Describe(numClasses: 2, flopsImageSize: 64, configs: ModelZoo.Registered.Where(e => e.Name == "fcn/resnet18").Select(e => e.TinyConfig));
        var row = Assert.Single(rows);
        Assert.Equal("fcn/resnet18", row.Name);
        Assert.Equal(16, row.OutputStride); // the registered tiny config's stride
        Assert.True(row.Parameters > 11_000_000);
        Assert.NotNull(row.GigaMacs);
        Assert.InRange(row.GigaMacs!.Value, 0.05, 2);
        Assert.False(string.IsNullOrWhiteSpace(row.Description));
        Assert.Contains(ModelZoo.Combinations, c => c.Architecture == "deeplabv3" && c.Encoder == "resnet50");
        Assert.DoesNotContain(ModelZoo.Combinations, c => c.Architecture == "lraspp" && c.Encoder != "mobilenet_v3_large");
    }

    [Theory]
    [InlineData(65, 33)]
    [InlineData(64, 96)]
    public void FpnAtDecoderStride2FusesTheStride2FeaturesAndGivesInputSizedLogits(int h, int w)
    {
        torch.manual_seed(2);
        using var model = ModelZoo.Create(new ModelConfig { Architecture = "fpn", Encoder = "resnet18", NumClasses = 3, DecoderStride = 2 });
        using var plain = Build("fpn", "resnet18", classes: 3);
        Assert.Equal(2, model.Decoder.OutputStride);
        Assert.Equal(4, plain.Decoder.OutputStride);
        Assert.Equal(FpnDecoder.FineChannels, model.Decoder.OutChannels);
        // The refinement's parameters: a 1×1 projection 64 → 48 and a 3×3 fusion (128 + 48) → 64, each with BatchNorm,
        // and a head over 64 channels instead of 128.
        long extra = 64 * 48 + 2 * 48 + 176 * 9 * 64 + 2 * 64 - (128 * 3 - 64 * 3);
        Assert.Equal(ModelZoo.CountParameters(plain) + extra, ModelZoo.CountParameters(model));
        model.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        Assert.Equal(new long[] { 2, 3, h, w }, model.forward(randn(2, 3, h, w)).shape);
        // The decoder's map is at half the input's resolution (a quarter for the plain FPN).
        var x = randn(1, 3, 64, 64);
        Assert.Equal(new long[] { 1, FpnDecoder.FineChannels, 32, 32 }, model.Decoder.forward(model.Encoder.forward(x)).shape);
        Assert.Equal(new long[] { 1, 128, 16, 16 }, plain.Decoder.forward(plain.Encoder.forward(x)).shape);
    }

    [Fact]
    public void DecoderStrideIsCheckedWhereTheModelIsBuilt()
    {
        var e = Assert.Throws<SharpSegException>(() => ModelZoo.Create(new ModelConfig { Architecture = "fpn", Encoder = "mit_b0", NumClasses = 3, DecoderStride = 2 }));
        Assert.Contains("model.decoder_stride 2", e.Message);
        Assert.Contains("no stage at stride 2", e.Message);
        Assert.Contains("decoder_stride must be 4 or 2", Assert.Throws<SharpSegException>(() => new ModelConfig { Architecture = "fpn", DecoderStride = 8 }.Validate()).Message);
    }

    [Fact]
    public void FpnWidthsComeFromDecoderChannelsAndSetItsCost()
    {
        torch.manual_seed(3);
        using var full = ModelZoo.Create(new ModelConfig { Architecture = "fpn", Encoder = "resnet18_imagenet", NumClasses = 11 });
        using var narrow = ModelZoo.Create(new ModelConfig { Architecture = "fpn", Encoder = "resnet18_imagenet", NumClasses = 11, DecoderChannels = [128, 64] });
        Assert.Equal(128, full.Decoder.OutChannels);
        Assert.Equal(64, narrow.Decoder.OutChannels);
        // Laterals: 1×1 convs from 64/128/256/512 to the pyramid width (with bias). Segmentation blocks: 3×3 convs (no
        // bias) pyramid → segmentation once per level, then segmentation → segmentation for the upsampling steps (1 + 2
        // + 3 = 6 at 1/8, 1/16, 1/32 after the first), each with a GroupNorm (2 × width). Head: 1×1 width → 11 with bias.
        static long Decoder(int p, int s) => (64 + 128 + 256 + 512) * p + 4 * p + 4 * (9 * p * s + 2 * s) + 3 * (9 * s * s + 2 * s) + 11 * s + 11;
        Assert.Equal(ModelZoo.CountParameters(full) - Decoder(256, 128) + Decoder(128, 64), ModelZoo.CountParameters(narrow));
        full.eval(); narrow.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = randn(1, 3, 192, 256);
        Assert.Equal(new long[] { 1, 11, 192, 256 }, narrow.forward(x).shape);
        long fullMacs = FlopCounter.CountMacs(full, x), narrowMacs = FlopCounter.CountMacs(narrow, x);
        Assert.True(narrowMacs < 0.7 * fullMacs, $"narrow FPN {narrowMacs / 1e9:F2} GMACs against {fullMacs / 1e9:F2}");
    }

    [Fact]
    public void DecoderChannelsAreRefusedWhereTheyDoNothingOrDoNotFit()
    {
        Assert.Contains("model.decoder_channels for fpn is [pyramid, segmentation]", Assert.Throws<SharpSegException>(() =>
            ModelZoo.Create(new ModelConfig { Architecture = "fpn", Encoder = "resnet18", NumClasses = 3, DecoderChannels = [64, 32, 16] })).Message);
        Assert.Contains("model.decoder_channels has no effect on architecture deeplabv3", Assert.Throws<SharpSegException>(() =>
            new ModelConfig { Architecture = "deeplabv3", Encoder = "resnet18", DecoderChannels = [1, 2, 3, 4, 5, 6] }.RefuseOptionsTheModelIgnores()).Message);
        var recipe = Assert.Throws<SharpSegException>(() => SharpSeg.Training.RecipeBinding.Model(SharpSeg.Training.TrainingRecipe.Load(null,
            ["model.architecture=fpn", "model.encoder=resnet18", "model.decoder_channels=[128, 64.5]"])));
        Assert.Contains("whole channel counts", recipe.Message);
    }

    [Fact]
    public void FpnGroupNormsStartAsIdentityAffine()
    {
        // Regression: TorchSharp's nn.GroupNorm left weight/bias uninitialised, so FPN logits reached 1e34.
        using var model = Build("fpn", "resnet18", classes: 2);
        foreach (var (name, p) in model.Decoder.named_parameters().Where(p => p.name.StartsWith("segBlocks", StringComparison.Ordinal) && p.name.EndsWith(".1.weight", StringComparison.Ordinal)))
            Assert.True(p.eq(1).all().item<bool>(), name);
    }

    [Fact]
    public void AuxLossTrainsTheAuxHeadAndForwardIgnoresIt()
    {
        using var model = Build("pspnet", "resnet18", classes: 3, aux: true, outputStride: 32);
        Assert.Equal(0.4, model.Config!.AuxWeight); // ModelConfig.DefaultAuxWeight, as in the PSPNet paper and the recipe defaults
        using var scope = NewDisposeScope();
        var x = randn(2, 3, 64, 64);
        var target = randint(0, 3, [2, 64, 64], dtype: ScalarType.Int64);
        var (logits, aux) = model.ForwardWithAux(x);
        var ce = new SharpSeg.Losses.CrossEntropyLoss();
        var loss = ce.Compute(logits, target) + model.Config.AuxWeight * ce.Compute(aux!, target);
        loss.backward();
        Assert.All(model.parameters(), p => Assert.NotNull(p.grad));

        model.zero_grad();
        ce.Compute(model.forward(x), target).backward();
        var auxParameters = model.named_parameters().Where(p => p.name.StartsWith("aux.", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(auxParameters);
        Assert.All(auxParameters, p => Assert.True(p.parameter.grad is null || p.parameter.grad.abs().sum().item<float>() == 0, p.name));
    }

    [Fact]
    public void NewConfigKeysRoundTripThroughJson()
    {
        var config = new ModelConfig { Architecture = "deeplabv3", Encoder = "resnet50", OutputStride = 16, AuxHead = true, AuxWeight = 0.4 };
        string json = System.Text.Json.JsonSerializer.Serialize(config);
        Assert.Contains("\"output_stride\":16", json);
        Assert.Contains("\"aux_head\":true", json);
        Assert.Contains("\"aux_weight\":0.4", json);
        Assert.Equal(config, System.Text.Json.JsonSerializer.Deserialize<ModelConfig>(json));
        Assert.NotEqual(config, config with { OutputStride = null });
        // A checkpoint written before these keys existed reads back with the defaults.
        var old = System.Text.Json.JsonSerializer.Deserialize<ModelConfig>("{\"architecture\":\"unet\",\"encoder\":\"unet\"}")!;
        Assert.Null(old.OutputStride);
        Assert.False(old.AuxHead);
    }
}
