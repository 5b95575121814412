using SharpSeg.Losses;
using SharpSeg.Models;
using SharpSeg.Models.Encoders;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace SharpSeg.Tests.Models;

/// <summary>Sequential: <see cref="LossFallsOnAFixedTinyBatch"/> learns from weights drawn from libtorch's one global
/// generator, which a test class beside it would also draw from.</summary>
[Collection(SequentialCollection.Name)]
public sealed class UNetTests
{
    private static SegmentationModel Tiny(int depth = 3, int baseWidth = 4, int classes = 3, bool batchNorm = true, double dropout = 0,
        string upsampling = "bilinear", int inChannels = 3, string padding = "reflect")
    {
        torch.manual_seed(1);
        return ModelZoo.Create(new ModelConfig
        {
            InChannels = inChannels, NumClasses = classes, Depth = depth, BaseWidth = baseWidth, BatchNorm = batchNorm,
            Dropout = dropout, Upsampling = upsampling, Padding = padding,
        });
    }

    [Theory]
    [InlineData(37, 53, "bilinear", "reflect")]
    [InlineData(64, 48, "bilinear", "reflect")]
    [InlineData(37, 53, "transposed", "zeros")]
    [InlineData(5, 7, "transposed", "reflect")] // padding larger than the image: reflect falls back to replicate
    [InlineData(17, 3, "bilinear", "replicate")]
    public void ForwardAtAwkwardSizesReturnsInputSizedLogits(int h, int w, string upsampling, string padding)
    {
        using var model = Tiny(upsampling: upsampling, padding: padding);
        using var scope = NewDisposeScope();
        var logits = model.forward(randn(2, 3, h, w));
        Assert.Equal(new long[] { 2, 3, h, w }, logits.shape);
        Assert.False(logits.isnan().any().item<bool>());
    }

    [Fact]
    public void LogitsAreTheCropOfTheLogitsOfTheReflectPaddedInput()
    {
        // The padding must go at the bottom/right and the crop take the top-left corner, nothing shifted.
        using var model = Tiny(depth: 3);
        model.eval();
        using var scope = NewDisposeScope();
        var x = randn(1, 3, 37, 53);
        var padded = nn.functional.pad(x, [0, 3, 0, 3], PaddingModes.Reflect); // to 40×56, multiples of 8
        var expected = model.forward(padded)[.., .., ..37, ..53];
        var actual = model.forward(x);
        Assert.True(actual.allclose(expected, rtol: 1e-5, atol: 1e-6));
    }

    [Fact]
    public void EncoderReportsTheShapesItReturns()
    {
        using var encoder = new UNetEncoder(inChannels: 3, depth: 4, baseWidth: 4, batchNorm: true);
        Assert.Equal(new[] { 4, 8, 16, 32, 64 }, encoder.OutChannels);
        Assert.Equal(new[] { 1, 2, 4, 8, 16 }, encoder.Strides);
        Assert.Equal(16, encoder.OutputStride);
        Assert.Equal(4, encoder.Depth);
        Assert.Equal(3, encoder.InChannels);
        using var scope = NewDisposeScope();
        var features = encoder.forward(randn(2, 3, 64, 48));
        Assert.Equal(5, features.Length);
        for (int i = 0; i < features.Length; i++)
            Assert.Equal(new long[] { 2, encoder.OutChannels[i], 64 / encoder.Strides[i], 48 / encoder.Strides[i] }, features[i].shape);
    }

    [Fact]
    public void BackwardReachesEveryParameter()
    {
        using var model = Tiny();
        using var scope = NewDisposeScope();
        var logits = model.forward(randn(2, 3, 20, 28));
        var loss = new CrossEntropyLoss().Compute(logits, randint(0, 3, [2, 20, 28], dtype: ScalarType.Int64));
        loss.backward();
        foreach (var (name, p) in model.named_parameters())
        {
            Assert.True(p.grad is not null, $"{name} has no gradient");
            Assert.True(p.grad!.abs().sum().item<float>() > 0, $"{name} has an all-zero gradient");
        }
    }

    [Fact]
    public void LossFallsOnAFixedTinyBatch()
    {
        using var model = Tiny(depth: 2, baseWidth: 8);
        using var x = randn(new long[] { 2, 3, 32, 32 }, generator: new Generator(7)); // not the global generator: shared with parallel tests
        // Learnable targets: which input channel is largest, with a border of ignored pixels.
        using var y = x.argmax(1).index_put_(tensor(255L), TensorIndex.Colon, TensorIndex.Slice(0, 2));
        var lossFn = new CrossEntropyLoss();
        using var optimizer = optim.AdamW(model.parameters(), lr: 1e-2);
        var losses = new List<float>();
        for (int step = 0; step < 20; step++)
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            var loss = lossFn.Compute(model.forward(x), y);
            loss.backward();
            optimizer.step();
            losses.Add(loss.item<float>());
        }
        Assert.True(losses[^1] < 0.5f * losses[0], $"loss went {losses[0]:F3} → {losses[^1]:F3}: " + string.Join(" ", losses.Select(l => l.ToString("F3"))));
    }

    [Fact]
    public void ParameterCountsMatchTheClassicUNetComputedByHand()
    {
        // A double conv (in → out) with BN: 9·in·out + 9·out·out (no conv bias) + 2·out + 2·out (BN weight, bias).
        // Encoder, base 64, 3 input channels, widths 64..1024:
        //   3→64: 1728 + 36864 + 256 = 38848          64→128: 73728 + 147456 + 512 = 221696
        //   128→256: 294912 + 589824 + 1024 = 885760   256→512: 1179648 + 2359296 + 2048 = 3540992
        //   512→1024: 4718592 + 9437184 + 4096 = 14159872                      encoder total = 18847168
        // Bilinear decoder (the block's first conv sees deeper + skip channels, outputs the skip's width):
        //   1536→512: 7077888 + 2359296 + 2048 = 9439232   768→256: 1769472 + 589824 + 1024 = 2360320
        //   384→128: 442368 + 147456 + 512 = 590336       192→64: 110592 + 36864 + 256 = 147712
        //                                                                      decoder total = 12537600
        // Head 1×1 conv 64→2 with bias: 130.                      total = 18847168 + 12537600 + 130 = 31384898
        Assert.Equal(31_384_898, Count(new ModelConfig { BaseWidth = 64, Depth = 4, NumClasses = 2 }));

        // Transposed ("up-conv 2×2" halving the channels, as in Ronneberger et al.): each block gets a ConvTranspose
        // 4·in·out + out bias, and its double conv sees 2·out channels:
        //   1024→512: 2097664 + (4718592 + 2359296 + 2048) = 9177600
        //   512→256: 524544 + (1179648 + 589824 + 1024) = 2295040
        //   256→128: 131200 + (294912 + 147456 + 512) = 574080
        //   128→64: 32832 + (73728 + 36864 + 256) = 143680                     decoder total = 12190400
        // total = 18847168 + 12190400 + 130 = 31037698, i.e. the well-known 31,037,633 of the common PyTorch
        // U-Net (milesial/Pytorch-UNet, bilinear=False) with 1 class, plus 65 for the second class of the head.
        Assert.Equal(31_037_698, Count(new ModelConfig { BaseWidth = 64, Depth = 4, NumClasses = 2, Upsampling = "transposed" }));

        // Base 32 (the 7.8 M reference): encoder 10208 + 55552 + 221696 + 885760 + 3540992 = 4714208;
        // decoder 768→256: 2360320, 384→128: 590336, 192→64: 147712, 96→32: 27648 + 9216 + 128 = 36992 → 3135360;
        // head 32·2 + 2 = 66.                                                   total = 7849634
        Assert.Equal(7_849_634, Count(new ModelConfig { BaseWidth = 32, Depth = 4, NumClasses = 2 }));
    }

    private static long Count(ModelConfig config)
    {
        using var model = ModelZoo.Create(config);
        return ModelZoo.CountParameters(model);
    }

    [Fact]
    public void BatchNormOptionSwapsConvBiasesForBatchNormParameters()
    {
        // Depth 2, base 4: 3×3 convs output 4,4, 8,8, 16,16 (encoder) and 8,8, 4,4 (decoder): Σ out = 80.
        // With BN each such conv loses its bias (out) and gains BN weight + bias (2·out): +80 parameters.
        using var withBn = Tiny(depth: 2, batchNorm: true);
        using var without = Tiny(depth: 2, batchNorm: false);
        Assert.Equal(80, ModelZoo.CountParameters(withBn) - ModelZoo.CountParameters(without));
        var bnKeys = withBn.state_dict().Keys.ToList();
        Assert.Equal(10, bnKeys.Count(k => k.EndsWith("running_mean", StringComparison.Ordinal)));
        Assert.DoesNotContain(without.state_dict().Keys, k => k.Contains("running_", StringComparison.Ordinal));
    }

    [Fact]
    public void DropoutAddsNoParametersButIsActiveOnlyInTraining()
    {
        using var plain = Tiny(dropout: 0);
        using var dropped = Tiny(dropout: 0.5);
        Assert.Equal(ModelZoo.CountParameters(plain), ModelZoo.CountParameters(dropped));
        Assert.DoesNotContain(plain.modules(), m => m.GetType().Name.Contains("Dropout", StringComparison.Ordinal));
        Assert.Contains(dropped.modules(), m => m.GetType().Name.Contains("Dropout", StringComparison.Ordinal));
        using var scope = NewDisposeScope();
        var x = randn(2, 3, 16, 16);
        dropped.train();
        Assert.False(dropped.forward(x).allclose(dropped.forward(x)));
        dropped.eval();
        Assert.Equal(0f, (dropped.forward(x) - dropped.forward(x)).abs().max().item<float>());
    }

    [Fact]
    public void SavedWeightsReloadToIdenticalEvalOutputs()
    {
        string dir = TestPaths.NewTempDir("unet-save");
        string path = Path.Combine(dir, "model.bin");
        using var a = Tiny();
        using (var scope = NewDisposeScope())
        {
            a.train();
            a.forward(randn(2, 3, 24, 24)); // moves BN running statistics away from their initial values
        }
        a.save(path);
        torch.manual_seed(99);
        using var b = ModelZoo.Create(a.Config!);
        using var x = randn(2, 3, 19, 23);
        a.eval(); b.eval();
        using (var scope = NewDisposeScope())
            Assert.False(a.forward(x).allclose(b.forward(x)), "differently seeded models should differ before loading");
        b.load(path);
        using (var scope = NewDisposeScope())
            Assert.Equal(0f, (a.forward(x) - b.forward(x)).abs().max().item<float>());
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public void GreyInputWorksAndChannelMismatchIsAUserError()
    {
        using var model = Tiny(inChannels: 1);
        using var scope = NewDisposeScope();
        Assert.Equal(new long[] { 2, 3, 9, 10 }, model.forward(randn(2, 1, 9, 10)).shape);
        var ex = Assert.Throws<SharpSegException>(() => model.forward(randn(2, 3, 9, 10)));
        Assert.Contains("in_channels", ex.Message);
    }
}
