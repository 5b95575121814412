using static TorchSharp.torch;

namespace SharpSeg.Data.Loading;

/// <summary>
/// One batch from a <see cref="SegmentationLoader"/>. The batch owns its two tensors: they are not registered with any
/// dispose scope (they are made on a loader thread), so dispose the batch (<c>using var batch = …</c>) when the step is
/// done, which frees them. Tensors computed from them inside a <c>torch.NewDisposeScope()</c> belong to that scope as
/// usual. Do not dispose <see cref="Images"/> or <see cref="Masks"/> yourself, and do not use them after disposing the batch.
/// </summary>
public sealed class Batch : LoaderBatch
{
    internal Batch(Tensor images, Tensor masks, IReadOnlyList<string> ids, int epoch, int index) : base(ids, epoch, index, images, masks)
    {
        Images = images; Masks = masks;
    }

    /// <summary>Normalised images, float32 <c>[N, C, H, W]</c> on the CPU (C = 3 for RGB, 1 for grayscale).</summary>
    public Tensor Images { get; }

    /// <summary>Class indices, int64 <c>[N, H, W]</c> on the CPU; 255 (<see cref="Imaging.LabelMask.Ignore"/>) marks ignored pixels.</summary>
    public Tensor Masks { get; }
}
