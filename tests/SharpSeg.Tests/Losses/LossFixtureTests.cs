using SharpSeg.Losses;
using Xunit;
using static TorchSharp.torch;

namespace SharpSeg.Tests.Losses;

/// <summary>
/// Every loss against values and gradients computed independently with PyTorch (float64), see <see cref="LossFixture"/>.
/// </summary>
public sealed class LossFixtureTests
{
    public static TheoryData<string> Cases => new(LossFixture.CaseNames);

    [Theory]
    [MemberData(nameof(Cases))]
    public void ValueAndGradientMatchPyTorchReference(string name)
    {
        var c = LossFixture.Case(name);
        var (x, target) = LossFixture.Inputs(c.GetProperty("input").GetString()!);
        using var logits = x.requires_grad_(true);
        using var loss = LossFixture.Loss(name).Compute(logits, target);
        Assert.Equal(c.GetProperty("value").GetDouble(), loss.item<double>(), 1e-9);
        loss.backward();
        double[] expected = c.GetProperty("grad").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        double[] actual = logits.grad!.data<double>().ToArray();
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) < 1e-9, $"{name}: d/dlogits[{i}] = {actual[i]}, PyTorch gives {expected[i]}");
    }

    [Theory]
    [InlineData(1, "regions_boundary_mask_width1")]
    [InlineData(2, "regions_boundary_mask_width2")]
    public void BoundaryMaskMatchesTheWindowDefinition(int width, string property)
    {
        // The fixture's mask is computed with explicit loops over each (2w+1)² window, not with max-pooling.
        var (_, target) = LossFixture.Inputs("regions");
        using var mask = BoundaryCrossEntropyLoss.BoundaryMask(target, width);
        Assert.Equal(LossFixture.IntArray(property), mask.to_type(ScalarType.Int64).data<long>().ToArray());
    }
}
