using SharpSeg.Data;
using SharpSeg.Engine;
using SharpSeg.Models;
using SharpSeg.Models.Encoders;
using SharpSeg.Checkpoints;

namespace SharpSeg.Curation.Embedding;

/// <summary>
/// Builds the embedder <c>sharpseg embed</c> asks for: <c>thumbnail</c> (training-free), a zoo encoder by name with
/// optional weights, or the encoder of a trained SharpSeg checkpoint. Encoder weights are resolved in one place,
/// <see cref="FromPretrained"/>, so new weight sources (ImageNet, self-supervised checkpoints) plug in there.
/// </summary>
public static class EmbeddingEncoders
{
    /// <summary>The name of the training-free embedder.</summary>
    public const string Thumbnail = "thumbnail";

    /// <summary>The encoder of a trained checkpoint, with the checkpoint's normalisation and image channels.</summary>
    public static EncoderEmbedder FromCheckpoint(string checkpointPath, int height = 224, int width = 224, int grid = 0, string? device = "cpu", bool bf16 = false)
    {
        var ckpt = Checkpoint.Load(checkpointPath);
        var config = ckpt.Info.Config;
        var model = ModelZoo.Create(config);
        ckpt.LoadWeights(model);
        var normalization = ckpt.Info.Normalization;
        string identity = $"{config.Encoder} checkpoint={Path.GetFullPath(checkpointPath)}";
        return new EncoderEmbedder(model.Encoder, normalization, identity, height, width, grid, TorchRuntime.ResolveDevice(device), owner: model, bf16: bf16);
    }

    /// <summary>
    /// A zoo encoder (<see cref="ModelZoo.Encoders"/>) by name, or <c>thumbnail</c>. <paramref name="weights"/>: null for
    /// random initialisation (useful only for tests and timing); <c>imagenet</c> (encoder resnet18_imagenet); a
    /// .safetensors/.pth file or an encoder checkpoint from <c>sharpseg pretrain</c>; or a training checkpoint (.ckpt)
    /// whose encoder has that name. Encoders are built with 3 input channels. <paramref name="bf16"/>: run the encoder under
    /// bfloat16 autocast (see <see cref="EncoderEmbedder"/>).
    /// </summary>
    public static IImageEmbedder FromName(string name, string? weights = null, int height = 224, int width = 224, int grid = 0, string? device = "cpu",
        int thumbnailSide = 16, bool bf16 = false)
    {
        string n = name.Trim().ToLowerInvariant();
        if (n == Thumbnail)
        {
            if (weights != null) throw new SharpSegException("--encoder thumbnail needs no --encoder-weights.");
            if (grid != 0) throw new SharpSegException("--grid applies to network encoders; the thumbnail already keeps the layout.");
            if (bf16) throw new SharpSegException("--bf16 applies to network encoders; the thumbnail embedder runs no network.");
            return new ThumbnailEmbedder(thumbnailSide);
        }
        if (!ModelZoo.Encoders.TryGetValue(n, out var build))
        {
            string? near = Configuration.NearestName.Suggest(n, [Thumbnail, .. ModelZoo.Encoders.Keys]);
            throw new SharpSegException($"unknown encoder '{name}'{(near != null ? $" (did you mean '{near}'?)" : "")}: use {Thumbnail} or one of {string.Join(", ", ModelZoo.Encoders.Keys)}.");
        }
        if (weights != null && weights.EndsWith(".ckpt", StringComparison.OrdinalIgnoreCase) && !Checkpoints.EncoderCheckpoint.IsEncoderCheckpoint(weights))
        {
            var embedder = FromCheckpoint(weights, height, width, grid, device, bf16);
            if (!embedder.Identity.StartsWith($"encoder:{n} ", StringComparison.Ordinal))
            {
                embedder.Dispose();
                throw new SharpSegException($"{weights}: this checkpoint's encoder is not {n}; pass --checkpoint {weights} alone to embed with its own encoder.");
            }
            return embedder;
        }
        if (weights != null) return FromPretrained(n, weights, height, width, grid, device, bf16);
        var config = new ModelConfig { Encoder = n, InChannels = 3 };
        Encoder encoder = build(config);
        try
        {
            var normalization = Normalization.ImageNet;
            return new EncoderEmbedder(encoder, normalization, $"{n} weights={weights ?? "random"}", height, width, grid, TorchRuntime.ResolveDevice(device), owner: encoder, bf16: bf16);
        }
        catch
        {
            encoder.Dispose();
            throw;
        }
    }

    /// <summary>A zoo encoder with pretrained weights (<c>imagenet</c>, a PyTorch/safetensors file, or an encoder checkpoint
    /// from <c>sharpseg pretrain</c>), loaded through the one dispatch point
    /// <see cref="Pretrained.EncoderWeights"/> inside a throwaway model that carries the encoder.</summary>
    static EncoderEmbedder FromPretrained(string name, string weights, int height, int width, int grid, string? device, bool bf16)
    {
        var model = Pretrained.EncoderWeights.CreateWithEncoder(name, weights, 3, out var normalization);
        try
        {
            return new EncoderEmbedder(model.Encoder, normalization, $"{name} weights={weights}", height, width, grid, TorchRuntime.ResolveDevice(device), owner: model, bf16: bf16);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }
}
