using SharpSeg.Models.Encoders;
using static TorchSharp.torch;

namespace SharpSeg.SelfSupervised;

/// <summary>The encoder with its projection heads, as trained by <see cref="Pretrainer"/> (the heads are discarded after).</summary>
internal sealed class ContrastiveNetwork : nn.Module
{
    private readonly Encoder encoder;
    private readonly nn.Module<Tensor, Tensor> projection;
    private readonly nn.Module<Tensor, Tensor>? dense;

    public ContrastiveNetwork(Encoder encoder, int hidden, int projectionDim, bool withDenseHead) : base(nameof(ContrastiveNetwork))
    {
        int c = encoder.OutChannels[^1];
        this.encoder = encoder;
        projection = ProjectionHeads.Global(c, hidden, projectionDim);
        dense = withDenseHead ? ProjectionHeads.Dense(c, hidden, projectionDim) : null;
        RegisterComponents();
    }

    public Encoder Encoder => encoder;

    /// <summary>Views <c>[B, C, H, W]</c> → global projections <c>[B, D]</c> and, with a dense head, dense projections
    /// <c>[B, D, H/s, W/s]</c> of the deepest feature map (s = the encoder's output stride), and that map itself.</summary>
    public (Tensor Global, Tensor? Dense, Tensor Deepest) Forward(Tensor views)
    {
        var deepest = encoder.call(views)[^1];
        var pooled = nn.functional.adaptive_avg_pool2d(deepest, 1).flatten(1);
        return (projection.call(pooled), dense?.call(deepest), deepest);
    }
}
