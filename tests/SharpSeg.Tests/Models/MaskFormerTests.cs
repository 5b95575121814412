using SharpSeg.Models;
using SharpSeg.Models.MaskClassification;
using Xunit;
using static TorchSharp.torch;

namespace SharpSeg.Tests.Models;

/// <summary>The Mask2Former decoder beyond the registry's tests: its semantic map is the log of Σ_q softmax(class)[:K] ·
/// sigmoid(mask) from the last layer, the raw outputs have one prediction per layer plus the initial one with the
/// padded frame's extent, and masked attention changes the result.</summary>
public sealed class MaskFormerTests
{
    static ModelConfig Tiny(bool masked = true) => new()
    {
        Architecture = "mask2former", Encoder = "resnet18", NumClasses = 3, NumQueries = 5, HiddenDim = 16, DecoderLayers = 3, MaskedAttention = masked,
    };

    [Fact]
    public void SemanticMapIsTheLogOfClassTimesMaskProbabilitiesSummedOverQueries()
    {
        manual_seed(4);
        using var model = ModelZoo.Create(Tiny());
        model.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = randn(2, 3, 64, 96);
        var features = model.ForwardFeatures(x);
        var decoder = (MaskFormerDecoder)model.Decoder;
        var layers = decoder.ForwardLayers(features);
        Assert.Equal(1 + 3, layers.Count);
        var (cls, masks) = layers[^1];
        Assert.Equal(new long[] { 2, 5, 4 }, cls.shape);
        Assert.Equal(new long[] { 2, 5, 16, 24 }, masks.shape);
        var expected = einsum("bqc,bqhw->bchw", cls.softmax(-1)[.., .., ..3], masks.sigmoid()).clamp_min(MaskFormerDecoder.ScoreFloor).log();
        var actual = decoder.call(features);
        Assert.True(actual.allclose(expected, rtol: 1e-5, atol: 1e-5), $"max |Δ| {(actual - expected).abs().max().item<float>()}");
        // The model output: the same map resized to the input (64×96 needs no padding at stride 32).
        var logits = model.forward(x);
        Assert.Equal(new long[] { 2, 3, 64, 96 }, logits.shape);
        Assert.True(logits.exp().sum(1).le(5 + 1e-4).all().item<bool>(), "semantic scores are at most the number of queries");
    }

    [Fact]
    public void RawOutputsCarryThePaddedFramesExtent()
    {
        manual_seed(4);
        using var model = ModelZoo.Create(Tiny());
        using var scope = NewDisposeScope();
        var output = model.ForwardMaskClassification(randn(1, 3, 50, 70));
        // Padded to 64×96 (stride 32): masks at stride 4 are 16×24, the image covers 50/64 × 70/96 of them.
        Assert.Equal(new long[] { 1, 5, 16, 24 }, output.Layers[^1].MaskLogits.shape);
        Assert.Equal(50.0 / 64, output.ExtentY, 12);
        Assert.Equal(70.0 / 96, output.ExtentX, 12);
        Assert.True(model.IsMaskClassification);
        using var fcn = ModelZoo.Create(new ModelConfig { Architecture = "fcn", Encoder = "resnet18", NumClasses = 3 });
        Assert.False(fcn.IsMaskClassification);
    }

    [Fact]
    public void ForwardQueriesGivesTheSemanticMapAndTheLastLayersQueriesAtTheInputSize()
    {
        manual_seed(4);
        using var model = ModelZoo.Create(Tiny());
        model.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = randn(1, 3, 50, 70);
        var p = model.ForwardQueries(x);
        Assert.True(p.SemanticLogits.eq(model.forward(x)).all().item<bool>(), "the semantic map differs from forward's");
        var (cls, masks) = model.ForwardMaskClassification(x).Layers[^1];
        Assert.True(p.ClassLogits.eq(cls).all().item<bool>());
        // The mask logits resized bilinearly to the padded 64×96 frame, then cropped to the image.
        var expected = nn.functional.interpolate(masks, size: [64, 96], mode: InterpolationMode.Bilinear, align_corners: false)[.., .., ..50, ..70];
        Assert.Equal(new long[] { 1, 5, 50, 70 }, p.MaskLogits.shape);
        Assert.True(p.MaskLogits.eq(expected).all().item<bool>());
        using var fcn = ModelZoo.Create(new ModelConfig { Architecture = "fcn", Encoder = "resnet18", NumClasses = 3 });
        Assert.Throws<InvalidOperationException>(() => fcn.ForwardQueries(x));
    }

    [Fact]
    public void MaskedAttentionCanBeTurnedOff()
    {
        using var scope = NewDisposeScope();
        manual_seed(6);
        using var masked = ModelZoo.Create(Tiny(masked: true));
        manual_seed(6);
        using var plain = ModelZoo.Create(Tiny(masked: false));
        masked.eval(); plain.eval();
        using var noGrad = no_grad();
        var x = randn(1, 3, 64, 64);
        // Same weights (same seed), so only the attention masks differ.
        Assert.False(masked.forward(x).allclose(plain.forward(x), rtol: 1e-4, atol: 1e-4));
    }

    [Fact]
    public void FlopCounterAddsTheMaskAndAttentionProducts()
    {
        manual_seed(4);
        using var model = ModelZoo.Create(Tiny());
        var decoder = (MaskFormerDecoder)model.Decoder;
        // 64×96 input: 16×24 at stride 4; Q 5, D 16, K 3, 3 layers over the 2×3, 4×6, 8×12 maps.
        long expected = 2 * ((3 + 1) * 5 * 16 * 384 + 3 * 5 * 384 + 2 * 5 * 16 * (6 + 24 + 96) + 3 * 2 * 5 * 5 * 16);
        Assert.Equal(expected, decoder.ProductMacs([2, 3, 16, 24]));
        using var scope = NewDisposeScope();
        var x = randn(2, 3, 64, 96);
        void Forward() => model.call(x);
        // FlopCounter hooks the modules below the one it is given: on the encoder and the decoder it counts their layers,
        // on the whole model it adds the decoder's products (the head is an identity, 64×96 needs no padding).
        long layers = FlopCounter.CountMacs(model.Encoder, Forward) + FlopCounter.CountMacs(decoder, Forward);
        Assert.Equal(layers + expected, FlopCounter.CountMacs(model, Forward));
    }
}
