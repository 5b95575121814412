using System.Text.Json.Serialization;
using SharpSeg.Models.Encoders.MixTransformer;

namespace SharpSeg.Models;

/// <summary>
/// Everything needed to rebuild a model: what a YAML recipe's <c>model:</c> section and a checkpoint hold.
/// Property names serialise as snake_case (<c>in_channels</c>, <c>base_width</c>...). Checked by <see cref="Validate"/>.
/// </summary>
public sealed record ModelConfig
{
    /// <summary>Decoder architecture, a key of <see cref="ModelZoo.Architectures"/> ("unet").</summary>
    [JsonPropertyName("architecture")] public string Architecture { get; init; } = "unet";

    /// <summary>Encoder (backbone), a key of <see cref="ModelZoo.Encoders"/> ("unet": the plain U-Net contracting path).</summary>
    [JsonPropertyName("encoder")] public string Encoder { get; init; } = "unet";

    /// <summary>Image channels: 1 (grey) or 3 (RGB).</summary>
    [JsonPropertyName("in_channels")] public int InChannels { get; init; } = 3;

    /// <summary>Number of classes = output logit channels (the ignore index is not a class).</summary>
    [JsonPropertyName("num_classes")] public int NumClasses { get; init; } = 2;

    /// <summary>Downsampling stages of the plain U-Net encoder; the output stride is 2^depth (backbones such as ResNet
    /// have a fixed depth of 5 and ignore it).</summary>
    [JsonPropertyName("depth")] public int Depth { get; init; } = 4;

    /// <summary>Width of the full-resolution stage of the plain U-Net encoder; doubles per stage.</summary>
    [JsonPropertyName("base_width")] public int BaseWidth { get; init; } = 32;

    /// <summary>BatchNorm after every 3×3 convolution of the plain U-Net encoder and the U-Net/UNet++ decoders (ResNet,
    /// MobileNet and the torchvision-style heads always use BatchNorm).</summary>
    [JsonPropertyName("batch_norm")] public bool BatchNorm { get; init; } = true;

    /// <summary>Channel-dropout probability before the U-Net segmentation head (0: none); the other heads keep their
    /// published dropout (FCN/PSPNet 0.1, ASPP 0.5, FPN 0.2).</summary>
    [JsonPropertyName("dropout")] public double Dropout { get; init; }

    /// <summary>Decoder upsampling: "bilinear", "transposed" or "nearest" (segmentation_models.pytorch's U-Net).</summary>
    [JsonPropertyName("upsampling")] public string Upsampling { get; init; } = "bilinear";

    /// <summary>U-Net/UNet++ decoder output channels, one per encoder stage (depth + 1 for the plain U-Net encoder, 6 for
    /// ResNet/MobileNet), full resolution first; null: mirror the plain U-Net encoder, or SMP's 16, 32, 64, 128, 256 on a backbone.
    /// For FPN: [pyramid, segmentation] widths (null: SMP's [256, 128]).</summary>
    [JsonPropertyName("decoder_channels")] public int[]? DecoderChannels { get; init; }

    /// <summary>Padding to a multiple of the output stride: "reflect", "replicate" or "zeros".</summary>
    [JsonPropertyName("padding")] public string Padding { get; init; } = "reflect";

    /// <summary>Stride of the encoder's deepest map (8, 16 or 32) for encoders that can trade stride for dilation
    /// (ResNet, MobileNet); null: the architecture's default (DeepLabV3/FCN/PSPNet 8 as in torchvision, DeepLabV3+ and
    /// LR-ASPP 16, U-Net/FPN 32). The plain U-Net encoder's stride is always 2^depth; MiT and HRNet always have 32.</summary>
    [JsonPropertyName("output_stride")] public int? OutputStride { get; init; }

    /// <summary>DeepLabV3/V3+ ASPP atrous rates; null: 12/24/36 at output stride 8, 6/12/18 at 16, 3/6/9 at 32.
    /// torchvision's deeplabv3_mobilenet_v3_large uses [12, 24, 36] at stride 16.</summary>
    [JsonPropertyName("aspp_rates")] public int[]? AsppRates { get; init; }

    /// <summary>Add torchvision's auxiliary FCN head (deep supervision on the encoder's second-deepest map, e.g. ResNet's
    /// layer3); it only runs in <see cref="SegmentationModel.ForwardWithAux"/> during training.</summary>
    [JsonPropertyName("aux_head")] public bool AuxHead { get; init; }

    /// <summary>Weight of the auxiliary head's loss, added to the main loss; the recipe key is <c>loss.aux_weight</c>.
    /// Default 0.4, as in the PSPNet paper and MMSegmentation's configs (torchvision's reference recipe uses 0.5).</summary>
    [JsonPropertyName("aux_weight")] public double AuxWeight { get; init; } = DefaultAuxWeight;

    /// <summary>Default of <see cref="AuxWeight"/> (and of the recipe's <c>loss.aux_weight</c>).</summary>
    public const double DefaultAuxWeight = 0.4;

    /// <summary>Kernel size of the segmentation head (the convolution from decoder features to logits): 1, or 3 as in
    /// segmentation_models.pytorch (padding keeps the size). Ignored by decoders that output logits themselves.</summary>
    [JsonPropertyName("head_kernel")] public int HeadKernel { get; init; } = 1;

    /// <summary>Stochastic depth of transformer encoders (MiT): the drop probability of the last block, rising linearly
    /// from 0 over the blocks (official SegFormer: 0.1); 0 disables it. Other encoders ignore it.</summary>
    [JsonPropertyName("drop_path")] public double DropPath { get; init; } = 0.1;

    /// <summary>Mask2Former only: learned queries, i.e. masks predicted per image; null: 100 (the paper's).</summary>
    [JsonPropertyName("num_queries")] public int? NumQueries { get; init; }

    /// <summary>Mask2Former only: width of the pixel decoder, the queries and the mask embeddings (a multiple of its 8
    /// heads; the FFN is 8× wider); null: 256 (the paper's).</summary>
    [JsonPropertyName("hidden_dim")] public int? HiddenDim { get; init; }

    /// <summary>Mask2Former only: transformer decoder layers, taking the 1/32, 1/16 and 1/8 maps in turn; null: 9.</summary>
    [JsonPropertyName("decoder_layers")] public int? DecoderLayers { get; init; }

    /// <summary>FPN only: the decoder's output stride, 4 (null: the default, as in segmentation_models.pytorch) or 2, which
    /// adds a refinement at stride 2 with the encoder's stride-2 features (DeepLabV3+'s low-level fusion one level
    /// finer), for structures a few pixels wide.</summary>
    [JsonPropertyName("decoder_stride")] public int? DecoderStride { get; init; }

    /// <summary>ResNet encoders with the fpn or unet decoder: downsampling stages kept (segmentation_models.pytorch's
    /// <c>encoder_depth</c>), 5 (null: all), 4 (without layer4, features to stride 16) or 3; fewer stages cost fewer MACs
    /// and see less context.</summary>
    [JsonPropertyName("encoder_depth")] public int? EncoderDepth { get; init; }

    /// <summary>Mask2Former only: masked cross-attention (each query attends where its previous mask is foreground);
    /// false: plain cross-attention.</summary>
    [JsonPropertyName("masked_attention")] public bool MaskedAttention { get; init; } = true;

    /// <summary>Value equality, comparing <see cref="DecoderChannels"/> element by element (a checkpoint's config
    /// equals the recipe's when they describe the same model).</summary>
    public bool Equals(ModelConfig? other) =>
        other is not null && Architecture == other.Architecture && Encoder == other.Encoder && InChannels == other.InChannels
        && NumClasses == other.NumClasses && Depth == other.Depth && BaseWidth == other.BaseWidth && BatchNorm == other.BatchNorm
        && Dropout.Equals(other.Dropout) && Upsampling == other.Upsampling && Padding == other.Padding
        && OutputStride == other.OutputStride && HeadKernel == other.HeadKernel && AuxHead == other.AuxHead && AuxWeight.Equals(other.AuxWeight) && DropPath.Equals(other.DropPath)
        && NumQueries == other.NumQueries && HiddenDim == other.HiddenDim && DecoderLayers == other.DecoderLayers && MaskedAttention == other.MaskedAttention && DecoderStride == other.DecoderStride && EncoderDepth == other.EncoderDepth
        && (AsppRates ?? []).SequenceEqual(other.AsppRates ?? []) && (AsppRates is null) == (other.AsppRates is null)
        && (DecoderChannels ?? []).SequenceEqual(other.DecoderChannels ?? []) && (DecoderChannels is null) == (other.DecoderChannels is null);

    public override int GetHashCode() => HashCode.Combine(Architecture, Encoder, InChannels, NumClasses, Depth, BaseWidth, Upsampling, DecoderChannels?.Length);

    /// <summary>The most input channels a model may take.</summary>
    public const int MaxInChannels = 16;

    /// <summary>The most channels a configurable stage may have (plain U-Net's deepest stage, each decoder stage).</summary>
    public const int MaxChannels = 4096;

    /// <summary>Throws <see cref="SharpSegException"/> with a one-line fix for the first invalid value.</summary>
    public void Validate()
    {
        if (InChannels is < 1 or > MaxInChannels) throw new SharpSegException($"model.in_channels must be 1..{MaxInChannels}, got {InChannels}.");
        if (NumClasses < 1 || NumClasses > Imaging.LabelMask.MaxClasses)
            throw new SharpSegException($"model.num_classes must be 1..{Imaging.LabelMask.MaxClasses}, got {NumClasses}.");
        if (Depth < 1 || Depth > 8) throw new SharpSegException($"model.depth must be 1..8, got {Depth}.");
        if (BaseWidth < 1) throw new SharpSegException($"model.base_width must be at least 1, got {BaseWidth}.");
        // Bounds on what a config may ask to build: a checkpoint's info.json is read before any weight is compared.
        if (Encoder.Trim().Equals("unet", StringComparison.OrdinalIgnoreCase) && (long)BaseWidth << Depth > MaxChannels)
            throw new SharpSegException($"model.base_width {BaseWidth} at depth {Depth} gives {(long)BaseWidth << Depth} channels in the deepest stage, more than {MaxChannels}; lower base_width or depth.");
        if (Dropout < 0 || Dropout >= 1) throw new SharpSegException($"model.dropout must be in [0, 1), got {Dropout}.");
        _ = ParseUpsampling();
        if (HeadKernel is not (1 or 3)) throw new SharpSegException($"model.head_kernel must be 1 or 3, got {HeadKernel}.");
        _ = ParsePadding();
        if (OutputStride is { } os && os != 8 && os != 16 && os != 32)
            throw new SharpSegException($"model.output_stride must be 8, 16 or 32 (or left out for the architecture's default), got {os}.");
        if (AsppRates is not null && (AsppRates.Length == 0 || AsppRates.Any(r => r < 1)))
            throw new SharpSegException($"model.aspp_rates needs positive dilation rates such as [12, 24, 36], got [{string.Join(", ", AsppRates)}].");
        if (DropPath < 0 || DropPath >= 1 || double.IsNaN(DropPath)) throw new SharpSegException($"model.drop_path must be in [0, 1), got {DropPath}.");
        if (AuxWeight < 0 || double.IsNaN(AuxWeight)) throw new SharpSegException($"loss.aux_weight must be at least 0, got {AuxWeight}.");
        if (DecoderChannels is not null && (DecoderChannels.Length > 16 || DecoderChannels.Any(c => c is < 1 or > MaxChannels)))
            throw new SharpSegException($"model.decoder_channels must be up to 16 entries of 1..{MaxChannels}, got [{string.Join(", ", DecoderChannels)}].");
        if (AsppRates is not null && (AsppRates.Length > 16 || AsppRates.Any(r => r > 1024)))
            throw new SharpSegException($"model.aspp_rates must be up to 16 rates of at most 1024, got [{string.Join(", ", AsppRates)}].");
        if (NumQueries is { } nq && nq is < 1 or > 1000) throw new SharpSegException($"model.num_queries must be 1..1000, got {nq}.");
        if (HiddenDim is { } hd && (hd is < 8 or > 1024 || hd % 8 != 0)) throw new SharpSegException($"model.hidden_dim must be a multiple of 8 (the attention heads) in 8..1024, got {hd}.");
        if (DecoderStride is { } ds && ds is not (2 or 4)) throw new SharpSegException($"model.decoder_stride must be 4 or 2 (or left out for 4), got {ds}.");
        if (EncoderDepth is { } ed && ed is < 3 or > 5) throw new SharpSegException($"model.encoder_depth must be 3, 4 or 5 (or left out for 5), got {ed}.");
        if (DecoderLayers is { } dl && dl is < 0 or > 32) throw new SharpSegException($"model.decoder_layers must be 0..32, got {dl}.");
        // Other encoders have a fixed depth; ModelZoo.Create checks decoder_channels against the built encoder.
        if (DecoderChannels is not null && Encoder.Trim().ToLowerInvariant() == "unet" && Architecture.Trim().ToLowerInvariant() != "fpn" && DecoderChannels.Length != Depth + 1)
            throw new SharpSegException($"model.decoder_channels needs depth + 1 = {Depth + 1} positive entries, got [{string.Join(", ", DecoderChannels)}].");
    }

    /// <summary>
    /// Throws <see cref="SharpSegException"/> when an option is set to something other than its default for a model that
    /// does not use it (instead of building the model without it): <c>model.depth</c> and <c>model.base_width</c> on any
    /// encoder but the plain U-Net's, <c>model.dropout</c> and <c>model.upsampling</c> outside
    /// the U-Net decoder, <c>model.batch_norm</c> with neither the plain U-Net encoder nor a U-Net/UNet++ decoder,
    /// <c>model.aspp_rates</c> outside DeepLab, <c>model.drop_path</c> outside MiT encoders, <c>model.head_kernel</c> on
    /// LR-ASPP (which outputs logits itself), and <c>loss.aux_weight</c>
    /// without <c>model.aux_head</c>. Recipes are checked with it; recorded configs (checkpoints)
    /// are not, so that files written before the check still load.
    /// </summary>
    public void RefuseOptionsTheModelIgnores()
    {
        var defaults = new ModelConfig();
        string architecture = Architecture.Trim().ToLowerInvariant(), encoder = Encoder.Trim().ToLowerInvariant();
        string model = $"architecture {architecture} with encoder {encoder}";
        if (encoder != "unet" && Depth != defaults.Depth)
            throw new SharpSegException($"model.depth {Depth} has no effect on {model}: only the plain unet encoder has a configurable depth ({encoder} has its published stages); remove model.depth.");
        if (encoder != "unet" && BaseWidth != defaults.BaseWidth)
            throw new SharpSegException($"model.base_width {BaseWidth} has no effect on {model}: only the plain unet encoder has a configurable width ({encoder} has its published widths); remove model.base_width.");
        if (architecture != "unet" && !Dropout.Equals(defaults.Dropout))
            throw new SharpSegException($"model.dropout {Dropout} has no effect on {model}: only the unet decoder has this dropout (the other heads keep their published dropout); remove model.dropout.");
        if (architecture != "unet" && !Upsampling.Trim().Equals(defaults.Upsampling, StringComparison.OrdinalIgnoreCase))
            throw new SharpSegException($"model.upsampling {Upsampling} has no effect on {model}: only the unet decoder's upsampling is configurable; remove model.upsampling.");
        if (architecture is not ("unet" or "unetplusplus") && encoder != "unet" && BatchNorm != defaults.BatchNorm)
            throw new SharpSegException($"model.batch_norm {BatchNorm.ToString().ToLowerInvariant()} has no effect on {model}: only the plain unet encoder and the unet/unetplusplus decoders can drop BatchNorm (the others always use it); remove model.batch_norm.");
        if (AsppRates != null && architecture is not ("deeplabv3" or "deeplabv3plus"))
            throw new SharpSegException($"model.aspp_rates has no effect on {model}: only deeplabv3 and deeplabv3plus have ASPP; remove model.aspp_rates.");
        if (!encoder.StartsWith("mit_", StringComparison.Ordinal) && !DropPath.Equals(defaults.DropPath))
            throw new SharpSegException($"model.drop_path {DropPath} has no effect on {model}: only transformer encoders (mit_b0, mit_b1) have stochastic depth; remove model.drop_path.");
        if (architecture is "lraspp" or "mask2former" && HeadKernel != defaults.HeadKernel)
            throw new SharpSegException($"model.head_kernel {HeadKernel} has no effect on {model}: {(architecture == "lraspp" ? "LR-ASPP" : "Mask2Former")} outputs logits itself, with no separate segmentation head; remove model.head_kernel.");
        if (architecture != "mask2former" && (NumQueries is not null || HiddenDim is not null || DecoderLayers is not null || MaskedAttention != defaults.MaskedAttention))
            throw new SharpSegException($"model.num_queries, hidden_dim, decoder_layers and masked_attention have no effect on {model}: only the mask2former decoder has them; remove them.");
        if (DecoderChannels != null && architecture is not ("unet" or "unetplusplus" or "fpn"))
            throw new SharpSegException($"model.decoder_channels has no effect on {model}: only the unet, unetplusplus and fpn decoders have configurable widths; remove model.decoder_channels.");
        if (architecture != "fpn" && DecoderStride is not null)
            throw new SharpSegException($"model.decoder_stride has no effect on {model}: only the fpn decoder has a configurable output stride; remove model.decoder_stride.");
        if (EncoderDepth is not null && (!encoder.StartsWith("resnet", StringComparison.Ordinal) || architecture is not ("fpn" or "unet")))
            throw new SharpSegException($"model.encoder_depth has no effect on {model}: only resnet encoders under the fpn or unet decoder can be shortened; remove model.encoder_depth.");
        if (architecture == "mask2former" && AuxHead)
            throw new SharpSegException($"model.aux_head has no effect on {model}: mask2former is deeply supervised through every decoder layer by its set criterion; remove model.aux_head.");
        if (!AuxHead && !AuxWeight.Equals(DefaultAuxWeight))
            throw new SharpSegException($"loss.aux_weight {AuxWeight} has no effect without an auxiliary head: set model.aux_head: true, or remove loss.aux_weight.");
    }

    /// <summary>
    /// The model config a file records (a checkpoint's or an encoder checkpoint's <c>info.json</c>, ONNX metadata), read
    /// and checked with <see cref="Validate"/>; a missing, malformed or out-of-bounds config is <paramref name="bad"/>'s
    /// exception with what is wrong.
    /// </summary>
    internal static ModelConfig ReadRecorded(System.Text.Json.Nodes.JsonObject? node, Func<string, SharpSegException> bad)
    {
        if (node == null) throw bad("no model config");
        ModelConfig config;
        try { config = System.Text.Json.JsonSerializer.Deserialize<ModelConfig>(node) ?? throw bad("no model config"); }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException or FormatException) { throw bad($"model config: {e.Message}"); }
        try { config.Validate(); }
        catch (SharpSegException e) { throw bad(e.Message.TrimEnd('.')); }
        return config;
    }

    /// <summary><see cref="Upsampling"/> as an enum; unknown values are a <see cref="SharpSegException"/>.</summary>
    public Decoders.UpsamplingMode ParseUpsampling() => Upsampling.Trim().ToLowerInvariant() switch
    {
        "bilinear" => Decoders.UpsamplingMode.Bilinear,
        "transposed" => Decoders.UpsamplingMode.Transposed,
        "nearest" => Decoders.UpsamplingMode.Nearest,
        _ => throw new SharpSegException($"model.upsampling '{Upsampling}' is unknown: use bilinear, transposed or nearest."),
    };

    /// <summary><see cref="Padding"/> as an enum; unknown values are a <see cref="SharpSegException"/>.</summary>
    public InputPadding ParsePadding() => Padding.Trim().ToLowerInvariant() switch
    {
        "reflect" => InputPadding.Reflect,
        "replicate" => InputPadding.Replicate,
        "zeros" => InputPadding.Zeros,
        _ => throw new SharpSegException($"model.padding '{Padding}' is unknown: use reflect, replicate or zeros."),
    };
}
