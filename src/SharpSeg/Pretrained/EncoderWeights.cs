using SharpSeg.Data;
using SharpSeg.Models.Encoders;
using SharpSeg.Training;
using SharpSeg.Checkpoints;
using SharpSeg.Models;
using SharpSeg.Models.Encoders.ResNet;

namespace SharpSeg.Pretrained;

/// <summary>
/// The one dispatch point for <c>model.encoder_weights</c>: <c>null</c>/<c>none</c> (random init), <c>imagenet</c> (the
/// offline ResNet-18, <see cref="ImageNetResNet18"/>), or a path: <c>.safetensors</c> / <c>.pth</c> / <c>.pt</c> /
/// <c>.bin</c> in torchvision, segmentation_models.pytorch or SharpSeg key layout (<see cref="PretrainedWeights"/>), or a
/// SharpSeg <c>.ckpt</c>: a training checkpoint whose model has the same encoder, or an encoder checkpoint from
/// <c>sharpseg pretrain</c> (<see cref="Checkpoints.EncoderCheckpoint"/>). A new source (e.g. self-supervised encoder checkpoints) is one
/// more case in <see cref="Load"/>, <see cref="Validate"/> and <see cref="ExpectedNormalization"/>.
/// </summary>
public static class EncoderWeights
{
    /// <summary>The value selecting the offline ImageNet weights.</summary>
    public const string ImageNet = "imagenet";

    /// <summary>True when <paramref name="spec"/> asks for no pretrained weights (null, empty, "none", "null", "random").</summary>
    public static bool IsNone(string? spec) => string.IsNullOrWhiteSpace(spec) || spec.Trim().ToLowerInvariant() is "none" or "null" or "random";

    /// <summary>Checks, before any data is read, that the weights exist and fit <paramref name="encoder"/>; a problem is a
    /// one-line <see cref="SharpSegException"/> with the fix.</summary>
    public static void Validate(string spec, string encoder)
    {
        string enc = encoder.Trim().ToLowerInvariant();
        if (IsImageNet(spec))
        {
            if (enc != ImageNetResNet18.EncoderName)
                throw new SharpSegException($"model.encoder_weights: imagenet is the offline ImageNet ResNet-18 (3 blocks in layer4), encoder {ImageNetResNet18.EncoderName}: set model.encoder: {ImageNetResNet18.EncoderName} (or give a torchvision/SMP weights file for encoder {encoder}).");
            _ = ImageNetResNet18.Locate();
            return;
        }
        if (!File.Exists(spec)) throw new SharpSegException($"model.encoder_weights: {spec}: file not found (use imagenet, null, or a .safetensors/.pth/.pt/.ckpt path).");
        string ext = Path.GetExtension(spec).ToLowerInvariant();
        if (ext is not (".safetensors" or ".pth" or ".pt" or ".bin" or ".ckpt"))
            throw new SharpSegException($"model.encoder_weights: {spec}: unknown weights format '{ext}': use .safetensors (recommended), .pth/.pt (PyTorch state dict) or .ckpt (SharpSeg checkpoint).");
    }

    /// <summary>The normalisation the weights were trained with, which <c>normalize: imagenet</c> resolves to: the
    /// ImageNet ResNet-18's own mean (<see cref="ImageNetResNet18.Normalization"/>), a SharpSeg checkpoint's recorded
    /// one, else (torchvision and SMP weights) ImageNet's mean/std. Also serves <c>model.init_weights</c> (a whole model
    /// from a training checkpoint keeps that checkpoint's normalisation); <paramref name="key"/> names the recipe key in
    /// errors.</summary>
    public static Normalization ExpectedNormalization(string spec, int channels, string key = "model.encoder_weights")
    {
        if (IsImageNet(spec)) return ImageNetResNet18.Normalization(channels);
        if (Checkpoints.EncoderCheckpoint.IsEncoderCheckpoint(spec)) return Checkpoints.EncoderCheckpoint.Load(spec).Normalization;
        if (IsCheckpoint(spec))
        {
            try { return Checkpoint.ReadInfo(spec).Normalization; } // the recorded description only, not the weights
            catch (SharpSegException e) { throw NotACheckpoint(spec, e, key); }
        }
        return Normalization.ImageNet.ForChannels(channels);
    }

    /// <summary>True for a SharpSeg checkpoint path (<c>.ckpt</c>), whose recorded normalisation the weights expect.</summary>
    public static bool IsCheckpoint(string spec) => Path.GetExtension(spec).Equals(".ckpt", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Loads the encoder weights <paramref name="spec"/> names into <paramref name="model"/>'s encoder, for images that
    /// will be normalised with <paramref name="normalization"/> (the ImageNet ResNet-18 folds it into its stem). Throws a
    /// <see cref="SharpSegException"/> (with the mismatch table) when the weights do not fit.
    /// </summary>
    public static StateDictLoadReport Load(SegmentationModel model, string spec, Normalization normalization)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(spec);
        if (IsNone(spec)) throw new ArgumentException("no encoder weights to load", nameof(spec));
        Validate(spec, model.Config?.Encoder ?? (model.Encoder as ResNetEncoder)?.Variant ?? "");
        if (IsImageNet(spec)) return ImageNetResNet18.LoadInto((ResNetEncoder)model.Encoder, normalization);
        if (Checkpoints.EncoderCheckpoint.IsEncoderCheckpoint(spec))
        {
            string name = model.Config?.Encoder ?? "";
            var info = Checkpoints.EncoderCheckpoint.LoadInto(model.Encoder, spec, model.Config?.Encoder);
            return new StateDictLoadReport
            {
                Source = spec, Layout = StateDictLayout.SharpSeg, Target = $"encoder {name}", Loaded = model.Encoder.state_dict().Count,
                Notes = [$"{spec}: encoder pretrained by 'sharpseg pretrain' ({info.Method}, {info.Iterations} iterations)"],
            };
        }
        if (IsCheckpoint(spec))
        {
            StateDict weights;
            try { weights = StateDict.FromTrainingCheckpoint(spec); }
            catch (SharpSegException e) { throw NotACheckpoint(spec, e); }
            using (weights) return PretrainedWeights.LoadEncoder(model, weights, StateDictLayout.SharpSeg);
        }
        using var file = StateDict.Load(spec);
        return PretrainedWeights.LoadEncoder(model, file);
    }

    /// <summary>
    /// The encoder name that <paramref name="spec"/> implies: <c>resnet18_imagenet</c> for <c>imagenet</c> (the only
    /// encoder those weights fit), else <paramref name="requested"/>.
    /// </summary>
    public static string EncoderFor(string spec, string requested) => IsImageNet(spec) ? ImageNetResNet18.EncoderName : requested;

    /// <summary>
    /// A model (U-Net where the encoder allows it, so the encoder keeps its full output stride) that takes encoder <paramref name="encoder"/> (<paramref name="channels"/> input
    /// channels), with the weights <paramref name="spec"/> names loaded into its encoder, and the normalisation images must
    /// get for those weights. For using a pretrained encoder on its own (embeddings, linear probes); dispose the model.
    /// </summary>
    public static SegmentationModel CreateWithEncoder(string encoder, string spec, int channels, out Normalization normalization)
    {
        Validate(spec, encoder);
        // An architecture that keeps the encoder as pretrained (U-Net/FPN: no dilation, full output stride), else any.
        string architecture = new[] { "unet", "fpn" }.Concat(ModelZoo.Architectures.Keys)
            .First(a => ModelZoo.Architectures.ContainsKey(a) && ModelZoo.ValidEncoders(a).Contains(encoder));
        normalization = ExpectedNormalization(spec, channels);
        var model = ModelZoo.Create(new ModelConfig { Architecture = architecture, Encoder = encoder, InChannels = channels, NumClasses = 2 });
        try
        {
            Load(model, spec, normalization);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    private static bool IsImageNet(string spec) => spec.Trim().Equals(ImageNet, StringComparison.OrdinalIgnoreCase);

    private static SharpSegException NotACheckpoint(string path, SharpSegException e, string key = "model.encoder_weights") => key == "model.encoder_weights"
        ? new($"{key}: {path}: neither a training checkpoint (sharpseg train) nor an encoder checkpoint (sharpseg pretrain) ({e.Message})")
        : new($"{key}: {path}: not a training checkpoint of 'sharpseg train' ({e.Message})");
}
