using System.Text.Json;
using SharpSeg.Data;
using SharpSeg.Data.Augmentation;
using SharpSeg.Engine;
using SharpSeg.Evaluation;
using SharpSeg.Imaging;
using TorchSharp;
using SharpSeg.Models;
using SharpSeg.Training;
using static TorchSharp.torch;

namespace SharpSeg.Inference;

/// <summary>
/// A trained model ready to segment images: built from a checkpoint alone (model config, weights, classes,
/// normalisation, image channels all come from it). Images of any size; the model pads and crops internally.
/// </summary>
public sealed class Predictor : IDisposable
{
    Predictor(SegmentationModel model, CheckpointInfo info, Device device)
    {
        Model = model; Info = info; Device = device;
        Normalization = new Normalization(info.Mean.Select(v => (float)v).ToArray(), info.Std.Select(v => (float)v).ToArray());
        Colours = info.Classes.Select(c => new Rgb(c.Color[0], c.Color[1], c.Color[2])).ToList();
    }

    public SegmentationModel Model { get; }
    public CheckpointInfo Info { get; }
    public Device Device { get; }
    public Normalization Normalization { get; }
    public IReadOnlyList<string> ClassNames => Info.Classes.Select(c => c.Name).ToList();
    public IReadOnlyList<Rgb> Colours { get; }

    /// <summary>Loads a checkpoint and builds its model in eval mode on <paramref name="device"/> ("cpu", "cuda", "auto").</summary>
    public static Predictor FromCheckpoint(string path, string? device = "cpu")
    {
        var ckpt = Checkpoint.Load(path);
        var config = ckpt.Info.Model.Deserialize<ModelConfig>() ?? throw new SharpSegException($"{path}: checkpoint has no model config.");
        var dev = TorchRuntime.ResolveDevice(device);
        var model = ModelZoo.Create(config);
        ckpt.LoadWeights(model);
        model.to(dev);
        model.eval();
        return new Predictor(model, ckpt.Info, dev);
    }

    /// <summary>Decodes an image file with the channel count the model was trained on.</summary>
    public RgbImage LoadImage(string path) => ImageFile.Load(path, Info.ImageChannels);

    /// <summary>The arg-max class index per pixel, same size as <paramref name="image"/>.</summary>
    public LabelMask Predict(RgbImage image)
    {
        if (image.Channels != Info.ImageChannels)
            throw new ArgumentException($"the model expects {Info.ImageChannels}-channel images; load with Predictor.LoadImage");
        return Evaluator.PredictMask(Model, image, Normalization, Device, Info.InferenceScale);
    }

    /// <summary>
    /// The arg-max class index per pixel with tiling and/or test-time augmentation (see <see cref="SlidingWindowPredictor"/>);
    /// <see cref="InferenceOptions.Default"/> gives exactly <see cref="Predict(RgbImage)"/>.
    /// <paramref name="progress"/> receives (tiles done, tiles total).
    /// </summary>
    public LabelMask Predict(RgbImage image, InferenceOptions options, IProgress<(int Done, int Total)>? progress = null, CancellationToken cancellationToken = default)
    {
        options.Validate();
        if (IsPlainWholeImage(image, options)) return Predict(image);
        return Infer(image, options, progress, cancellationToken).Mask;
    }

    /// <summary>Like <see cref="Predict(RgbImage, InferenceOptions, IProgress{ValueTuple{int, int}}?, CancellationToken)"/>
    /// but returns the whole <see cref="InferenceResult"/> (probabilities <c>[C, H, W]</c> when
    /// <see cref="InferenceOptions.KeepProbabilities"/>, tile count, accumulator size).</summary>
    public InferenceResult Infer(RgbImage image, InferenceOptions options, IProgress<(int Done, int Total)>? progress = null, CancellationToken cancellationToken = default)
    {
        if (image.Channels != Info.ImageChannels)
            throw new ArgumentException($"the model expects {Info.ImageChannels}-channel images; load with Predictor.LoadImage");
        options.Validate();
        if (IsPlainWholeImage(image, options)) return new InferenceResult(Predict(image), null, Model.NumClasses, 1, 0);
        return new SlidingWindowPredictor(Model, Model.NumClasses, Normalization, Device, Info.InferenceScale).Predict(image, options, progress, cancellationToken);
    }

    /// <summary>True when <paramref name="options"/> amount to plain whole-image inference of <paramref name="image"/>.</summary>
    internal static bool IsPlainWholeImage(RgbImage image, InferenceOptions options) =>
        (options.TileSize is not int t || (image.Width <= t && image.Height <= t))
        && (options.Tta is null || options.Tta.IsIdentity) && !options.KeepProbabilities;

    public void Dispose() => Model.Dispose();
}
