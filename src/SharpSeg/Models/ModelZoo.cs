using SharpSeg.Models.Decoders;
using SharpSeg.Models.Encoders;
using TorchSharp;

namespace SharpSeg.Models;

/// <summary>
/// Builds models by name: <c>architecture</c> picks the decoder, <c>encoder</c> the backbone; any decoder works with
/// any encoder. A new model is added by one line in <see cref="Encoders"/> or <see cref="Architectures"/>, and is then
/// covered by the test parametrised over <see cref="Registered"/>.
/// </summary>
public static class ModelZoo
{
    /// <summary>Encoder builders by name.</summary>
    public static IReadOnlyDictionary<string, Func<ModelConfig, Encoder>> Encoders { get; } =
        new SortedDictionary<string, Func<ModelConfig, Encoder>>(StringComparer.Ordinal)
        {
            ["unet"] = c => new UNetEncoder(c.InChannels, c.Depth, c.BaseWidth, c.BatchNorm),
        };

    /// <summary>Decoder builders by architecture name, given the config and the encoder they sit on.</summary>
    public static IReadOnlyDictionary<string, Func<ModelConfig, Encoder, Decoder>> Architectures { get; } =
        new SortedDictionary<string, Func<ModelConfig, Encoder, Decoder>>(StringComparer.Ordinal)
        {
            ["unet"] = (c, e) => new UNetDecoder(e.OutChannels, e.Strides, c.DecoderChannels, c.ParseUpsampling(), c.BatchNorm, c.Dropout),
        };

    /// <summary>Every (architecture, encoder) pair with a tiny configuration, for listings and smoke tests.</summary>
    public static IReadOnlyList<ModelZooEntry> Registered =>
        Architectures.Keys.SelectMany(a => Encoders.Keys.Select(e => new ModelZooEntry(a, e,
            new ModelConfig { Architecture = a, Encoder = e, InChannels = 3, NumClasses = 3, Depth = 3, BaseWidth = 4 }))).ToList();

    /// <summary>Builds the model a config describes (random weights, training mode). Unknown names and invalid
    /// values are a <see cref="SharpSegException"/> listing what is valid.</summary>
    public static SegmentationModel Create(ModelConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (!Architectures.TryGetValue(config.Architecture.Trim().ToLowerInvariant(), out var decoderBuilder))
            throw new SharpSegException($"unknown model.architecture '{config.Architecture}': use one of {string.Join(", ", Architectures.Keys)}.");
        if (!Encoders.TryGetValue(config.Encoder.Trim().ToLowerInvariant(), out var encoderBuilder))
            throw new SharpSegException($"unknown model.encoder '{config.Encoder}': use one of {string.Join(", ", Encoders.Keys)}.");
        config.Validate();
        Encoder encoder = encoderBuilder(config);
        Decoder decoder = decoderBuilder(config, encoder);
        return new SegmentationModel(encoder, decoder, config.NumClasses, config.ParsePadding(), config);
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
}
