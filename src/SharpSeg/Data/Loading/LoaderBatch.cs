using static TorchSharp.torch;

namespace SharpSeg.Data.Loading;

/// <summary>
/// What the batches of both loaders (<see cref="Batch"/>, <see cref="SelfSupervised.ViewBatch"/>) share: the ids of
/// their samples, their place in the epoch, and tensors they own. The tensors are made on a loader thread outside any
/// dispose scope; disposing the batch (once is enough; again does nothing) frees them.
/// </summary>
public abstract class LoaderBatch : IDisposable
{
    readonly Tensor[] owned;
    bool disposed;

    private protected LoaderBatch(IReadOnlyList<string> ids, int epoch, int index, params Tensor[] owned)
    {
        Ids = ids; Epoch = epoch; Index = index; this.owned = owned;
    }

    /// <summary>The sample (image) ids, in batch order.</summary>
    public IReadOnlyList<string> Ids { get; }

    /// <summary>Number of samples N.</summary>
    public int Count => Ids.Count;

    /// <summary>The epoch this batch belongs to.</summary>
    public int Epoch { get; }

    /// <summary>Position of this batch in its epoch, from 0.</summary>
    public int Index { get; }

    /// <summary>Frees the batch's tensors (the first call; later calls do nothing).</summary>
    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        foreach (var t in owned) t.Dispose();
    }
}
