using Xunit;

namespace SharpSeg.Tests.Data;

/// <summary>Tests that count live tensors process-wide (torch.Tensor.TotalCount) run alone, not beside other tests.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TensorCountingCollection
{
    public const string Name = "tensor counting";
}
