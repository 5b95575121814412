using SharpSeg.Losses;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace SharpSeg.Tests.Losses;

public sealed class CrossEntropyLossTests
{
    // A 1-image, 2-class, 2×2 example. Logits per pixel (class 0, class 1) and targets:
    //   a: (0, 0)     target 0 → p0 = 1/2, loss ln 2
    //   b: (0, ln 3)  target 1 → p1 = 3/4, loss ln(4/3)
    //   c: (0, ln 3)  target 0 → p0 = 1/4, loss ln 4
    //   d: (5, -5)    target 255 (ignored)
    private static Tensor Logits(bool requiresGrad = false)
    {
        float l3 = MathF.Log(3);
        // [N=1, C=2, H=2, W=2]: channel 0 then channel 1, pixels a b / c d.
        return tensor(new float[] { 0, 0, 0, 5, 0, l3, l3, -5 }).reshape(1, 2, 2, 2).requires_grad_(requiresGrad);
    }

    private static Tensor Targets() => tensor(new long[] { 0, 1, 0, 255 }).reshape(1, 2, 2);

    [Fact]
    public void UniformLogitsGiveLogOfClassCount()
    {
        using var logits = zeros(2, 5, 3, 4);
        using var target = randint(0, 5, [2, 3, 4], dtype: ScalarType.Int64);
        using var loss = new CrossEntropyLoss().Compute(logits, target);
        Assert.Equal(Math.Log(5), loss.item<float>(), 5);
    }

    [Fact]
    public void LargeMarginLogitsGiveNearZero()
    {
        using var target = randint(0, 3, [2, 4, 4], dtype: ScalarType.Int64);
        using var logits = nn.functional.one_hot(target, 3).permute(0, 3, 1, 2).to_type(ScalarType.Float32) * 50;
        using var loss = new CrossEntropyLoss().Compute(logits, target);
        Assert.InRange(loss.item<float>(), 0f, 1e-6f);
    }

    [Fact]
    public void UnweightedMeanIsOverNonIgnoredPixels()
    {
        // (ln 2 + ln(4/3) + ln 4) / 3
        using var logits = Logits();
        using var target = Targets();
        using var loss = new CrossEntropyLoss().Compute(logits, target);
        Assert.Equal((Math.Log(2) + Math.Log(4.0 / 3) + Math.Log(4)) / 3, loss.item<float>(), 5);
    }

    [Fact]
    public void ClassWeightsGiveTheWeightedMean()
    {
        // weights (1, 3): (1·ln 2 + 3·ln(4/3) + 1·ln 4) / (1 + 3 + 1) = 3·ln(8/3) / 5 ≈ 0.588498
        using var logits = Logits();
        using var target = Targets();
        using var loss = new CrossEntropyLoss(classWeights: [1f, 3f]).Compute(logits, target);
        Assert.Equal(3 * Math.Log(8.0 / 3) / 5, loss.item<float>(), 5);
    }

    [Fact]
    public void LabelSmoothingFollowsPyTorchFormula()
    {
        // ε = 0.2, C = 2, only pixel b counted (a and c ignored): logits (0, ln 3), target 1, p = (1/4, 3/4):
        // (1-ε)·(-ln 3/4) + ε/C·(-ln 1/4 - ln 3/4) = 0.8·ln(4/3) + 0.1·(ln 4 + ln(4/3))
        using var logits = Logits();
        using var target = tensor(new long[] { 255, 1, 255, 255 }).reshape(1, 2, 2);
        using var loss = new CrossEntropyLoss(labelSmoothing: 0.2).Compute(logits, target);
        Assert.Equal(0.8 * Math.Log(4.0 / 3) + 0.1 * (Math.Log(4) + Math.Log(4.0 / 3)), loss.item<float>(), 5);
    }

    [Fact]
    public void IgnoredPixelsGetExactlyZeroGradient()
    {
        using var logits = Logits(requiresGrad: true);
        using var target = Targets();
        using var loss = new CrossEntropyLoss(classWeights: [1f, 3f], labelSmoothing: 0.1).Compute(logits, target);
        loss.backward();
        float[] g = logits.grad!.data<float>().ToArray(); // layout: c0: a b c d, c1: a b c d
        Assert.Equal(0f, g[3]);
        Assert.Equal(0f, g[7]);
        Assert.NotEqual(0f, g[1]);
        Assert.NotEqual(0f, g[2]);
        Assert.NotEqual(0f, g[5]);
    }

    [Fact]
    public void AllIgnoredBatchGivesZeroNotNaNAndBackwardWorks()
    {
        using var logits = randn(2, 3, 4, 4).requires_grad_(true);
        using var target = full([2, 4, 4], 255L, dtype: ScalarType.Int64);
        foreach (var lossFn in new[] { new CrossEntropyLoss(), new CrossEntropyLoss(classWeights: [1f, 2f, 3f], labelSmoothing: 0.1) })
        {
            using var loss = lossFn.Compute(logits, target);
            Assert.Equal(0f, loss.item<float>());
            loss.backward();
            Assert.Equal(0f, logits.grad!.abs().max().item<float>());
        }
    }

    [Fact]
    public void ByteTargetsAreAccepted()
    {
        using var logits = Logits();
        using var target = Targets().to_type(ScalarType.Byte);
        using var loss = new CrossEntropyLoss().Compute(logits, target);
        Assert.Equal((Math.Log(2) + Math.Log(4.0 / 3) + Math.Log(4)) / 3, loss.item<float>(), 5);
    }

    [Fact]
    public void WrongWeightCountIsAUserError()
    {
        using var logits = Logits();
        using var target = Targets();
        var ex = Assert.Throws<SharpSegException>(() => new CrossEntropyLoss(classWeights: [1f, 2f, 3f]).Compute(logits, target));
        Assert.Contains("3 class weights", ex.Message);
        Assert.Throws<SharpSegException>(() => new CrossEntropyLoss(classWeights: [1f, -1f]));
    }

    [Fact]
    public void TargetClassBeyondTheModelsClassesIsAUserError()
    {
        using var logits = Logits();
        using var target = tensor(new long[] { 0, 1, 2, 255 }).reshape(1, 2, 2);
        var ex = Assert.Throws<SharpSegException>(() => new CrossEntropyLoss().Compute(logits, target));
        Assert.Contains("class 2", ex.Message);
        Assert.Contains("dataset.yaml", ex.Message); // the real place classes are set (there is no num_classes key)
        Assert.DoesNotContain("num_classes", ex.Message);
    }
}
