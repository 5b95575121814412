using SharpSeg.Models.Decoders;
using SharpSeg.Models.Encoders;
using TorchSharp;
using static TorchSharp.torch;

namespace SharpSeg.Models;

/// <summary>
/// Encoder → decoder → segmentation head (1×1 convolution to class logits). Takes a normalised image batch
/// <c>[N, InChannels, H, W]</c> of any H, W and returns <b>logits</b> (not probabilities) <c>[N, NumClasses, H, W]</c>:
/// the input is padded at the bottom/right up to a multiple of the encoder's output stride and the logits are cropped
/// back, so callers never deal with the stride.
/// </summary>
/// <remarks>
/// An auxiliary head (deep supervision on the deepest encoder features) is the planned extension point: it would be
/// a nullable submodule applied to <see cref="ForwardFeatures"/>' last map in training only; none exists yet.
/// </remarks>
public sealed class SegmentationModel : nn.Module<Tensor, Tensor>
{
    private readonly Encoder encoder;
    private readonly Decoder decoder;
    private readonly nn.Module<Tensor, Tensor> head;

    public SegmentationModel(Encoder encoder, Decoder decoder, int numClasses, InputPadding padding = InputPadding.Reflect, ModelConfig? config = null)
        : base(nameof(SegmentationModel))
    {
        if (numClasses < 1) throw new ArgumentOutOfRangeException(nameof(numClasses), $"num_classes must be at least 1, got {numClasses}");
        this.encoder = encoder;
        this.decoder = decoder;
        head = nn.Conv2d(decoder.OutChannels, numClasses, kernel_size: 1);
        NumClasses = numClasses;
        Padding = padding;
        Config = config;
        RegisterComponents();
    }

    /// <summary>The backbone; its strides decide the padding multiple.</summary>
    public Encoder Encoder => encoder;

    /// <summary>The decoder fed with the encoder's feature maps.</summary>
    public Decoder Decoder => decoder;

    /// <summary>Number of output channels (one logit per class).</summary>
    public int NumClasses { get; }

    /// <summary>Image channels expected at the input.</summary>
    public int InChannels => encoder.InChannels;

    /// <summary>How inputs are padded to a multiple of the encoder's output stride.</summary>
    public InputPadding Padding { get; }

    /// <summary>The configuration this model was built from by <see cref="ModelZoo.Create"/> (null when built by hand);
    /// a checkpoint stores it next to the weights.</summary>
    public ModelConfig? Config { get; }

    /// <summary>Image batch <c>[N, InChannels, H, W]</c> (any H, W ≥ 1) → logits <c>[N, NumClasses, H, W]</c>.</summary>
    public override Tensor forward(Tensor x)
    {
        CheckInput(x);
        long h = x.shape[2], w = x.shape[3];
        Tensor padded = PadToStride(x);
        Tensor logits = head.forward(decoder.forward(encoder.forward(padded)));
        if (logits.shape[2] != padded.shape[2] || logits.shape[3] != padded.shape[3])
            logits = nn.functional.interpolate(logits, size: [padded.shape[2], padded.shape[3]], mode: InterpolationMode.Bilinear, align_corners: false);
        if (logits.shape[2] != h || logits.shape[3] != w)
            logits = logits[.., .., ..(int)h, ..(int)w];
        return logits;
    }

    /// <summary>The encoder's feature maps for an input of any size (padded as in <see cref="forward"/>, not cropped).</summary>
    public Tensor[] ForwardFeatures(Tensor x)
    {
        CheckInput(x);
        return encoder.forward(PadToStride(x));
    }

    private void CheckInput(Tensor x)
    {
        if (x.dim() != 4) throw new ArgumentException($"expected an image batch [N, C, H, W], got shape [{string.Join(", ", x.shape)}]", nameof(x));
        if (x.shape[1] != encoder.InChannels)
            throw new SharpSegException($"the model expects {encoder.InChannels}-channel images but got {x.shape[1]} channels: set in_channels: {x.shape[1]} in the model config or convert the images.");
    }

    private Tensor PadToStride(Tensor x)
    {
        long h = x.shape[2], w = x.shape[3];
        int s = encoder.OutputStride;
        long ph = (s - h % s) % s, pw = (s - w % s) % s;
        if (ph == 0 && pw == 0) return x;
        long[] pad = [0, pw, 0, ph];
        return Padding switch
        {
            InputPadding.Zeros => nn.functional.pad(x, pad, PaddingModes.Constant, 0.0),
            InputPadding.Reflect when ph < h && pw < w => nn.functional.pad(x, pad, PaddingModes.Reflect),
            _ => nn.functional.pad(x, pad, PaddingModes.Replicate),
        };
    }
}
