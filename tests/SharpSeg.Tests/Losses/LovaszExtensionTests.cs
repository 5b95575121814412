using SharpSeg.Losses;
using Xunit;
using static TorchSharp.torch;

namespace SharpSeg.Tests.Losses;

public sealed class LovaszExtensionTests
{
    [Theory]
    [InlineData(1000)]
    [InlineData(200_000)] // above libtorch's grain size, where a 1-D integer sort takes the radix path
    public void DescendingOrderSortsLikeLibtorchAndKeepsEqualValuesInOrder(int count)
    {
        manual_seed(3);
        // Negatives, both zeros, infinities, and many ties (values rounded to 1/8).
        Tensor values = (randn(count) * 4).mul(8).round().div(8);
        values[0] = float.PositiveInfinity; values[1] = float.NegativeInfinity; values[2] = -0.0f; values[3] = 0.0f;
        values[count - 1] = float.MaxValue; values[count - 2] = -float.MaxValue; values[count - 3] = float.Epsilon; values[count - 4] = -float.Epsilon;
        Tensor order = LovaszExtension.DescendingOrder(values);
        Tensor sorted = values.index_select(0, order);
        Assert.True(sorted.eq(values.sort(0, descending: true).Values).all().item<bool>(), "values out of order");
        // Ties keep their original order: within a run of equal values the indices increase.
        var v = sorted.data<float>().ToArray();
        var i = order.data<long>().ToArray();
        for (int k = 1; k < count; k++)
            if (v[k] == v[k - 1] && !(v[k] == 0 && (float.IsNegative(v[k]) != float.IsNegative(v[k - 1]))))
                Assert.True(i[k] > i[k - 1], $"equal values at {k - 1}, {k} reordered");
        Assert.Equal(count, i.Distinct().Count());
    }

    [Fact]
    public void TheLossIsTheSameWithLibtorchsSort()
    {
        manual_seed(5);
        Tensor errors = rand(100_000).mul(64).round().div(64).requires_grad_(true); // ties
        Tensor gt = randint(0, 2, [100_000]).to_type(ScalarType.Float32);
        Tensor ours = LovaszExtension.Loss(errors, gt);
        ours.backward();
        Tensor ourGrad = errors.grad!.clone();
        errors.grad!.zero_();
        var (sorted, perm) = errors.sort(0, descending: true);
        Tensor reference = dot(sorted, LovaszExtension.Gradient(gt.index_select(0, perm)));
        reference.backward();
        Assert.Equal(reference.item<float>(), ours.item<float>(), 5);
        // Tied errors may take other positions, so a gradient can move between tied pixels; the sum over each tie is fixed.
        Assert.Equal(errors.grad!.sum().item<float>(), ourGrad.sum().item<float>(), 4);
    }
}
