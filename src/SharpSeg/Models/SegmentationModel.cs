using SharpSeg.Models.Decoders;
using SharpSeg.Models.Encoders;
using TorchSharp;
using static TorchSharp.torch;
using SharpSeg.Models.Onnx;
using SharpSeg.Models.MaskClassification;

namespace SharpSeg.Models;

/// <summary>
/// Encoder → decoder → segmentation head (1×1 convolution to class logits). Takes a normalised image batch
/// <c>[N, InChannels, H, W]</c> of any H, W and returns <b>logits</b> (not probabilities) <c>[N, NumClasses, H, W]</c>:
/// the input is padded at the bottom/right up to a multiple of the encoder's output stride and the logits are cropped
/// back, so callers never deal with the stride.
/// </summary>
/// <remarks>
/// An optional auxiliary head (torchvision's FCNHead on <see cref="Encoders.Encoder.AuxStage"/>, e.g. ResNet's layer3) gives
/// deep supervision in training: <see cref="ForwardWithAux"/> returns both logits; <see cref="forward"/> never runs it.
/// </remarks>
public sealed class SegmentationModel : nn.Module<Tensor, Tensor>, IOnnxExportable
{
    private readonly Encoder encoder;
    private readonly Decoder decoder;
    private readonly nn.Module<Tensor, Tensor> head;
    private readonly nn.Module<Tensor, Tensor>? aux;

    /// <param name="encoder">The backbone.</param>
    /// <param name="decoder">The decoder on the backbone's maps.</param>
    /// <param name="numClasses">Logit channels.</param>
    /// <param name="padding">How inputs are padded to a multiple of the output stride.</param>
    /// <param name="config">The config the model was built from (stored in checkpoints).</param>
    /// <param name="auxHead">Optional auxiliary head <c>[N, encoder.OutChannels[AuxStage], h, w] → [N, numClasses, h, w]</c>.</param>
    /// <param name="headKernel">Kernel of the segmentation head: 1, or 3 (padding 1) as segmentation_models.pytorch.</param>
    public SegmentationModel(Encoder encoder, Decoder decoder, int numClasses, InputPadding padding = InputPadding.Reflect, ModelConfig? config = null,
        nn.Module<Tensor, Tensor>? auxHead = null, int headKernel = 1)
        : base(nameof(SegmentationModel))
    {
        // Before any weight is computed with: on a CPU whose oneDNN kernels are wrong (AMD Zen 5), this turns them off,
        // so that a model trained or run outside Trainer and Predictor (a test, a user's own loop) is not silently wrong.
        Engine.TorchRuntime.EnsureConfigured();
        if (numClasses < 1) throw new ArgumentOutOfRangeException(nameof(numClasses), $"num_classes must be at least 1, got {numClasses}");
        if (decoder.OutputsLogits && decoder.OutChannels != numClasses)
            throw new ArgumentException($"the decoder outputs {decoder.OutChannels} logits but num_classes is {numClasses}", nameof(decoder));
        this.encoder = encoder;
        this.decoder = decoder;
        if (headKernel is not (1 or 3)) throw new ArgumentOutOfRangeException(nameof(headKernel), $"head kernel must be 1 or 3, got {headKernel}");
        head = decoder.OutputsLogits ? nn.Identity() : nn.Conv2d(decoder.OutChannels, numClasses, kernel_size: headKernel, padding: headKernel / 2);
        aux = auxHead;
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

    /// <summary>True when the model has an auxiliary head (<see cref="ForwardWithAux"/> then returns its logits).</summary>
    public bool HasAuxHead => aux is not null;

    /// <summary>Image batch <c>[N, InChannels, H, W]</c> (any H, W ≥ 1) → logits <c>[N, NumClasses, H, W]</c>.</summary>
    public override Tensor forward(Tensor x)
    {
        CheckInput(x);
        Tensor padded = PadToStride(x);
        return ToInputSize(head.call(decoder.call(encoder.call(padded))), padded, x);
    }

    /// <summary>For training with deep supervision: image batch <c>[N, InChannels, H, W]</c> → the main logits and the
    /// auxiliary head's logits (null without an aux head), both <c>[N, NumClasses, H, W]</c>. The loss is
    /// <c>loss(logits) + aux_weight · loss(auxLogits)</c> (<see cref="ModelConfig.AuxWeight"/>).</summary>
    public (Tensor Logits, Tensor? AuxLogits) ForwardWithAux(Tensor x)
    {
        CheckInput(x);
        Tensor padded = PadToStride(x);
        var features = encoder.call(padded);
        Tensor logits = ToInputSize(head.call(decoder.call(features)), padded, x);
        Tensor? auxLogits = aux is null ? null : ToInputSize(aux.call(features[encoder.AuxStage]), padded, x);
        return (logits, auxLogits);
    }

    /// <summary>True for a mask-classification decoder (Mask2Former, <see cref="MaskFormerDecoder"/>): it is trained with
    /// <see cref="ForwardMaskClassification"/> and <see cref="MaskClassificationCriterion"/>, not a per-pixel loss.</summary>
    public bool IsMaskClassification => decoder is MaskFormerDecoder;

    /// <summary>For training a mask-classification model: image batch <c>[N, InChannels, H, W]</c> → every decoder
    /// layer's class logits <c>[N, Q, K+1]</c> and mask logits <c>[N, Q, h, w]</c> (on the padded input's frame, whose
    /// share covered by the image is the output's extent).</summary>
    public MaskClassificationOutput ForwardMaskClassification(Tensor x)
    {
        if (decoder is not MaskFormerDecoder maskFormer)
            throw new InvalidOperationException($"{decoder.GetType().Name} is not a mask-classification decoder");
        CheckInput(x);
        Tensor padded = PadToStride(x);
        var layers = maskFormer.ForwardLayers(encoder.call(padded));
        return new MaskClassificationOutput(layers, (double)x.shape[2] / padded.shape[2], (double)x.shape[3] / padded.shape[3]);
    }

    /// <summary>
    /// Inference of a mask-classification model from one forward pass: image batch <c>[N, InChannels, H, W]</c> → the
    /// semantic log-scores <c>[N, NumClasses, H, W]</c> (exactly <see cref="forward"/>'s output), and the last decoder
    /// layer's class logits <c>[N, Q, K+1]</c> and mask logits resized to the input <c>[N, Q, H, W]</c> (bilinear to the
    /// padded frame, then cropped, as Mask2Former resizes them before its panoptic and instance inference).
    /// </summary>
    public MaskClassificationPrediction ForwardQueries(Tensor x)
    {
        if (decoder is not MaskFormerDecoder maskFormer)
            throw new InvalidOperationException($"{decoder.GetType().Name} is not a mask-classification decoder");
        CheckInput(x);
        Tensor padded = PadToStride(x);
        var (classLogits, maskLogits) = maskFormer.ForwardLayers(encoder.call(padded))[^1];
        var semantic = ToInputSize(head.call(maskFormer.SemanticLogScores(classLogits, maskLogits)), padded, x);
        return new MaskClassificationPrediction(semantic, classLogits, ToInputSize(maskLogits, padded, x));
    }

    private static Tensor ToInputSize(Tensor logits, Tensor padded, Tensor x)
    {
        long h = x.shape[2], w = x.shape[3];
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
        return encoder.call(PadToStride(x));
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

    /// <summary>ONNX graph of <see cref="forward"/>: pad to the output stride, encoder, decoder, head, resize to the padded
    /// size, crop back. The aux head is not part of inference and is not exported.</summary>
    public OnnxValue ExportOnnx(OnnxGraphBuilder graph, OnnxValue x)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var padded = graph.PadToMultiple(x, encoder.OutputStride, Padding);
        var logits = graph.KeepFloat(graph.Module(head, decoder.ExportOnnx(graph, encoder.ExportOnnx(graph, padded))));
        if (decoder.OutputStride != 1) logits = graph.ResizeLike(logits, padded);
        return graph.CropLike(logits, x);
    }
}
