using SharpSeg.Losses;
using SharpSeg.Tests.Data;
using Xunit;
using static TorchSharp.torch;

namespace SharpSeg.Tests.Losses;

/// <summary>Losses leave no tensors behind but their result (they run inside the training step's dispose scope).</summary>
[Collection(TensorCountingCollection.Name)]
public sealed class LossMemoryTests
{
    [Fact]
    public void EveryLossFreesItsIntermediateTensors()
    {
        using var logits = randn(2, 3, 4, 4).requires_grad_(true);
        using var target = randint(0, 3, [2, 4, 4], dtype: ScalarType.Int64);
        target[0, 1, 1] = 255L;
        var losses = LossFactory.Names.Select(n => LossFactory.Create(n, new LossOptions { OhemMinKept = 3 }, [1f, 2f, 1f]))
            .Append(LossFactory.Create("ce+dice+lovasz")).ToArray();
        long before = Tensor.TotalCount;
        foreach (var loss in losses)
        {
            using var value = loss.Compute(logits, target);
            Assert.Equal(before + 1, Tensor.TotalCount);
            value.backward();
        }
        Assert.Equal(before, Tensor.TotalCount);
    }
}
