using static TorchSharp.torch;
using SharpSeg.Data.Loading;

namespace SharpSeg.SelfSupervised;

/// <summary>
/// One batch of view pairs from a <see cref="ViewPairLoader"/>: row i of <see cref="First"/> and of <see cref="Second"/>
/// are two views of the same image. Owns its tensors (made outside any dispose scope): dispose the batch when the step is
/// done, and do not dispose the tensors yourself.
/// </summary>
public sealed class ViewBatch : LoaderBatch
{
    internal ViewBatch(Tensor first, Tensor second, IReadOnlyList<ViewGeometry> firstGeometry, IReadOnlyList<ViewGeometry> secondGeometry,
        IReadOnlyList<string> ids, int epoch, int index) : base(ids, epoch, index, first, second)
    {
        First = first; Second = second; FirstGeometry = firstGeometry; SecondGeometry = secondGeometry;
    }

    /// <summary>First views, normalised float32 <c>[N, C, H, W]</c> on the CPU.</summary>
    public Tensor First { get; }

    /// <summary>Second views, normalised float32 <c>[N, C, H, W]</c> on the CPU.</summary>
    public Tensor Second { get; }

    /// <summary>Geometry of each first view in its source image.</summary>
    public IReadOnlyList<ViewGeometry> FirstGeometry { get; }

    /// <summary>Geometry of each second view in its source image.</summary>
    public IReadOnlyList<ViewGeometry> SecondGeometry { get; }
}
