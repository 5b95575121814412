using SharpSeg.Models.Decoders;
using SharpSeg.Models.Decoders.DeepLab;
using SharpSeg.Models.Decoders.Fcn;
using SharpSeg.Models.Decoders.Fpn;
using SharpSeg.Models.Decoders.HRNet;
using SharpSeg.Models.Decoders.LrAspp;
using SharpSeg.Models.Decoders.PspNet;
using SharpSeg.Models.Decoders.SegFormer;
using SharpSeg.Models.Decoders.UNetPlusPlus;
using SharpSeg.Models.Decoders.UPerNet;
using SharpSeg.Models.Encoders;
using TorchSharp;
using SharpSeg.Models.Encoders.ResNet;
using SharpSeg.Models.Encoders.MobileNet;
using SharpSeg.Models.Encoders.MixTransformer;
using SharpSeg.Models.Encoders.HRNet;
using SharpSeg.Models.MaskClassification;

namespace SharpSeg.Models;

/// <summary>
/// Builds models by name: <c>architecture</c> picks the decoder, <c>encoder</c> the backbone. A new model is added by
/// one line in <see cref="Encoders"/> or <see cref="Architectures"/> (plus its description and valid encoders), and is
/// then covered by the test parametrised over <see cref="Registered"/>.
/// </summary>
public static class ModelZoo
{
    private static readonly string[] ResNets = ["resnet18", "resnet34", "resnet50", "resnet101", "resnet18_imagenet"];
    private static readonly string[] MobileNets = ["mobilenet_v2", "mobilenet_v3_large"];
    private static readonly string[] Backbones = [.. ResNets, .. MobileNets];
    private static readonly string[] MixTransformers = ["mit_b0", "mit_b1"];
    private static readonly string[] HRNets = ["hrnet_w18_small"];

    /// <summary>Encoders without dilation: their output stride is always 32.</summary>
    private static readonly string[] FixedStrideEncoders = [.. MixTransformers, .. HRNets];

    /// <summary>Encoder builders by name. The config they receive has <see cref="ModelConfig.OutputStride"/> resolved.</summary>
    public static IReadOnlyDictionary<string, Func<ModelConfig, Encoder>> Encoders { get; } = BuildEncoders();

    private static SortedDictionary<string, Func<ModelConfig, Encoder>> BuildEncoders()
    {
        var d = new SortedDictionary<string, Func<ModelConfig, Encoder>>(StringComparer.Ordinal)
        {
            ["unet"] = c => new UNetEncoder(c.InChannels, c.Depth, c.BaseWidth, c.BatchNorm),
        };
        foreach (var name in ResNets) d[name] = c => new ResNetEncoder(name, c.InChannels, c.OutputStride ?? 32, depth: c.EncoderDepth ?? 5);
        d["mobilenet_v2"] = c => new MobileNetV2Encoder(c.InChannels, c.OutputStride ?? 32);
        d["mobilenet_v3_large"] = c => new MobileNetV3Encoder(c.InChannels, c.OutputStride ?? 16);
        foreach (var name in MixTransformers) d[name] = c => new MixTransformerEncoder(name, c.InChannels, c.DropPath);
        d["hrnet_w18_small"] = c => new HRNetEncoder(c.InChannels);
        return d;
    }

    /// <summary>Decoder builders by architecture name, given the (resolved) config and the encoder they sit on.</summary>
    public static IReadOnlyDictionary<string, Func<ModelConfig, Encoder, Decoder>> Architectures { get; } =
        new SortedDictionary<string, Func<ModelConfig, Encoder, Decoder>>(StringComparer.Ordinal)
        {
            ["unet"] = (c, e) => new UNetDecoder(e.OutChannels, e.Strides, c.DecoderChannels ?? DefaultUNetDecoderChannels(e), c.ParseUpsampling(), c.BatchNorm, c.Dropout),
            ["fcn"] = (c, e) => new FcnDecoder(e.OutChannels, e.Strides),
            ["deeplabv3"] = (c, e) => new DeepLabV3Decoder(e.OutChannels, e.Strides, c.AsppRates),
            ["deeplabv3plus"] = (c, e) => new DeepLabV3PlusDecoder(e.OutChannels, e.Strides, c.AsppRates),
            ["pspnet"] = (c, e) => new PspNetDecoder(e.OutChannels, e.Strides),
            ["fpn"] = (c, e) => new FpnDecoder(e.OutChannels, e.Strides, pyramidChannels: c.DecoderChannels?[0] ?? 256,
                segmentationChannels: c.DecoderChannels?[1] ?? 128, outputStride: c.DecoderStride ?? 4),
            ["lraspp"] = (c, e) => new LrAsppDecoder(e.OutChannels, e.Strides, c.NumClasses),
            ["unetplusplus"] = (c, e) => new UNetPlusPlusDecoder(e.OutChannels, e.Strides, c.DecoderChannels, c.BatchNorm),
            ["upernet"] = (c, e) => new UPerNetDecoder(e.OutChannels, e.Strides),
            ["segformer"] = (c, e) => new SegFormerDecoder(e.OutChannels, e.Strides),
            ["hrnet"] = (c, e) => new HRNetDecoder(e.OutChannels, e.Strides),
            ["mask2former"] = (c, e) => new MaskFormerDecoder(e.OutChannels, e.Strides, c.NumClasses, MaskFormerOptionsOf(c)),
        };

    /// <summary>The Mask2Former sizes a config asks for (the paper's where it leaves them out).</summary>
    public static MaskFormerOptions MaskFormerOptionsOf(ModelConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var d = new MaskFormerOptions();
        int hidden = config.HiddenDim ?? d.HiddenDim;
        return d with { Queries = config.NumQueries ?? d.Queries, HiddenDim = hidden, FeedForwardDim = 8 * hidden, Layers = config.DecoderLayers ?? d.Layers, MaskedAttention = config.MaskedAttention };
    }

    /// <summary>What each architecture is for (one line), its default output stride and the encoders it accepts.</summary>
    private static readonly Dictionary<string, (string Description, int OutputStride, string[] Encoders)> ArchitectureFacts = new()
    {
        ["unet"] = ("U-Net: skip connections at every stride; sharp boundaries, small data, medical/industrial images", 32, ["unet", .. Backbones, .. MixTransformers]),
        ["fcn"] = ("FCN (torchvision fcn_*): simplest baseline, one 3x3 conv on dilated deep features", 8, Backbones),
        ["deeplabv3"] = ("DeepLabV3 (torchvision deeplabv3_*): ASPP multi-scale context on dilated features; scenes", 8, Backbones),
        ["deeplabv3plus"] = ("DeepLabV3+: ASPP context plus a stride-4 low-level decoder for sharper boundaries", 16, [.. Backbones, .. MixTransformers]),
        ["pspnet"] = ("PSPNet: pyramid pooling global context (1/2/3/6 bins); scene parsing, large uniform regions", 8, Backbones),
        ["fpn"] = ("FPN: light multi-scale pyramid head at stride 4; objects of very different sizes", 32, [.. Backbones, .. MixTransformers]),
        ["unetplusplus"] = ("UNet++: nested dense skip connections; finer boundaries than U-Net at more compute", 32, Backbones),
        ["upernet"] = ("UPerNet: pyramid pooling + FPN fusion at stride 4; scene parsing with many classes", 32, [.. Backbones, .. MixTransformers]),
        ["segformer"] = ("SegFormer: Mix Transformer encoder + all-MLP head at stride 4; global context at low cost, scenes", 32, MixTransformers),
        ["hrnet"] = ("HRNetV2: parallel multi-resolution branches, all concatenated at stride 4; thin structures, boundaries", 32, HRNets),
        ["mask2former"] = ("Mask2Former: N learned queries each predict a mask and its class (masked attention, FPN pixel decoder); set-level training", 32, [.. ResNets, .. MixTransformers]),
        ["lraspp"] = ("LR-ASPP (torchvision lraspp_*): tiny real-time head for MobileNetV3; mobile and CPU inference", 16, ["mobilenet_v3_large"]),
    };

    /// <summary>Encoders that make sense for an architecture (the ones <see cref="Create"/> accepts).</summary>
    public static IReadOnlyList<string> ValidEncoders(string architecture) =>
        ArchitectureFacts.TryGetValue(architecture.Trim().ToLowerInvariant(), out var f) ? f.Encoders
        : throw new SharpSegException($"unknown model.architecture '{architecture}': use one of {string.Join(", ", Architectures.Keys)}.");

    /// <summary>Output stride an architecture uses when <see cref="ModelConfig.OutputStride"/> is not set: torchvision's
    /// choices (8 for FCN/DeepLabV3/PSPNet on ResNet, 16 on MobileNet as its dilated MobileNetV3 builders), 16 for
    /// DeepLabV3+ and LR-ASPP, 32 for U-Net and FPN; the plain U-Net encoder always has 2^depth; MiT and HRNet always 32.</summary>
    public static int DefaultOutputStride(string architecture, string? encoder = null)
    {
        if (!ArchitectureFacts.TryGetValue(architecture.Trim().ToLowerInvariant(), out var f))
            throw new SharpSegException($"unknown model.architecture '{architecture}': use one of {string.Join(", ", Architectures.Keys)}.");
        string? e = encoder?.Trim().ToLowerInvariant();
        if (e is not null && FixedStrideEncoders.Contains(e)) return 32;
        return e is not null && MobileNets.Contains(e) ? Math.Max(16, f.OutputStride) : f.OutputStride;
    }

    /// <summary>Every valid (architecture, encoder) pair with a tiny configuration, for smoke tests: the smallest encoder
    /// of each family (plain U-Net width 4, ResNet-18, both MobileNets, MiT-B0, HRNet-W18-small) and output stride 16 for the
    /// dilated architectures to keep them cheap.</summary>
    public static IReadOnlyList<ModelZooEntry> Registered =>
        Architectures.Keys.SelectMany(a => ValidEncoders(a).Where(e => e is "unet" or "resnet18" or "mobilenet_v2" or "mobilenet_v3_large" or "mit_b0" or "hrnet_w18_small").Select(e => new ModelZooEntry(a, e,
            new ModelConfig
            {
                Architecture = a, Encoder = e, InChannels = 3, NumClasses = 3, Depth = 3, BaseWidth = 4,
                OutputStride = e == "unet" ? null : Math.Max(16, DefaultOutputStride(a, e)), DropPath = 0,
                NumQueries = a == "mask2former" ? 6 : null, HiddenDim = a == "mask2former" ? 16 : null, DecoderLayers = a == "mask2former" ? 3 : null,
            }))).ToList();

    /// <summary>Every valid (architecture, encoder) pair at its default (full-size) configuration, 21 classes, for listings.</summary>
    public static IReadOnlyList<ModelConfig> Combinations =>
        Architectures.Keys.SelectMany(a => ValidEncoders(a).Select(e => new ModelConfig { Architecture = a, Encoder = e, InChannels = 3, NumClasses = 21 })).ToList();

    /// <summary>Builds the model a config describes (random weights, training mode). Unknown names, encoders that do not
    /// fit the architecture and invalid values are a <see cref="SharpSegException"/> listing what is valid.</summary>
    public static SegmentationModel Create(ModelConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        string architecture = config.Architecture.Trim().ToLowerInvariant(), encoderName = config.Encoder.Trim().ToLowerInvariant();
        if (!Architectures.TryGetValue(architecture, out var decoderBuilder))
            throw new SharpSegException($"unknown model.architecture '{config.Architecture}': use one of {string.Join(", ", Architectures.Keys)}.");
        if (!Encoders.TryGetValue(encoderName, out var encoderBuilder))
            throw new SharpSegException($"unknown model.encoder '{config.Encoder}': use one of {string.Join(", ", Encoders.Keys)}.");
        var valid = ValidEncoders(architecture);
        if (!valid.Contains(encoderName))
            throw new SharpSegException($"model.encoder '{config.Encoder}' does not fit architecture '{architecture}': use one of {string.Join(", ", valid)}.");
        config.Validate();
        if (encoderName == "unet" && config.OutputStride is { } os && os != 1 << config.Depth)
            throw new SharpSegException($"the plain U-Net encoder's output stride is 2^depth = {1 << config.Depth}, not {os}: leave model.output_stride out or change model.depth.");
        if (FixedStrideEncoders.Contains(encoderName) && config.OutputStride is { } fixedOs && fixedOs != 32)
            throw new SharpSegException($"encoder {encoderName} has no dilated variant: its output stride is always 32, not {fixedOs}; leave model.output_stride out.");
        var resolved = config with { OutputStride = config.OutputStride ?? DefaultOutputStride(architecture, encoderName) };
        Encoder encoder = encoderBuilder(resolved);
        if (config.DecoderChannels is { } fc && architecture == "fpn" && fc.Length != 2)
            throw new SharpSegException($"model.decoder_channels for fpn is [pyramid, segmentation] (default [256, 128]), got {fc.Length} entries.");
        if (config.DecoderChannels is { } dc && architecture != "fpn" && dc.Length != encoder.OutChannels.Count)
            throw new SharpSegException($"model.decoder_channels needs {encoder.OutChannels.Count} entries for encoder {encoderName} (one per stage, full resolution first), got {dc.Length}.");
        Decoder decoder = decoderBuilder(resolved, encoder);
        var aux = config.AuxHead ? FcnHead.Create(encoder.OutChannels[encoder.AuxStage], config.NumClasses) : null;
        return new SegmentationModel(encoder, decoder, config.NumClasses, config.ParsePadding(), config, aux, config.HeadKernel);
    }

    /// <summary>Number of scalar parameters (weights and biases, not BatchNorm running statistics) of a module.</summary>
    public static long CountParameters(torch.nn.Module module, bool trainableOnly = false)
    {
        ArgumentNullException.ThrowIfNull(module);
        long n = 0;
        foreach (var p in module.parameters())
            if (!trainableOnly || p.requires_grad) n += p.numel();
        return n;
    }

    /// <summary>
    /// The model listing: for each config (default: <see cref="Combinations"/>) its parameter count at
    /// <paramref name="numClasses"/>, default output stride, MACs at <paramref name="flopsImageSize"/>² (null: skipped;
    /// 512 takes seconds per model on a CPU) and what it is for. Builds every model once.
    /// </summary>
    public static IReadOnlyList<ModelDescription> Describe(int numClasses = 21, int? flopsImageSize = null, IEnumerable<ModelConfig>? configs = null)
    {
        var rows = new List<ModelDescription>();
        foreach (var c in configs ?? Combinations)
        {
            var config = c with { NumClasses = numClasses, AuxHead = false };
            using var model = Create(config);
            double? gmacs = null;
            if (flopsImageSize is { } s)
            {
                using var x = torch.zeros(1, config.InChannels, s, s);
                gmacs = FlopCounter.CountMacs(model, x) / 1e9;
            }
            string architecture = config.Architecture.Trim().ToLowerInvariant();
            rows.Add(new ModelDescription($"{architecture}/{config.Encoder.Trim().ToLowerInvariant()}", CountParameters(model),
                model.Encoder.OutputStride, gmacs, ArchitectureFacts[architecture].Description));
        }
        return rows;
    }

    /// <summary>Default U-Net decoder widths: the classic mirror of the plain U-Net encoder; for backbones whose stage 0 is
    /// the input image, SMP's 16, 32, 64, 128, 256 (full resolution first).</summary>
    private static int[]? DefaultUNetDecoderChannels(Encoder e) =>
        e is UNetEncoder ? null : Enumerable.Range(0, e.OutChannels.Count).Select(i => Math.Min(256, 16 << i)).ToArray();
}
