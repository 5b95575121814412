using SharpSeg.Models;
using SharpSeg.Models.Encoders;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using SharpSeg.Models.Encoders.MixTransformer;

namespace SharpSeg.Tests.Models;

public sealed class MixTransformerTests
{
    private static SegmentationModel SegFormer(string encoder = "mit_b0", int classes = 150, double dropPath = 0.1)
    {
        torch.manual_seed(7);
        return ModelZoo.Create(new ModelConfig { Architecture = "segformer", Encoder = encoder, NumClasses = classes, DropPath = dropPath });
    }

    // Expected: the official SegFormer (NVlabs mix_transformer.py + SegFormerHead, decoder dim 256) counted layer by layer
    // from its definition by Fixtures/official_parameter_counts.py; the paper lists 3.8 M (B0) and 13.7 M (B1) at 150 classes.
    [Theory]
    [InlineData("mit_b0", 3_319_392, 3_752_694)]
    [InlineData("mit_b1", 13_151_424, 13_715_798)]
    public void SegFormerHasTheOfficialParameterCount(string encoder, long encoderParameters, long total)
    {
        using var model = SegFormer(encoder);
        Assert.Equal(encoderParameters, ModelZoo.CountParameters(model.Encoder));
        Assert.Equal(total, ModelZoo.CountParameters(model));
        if (encoder == "mit_b0") Assert.InRange(total, 3_700_000, 3_800_000);
    }

    /// <summary>The initialiser behind every MiT linear layer: a normal of the given std cut at ±2 σ (whose own std is
    /// 0.8796 σ), finite, centred, and repeated by a seeded generator.</summary>
    [Fact]
    public void TruncatedNormalHasTheTruncatedDistribution()
    {
        using var t = TruncatedNormal.Fill(torch.empty(200_000), std: 0.02, generator: new Generator(4));
        Assert.True(t.isfinite().all().item<bool>());
        Assert.InRange(t.min().item<float>(), -0.04f, -0.0399f);
        Assert.InRange(t.max().item<float>(), 0.0399f, 0.04f);
        Assert.InRange(t.mean().item<float>(), -2e-4f, 2e-4f);
        Assert.InRange(t.std().item<float>(), 0.02f * 0.8796f * 0.99f, 0.02f * 0.8796f * 1.01f);
        // About 4.55 % of a normal lies beyond 2 σ; a truncation that clamped instead of resampling would pile it up at the edges.
        Assert.True(t.abs().gt(0.0399).to(ScalarType.Float32).mean().item<float>() < 0.002);
        using var again = TruncatedNormal.Fill(torch.empty(200_000), std: 0.02, generator: new Generator(4));
        Assert.True(t.eq(again).all().item<bool>());
    }

    [Fact]
    public void EncoderFollowsTheContractWithAnEmptyStrideTwoMap()
    {
        torch.manual_seed(1);
        using var encoder = new MixTransformerEncoder("mit_b0", inChannels: 3, dropPath: 0);
        Assert.Equal(new[] { 3, 0, 32, 64, 160, 256 }, encoder.OutChannels);
        Assert.Equal(new[] { 1, 2, 4, 8, 16, 32 }, encoder.Strides);
        encoder.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = randn(2, 3, 64, 96);
        var maps = encoder.call(x);
        Assert.Equal(6, maps.Length);
        Assert.Same(x, maps[0]);
        for (int i = 1; i < 6; i++)
            Assert.Equal(new long[] { 2, encoder.OutChannels[i], 64 / encoder.Strides[i], 96 / encoder.Strides[i] }, maps[i].shape);
        Assert.True(maps[5].isfinite().all().item<bool>());
    }

    [Fact]
    public void ParameterNamesMirrorTheOfficialCheckpoint()
    {
        using var model = SegFormer();
        var names = model.state_dict().Keys.ToHashSet();
        foreach (var key in new[]
        {
            "encoder.patch_embed1.proj.weight", "encoder.patch_embed4.norm.bias", "encoder.block1.0.norm1.weight",
            "encoder.block1.0.attn.q.weight", "encoder.block1.0.attn.kv.bias", "encoder.block1.1.attn.sr.weight",
            "encoder.block3.1.attn.norm.weight", "encoder.block2.0.attn.proj.weight", "encoder.block2.1.mlp.fc1.weight",
            "encoder.block2.1.mlp.dwconv.dwconv.weight", "encoder.block4.1.mlp.fc2.bias", "encoder.norm4.weight",
            "decoder.linear_c1.proj.weight", "decoder.linear_c4.proj.bias", "decoder.linear_fuse.conv.weight",
            "decoder.linear_fuse.bn.running_var", "head.weight",
        })
            Assert.Contains(key, names);
        Assert.DoesNotContain("encoder.block4.0.attn.sr.weight", names); // reduction ratio 1 in the last stage
        Assert.Equal(new long[] { 256, 1024, 1, 1 }, model.state_dict()["decoder.linear_fuse.conv.weight"].shape);
    }

    [Fact]
    public void FusedAndPlainAttentionAgreeAndTrainingUsesThePlainPath()
    {
        using var model = SegFormer(classes: 5, dropPath: 0);
        var encoder = (MixTransformerEncoder)model.Encoder;
        // The official init (std 0.02) makes attention nearly uniform; larger q/k weights make the comparison bite. A
        // generator of its own: the global one is shared with tests running in parallel.
        var generator = new Generator(3);
        using (var noGrad = no_grad())
            foreach (var (name, p) in model.named_parameters().Where(p => p.name.Contains(".attn.q.") || p.name.Contains(".attn.kv.")))
                p.normal_(0, 0.5, generator: generator);
        model.eval();
        using var scope = NewDisposeScope();
        var x = randn(new long[] { 1, 3, 64, 64 }, generator: generator);
        Tensor plain, fused;
        using (var noGrad = no_grad())
        {
            encoder.FusedAttention = false;
            plain = model.call(x);
            encoder.FusedAttention = true;
            fused = model.call(x);
        }
        float scale = plain.abs().max().item<float>();
        Assert.True(scale > 0.1);
        // Sharp attention turns rounding into differences of up to 0.3 % of the output's scale at a near-tie (measured
        // over 30 seeds: mean difference 2e-7 to 1e-4, max 1e-6 to 1.2e-3 against a scale of 0.3-0.46); a wrong fused
        // path (scale, reduction, heads) differs by the output's own size.
        var difference = (plain - fused).abs();
        Assert.True(difference.mean().item<float>() < 3e-4 && difference.max().item<float>() < 0.01 * scale,
            $"mean difference {difference.mean().item<float>()}, max {difference.max().item<float>()}, scale {scale}");
        Assert.False(plain.eq(fused).all().item<bool>()); // the fused kernel really ran (it rounds differently)
        var withGrad = model.call(x); // gradients on: the plain path even though FusedAttention is set
        Assert.True(withGrad.detach().eq(plain).all().item<bool>());
    }

    [Fact]
    public void StochasticDepthDropsBranchesOnlyInTraining()
    {
        torch.manual_seed(2);
        using var encoder = new MixTransformerEncoder("mit_b0", dropPath: 0.5);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = randn(4, 3, 32, 32);
        encoder.train();
        Assert.False(encoder.call(x)[5].eq(encoder.call(x)[5]).all().item<bool>());
        encoder.eval();
        Assert.True(encoder.call(x)[5].eq(encoder.call(x)[5]).all().item<bool>());
        Assert.Throws<SharpSegException>(() => ModelZoo.Create(new ModelConfig { Architecture = "segformer", Encoder = "mit_b0", DropPath = 1 }));
    }

    [Fact]
    public void FlopCounterCountsMiTLayerByLayer()
    {
        // MiT-B0 at 64×64, by hand: stage s works on an h×h grid (16, 8, 4, 2) with C channels and reduction r (8, 4, 2, 1),
        // so n = h² queries and m = n / r² = 4 keys everywhere. Patch embedding: conv n·C·(C_in·k²) + LayerNorm n·C.
        // Block: LN n·C, q n·C², sr conv (n/r²)·C·C·r² = n·C² and its LN m·C (r > 1), kv m·C·2C, attention 2·n·m·C,
        // proj n·C², LN n·C, fc1 n·C·4C, depthwise 3×3 n·4C·9, fc2 n·4C·C. Stage LayerNorm n·C.
        int[] dims = [32, 64, 160, 256], ratios = [8, 4, 2, 1];
        long expected = 0;
        int inC = 3;
        for (int s = 0; s < 4; s++)
        {
            long h = 16 >> s, n = h * h, c = dims[s], r = ratios[s], m = n / (r * r), k = s == 0 ? 7 : 3;
            expected += n * c * inC * k * k + n * c;
            long block = n * c + n * c * c + (r > 1 ? n * c * c + m * c : 0) + m * c * 2 * c + 2 * n * m * c + n * c * c
                + n * c + n * c * 4 * c + n * 4 * c * 9 + n * 4 * c * c;
            expected += 2 * block + n * c;
            inC = dims[s];
        }
        torch.manual_seed(3);
        using var encoder = new MixTransformerEncoder("mit_b0");
        using var x = zeros(1, 3, 64, 64);
        Assert.Equal(expected, FlopCounter.CountMacs(encoder, () => encoder.call(x)));
    }

    [Fact]
    public void SegFormerB0CostsWhatThePaperReportsAt512()
    {
        // The paper (Table 1/2, ADE20K, 150 classes) lists 8.4 GFLOPs at 512×512 (multiply-adds as mmcv counts them).
        using var model = SegFormer();
        using var x = zeros(1, 3, 512, 512);
        double gmacs = FlopCounter.CountMacs(model, x) / 1e9;
        Assert.InRange(gmacs, 8.3, 8.5);
    }

    [Fact]
    public void MiTHasAFixedOutputStrideAndFitsOnlyTheDecodersThatUseItsStages()
    {
        var ex = Assert.Throws<SharpSegException>(() => ModelZoo.Create(new ModelConfig { Architecture = "segformer", Encoder = "mit_b0", OutputStride = 16 }));
        Assert.Contains("32", ex.Message);
        Assert.Equal(32, ModelZoo.DefaultOutputStride("deeplabv3plus", "mit_b0"));
        ex = Assert.Throws<SharpSegException>(() => ModelZoo.Create(new ModelConfig { Architecture = "segformer", Encoder = "resnet50" }));
        Assert.Contains("mit_b0", ex.Message);
        Assert.Throws<SharpSegException>(() => ModelZoo.Create(new ModelConfig { Architecture = "pspnet", Encoder = "mit_b0" }));
        foreach (var architecture in new[] { "segformer", "fpn", "upernet", "deeplabv3plus", "unet" })
            Assert.Contains("mit_b1", ModelZoo.ValidEncoders(architecture));
    }
}
