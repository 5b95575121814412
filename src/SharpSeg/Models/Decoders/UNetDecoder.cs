using TorchSharp;
using static TorchSharp.torch;
using SharpSeg.Models.Onnx;

namespace SharpSeg.Models.Decoders;

/// <summary>
/// The U-Net expanding path for any encoder: starting from the deepest map, each block upsamples to the next
/// shallower stage's resolution, concatenates that stage's features and applies a double 3×3 conv. The output is at
/// the shallowest stage's stride (1 for every encoder that follows the <see cref="Encoders.Encoder"/> contract) with
/// <c>decoderChannels[0]</c> channels, followed by optional channel dropout (p) for the segmentation head.
/// </summary>
public sealed class UNetDecoder : Decoder
{
    private readonly TorchSharp.Modules.ModuleList<nn.Module<Tensor, Tensor, Tensor>> blocks;
    private readonly nn.Module<Tensor, Tensor>? dropout;
    private readonly int outChannels;
    private readonly int outputStride;

    /// <param name="encoderChannels">The encoder's <see cref="Encoders.Encoder.OutChannels"/>.</param>
    /// <param name="encoderStrides">The encoder's <see cref="Encoders.Encoder.Strides"/>.</param>
    /// <param name="decoderChannels">Output channels per stage (same length as the encoder's lists; the last entry is
    /// unused). Null: the classic U-Net choice, each block outputs its skip's channel count.</param>
    /// <param name="upsampling">Bilinear interpolation or a transposed convolution.</param>
    /// <param name="batchNorm">BatchNorm in the decoder's convolutions.</param>
    /// <param name="dropout">Channel dropout probability on the output (0: none).</param>
    public UNetDecoder(IReadOnlyList<int> encoderChannels, IReadOnlyList<int> encoderStrides, IReadOnlyList<int>? decoderChannels = null,
        UpsamplingMode upsampling = UpsamplingMode.Bilinear, bool batchNorm = true, double dropout = 0.0) : base(nameof(UNetDecoder))
    {
        int stages = encoderChannels.Count;
        if (stages < 2) throw new ArgumentException($"a U-Net decoder needs at least 2 encoder stages, got {stages}", nameof(encoderChannels));
        if (encoderStrides.Count != stages) throw new ArgumentException($"{encoderStrides.Count} strides for {stages} stages", nameof(encoderStrides));
        if (decoderChannels is not null && decoderChannels.Count != stages)
            throw new ArgumentException($"decoder_channels needs {stages} entries (one per encoder stage), got {decoderChannels.Count}", nameof(decoderChannels));
        if (dropout < 0 || dropout >= 1) throw new ArgumentOutOfRangeException(nameof(dropout), $"dropout must be in [0, 1), got {dropout}");

        int Out(int i) => decoderChannels?[i] ?? encoderChannels[i];
        var list = new List<nn.Module<Tensor, Tensor, Tensor>>();
        int inChannels = encoderChannels[stages - 1];
        for (int i = stages - 2; i >= 0; i--)
        {
            if (encoderStrides[i + 1] % encoderStrides[i] != 0)
                throw new ArgumentException($"encoder stride {encoderStrides[i + 1]} is not a multiple of {encoderStrides[i]}", nameof(encoderStrides));
            int scale = encoderStrides[i + 1] / encoderStrides[i];
            list.Add(new UNetUpBlock($"block{stages - 2 - i}", inChannels, encoderChannels[i], Out(i), scale, upsampling, batchNorm));
            inChannels = Out(i);
        }
        blocks = nn.ModuleList(list.ToArray());
        if (dropout > 0) this.dropout = nn.Dropout2d(dropout);
        outChannels = inChannels;
        outputStride = encoderStrides[0];
        RegisterComponents();
    }

    public override int OutChannels => outChannels;
    public override int OutputStride => outputStride;

    /// <summary>Encoder features (highest resolution first) → <c>[N, OutChannels, H / OutputStride, W / OutputStride]</c>.</summary>
    public override Tensor forward(Tensor[] features)
    {
        if (features.Length != blocks.Count + 1)
            throw new ArgumentException($"expected {blocks.Count + 1} feature maps, got {features.Length}", nameof(features));
        Tensor x = features[^1];
        for (int k = 0; k < blocks.Count; k++)
            x = blocks[k].forward(x, features[features.Length - 2 - k]);
        return dropout is null ? x : dropout.forward(x);
    }

    public override OnnxValue ExportOnnx(OnnxGraphBuilder graph, OnnxValue[] features)
    {
        OnnxValue x = features[^1];
        for (int k = 0; k < blocks.Count; k++)
            x = ((UNetUpBlock)blocks[k]).ExportOnnx(graph, x, features[features.Length - 2 - k]);
        return dropout is null ? x : graph.Module(dropout, x);
    }
}
