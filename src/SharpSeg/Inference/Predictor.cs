using SharpSeg.Data;
using SharpSeg.Engine;
using SharpSeg.Imaging;
using TorchSharp;
using SharpSeg.Models;
using static TorchSharp.torch;
using SharpSeg.Checkpoints;
using SharpSeg.Models.MaskClassification;

namespace SharpSeg.Inference;

/// <summary>
/// A trained model ready to segment images, from a checkpoint or an exported ONNX file alone (model config, weights,
/// classes, normalisation, image channels and inference scale all come from it). Images of any size; the model pads
/// and crops internally. The network runs behind an <see cref="IInferenceBackend"/>: TorchSharp (by default with
/// BatchNorm folded and channels-last on the CPU, <see cref="TorchInferenceBackend.Fused"/>) or ONNX Runtime.
/// </summary>
public sealed class Predictor : IDisposable
{
    readonly SegmentationModel? _model;

    Predictor(IInferenceBackend backend, CheckpointInfo info, SegmentationModel? model)
    {
        Backend = backend; Info = info; _model = model;
        Normalization = info.Normalization;
        Colours = info.Classes.Colors;
    }

    /// <summary>The network that runs.</summary>
    public IInferenceBackend Backend { get; }

    /// <summary>The TorchSharp model of a checkpoint predictor (folded for inference unless loaded with
    /// <c>fused: false</c>); an ONNX predictor has none (<see cref="InvalidOperationException"/>).</summary>
    public SegmentationModel Model => _model ?? throw new InvalidOperationException("an ONNX Runtime predictor has no TorchSharp model");

    public CheckpointInfo Info { get; }
    public Device Device => Backend.Device;
    public Normalization Normalization { get; }
    public IReadOnlyList<string> ClassNames => Info.Classes.Names;
    public IReadOnlyList<Rgb> Colours { get; }

    /// <summary>The full path of the model file this predictor was loaded from; null for one built over a backend in memory.</summary>
    public string? Source { get; private set; }

    /// <summary>True when the network runs under bfloat16 autocast (<c>--bf16</c>).</summary>
    public bool Bf16 => Backend is TorchInferenceBackend { Bf16: true };

    /// <summary>Loads a checkpoint (<c>.ckpt</c>), an exported ONNX model (<c>.onnx</c>, run by ONNX Runtime with
    /// <paramref name="onnxThreads"/>) or a TFLite model (<c>.tflite</c>, rebuilt in TorchSharp), chosen by the extension.</summary>
    public static Predictor Load(string path, string? device = "cpu", bool fused = true, int onnxThreads = 0, bool bf16 = false)
    {
        var predictor = ModelFile.IsOnnx(path) ? FromOnnx(path, onnxThreads)
            : ModelFile.IsTfLite(path) ? TfLiteModels.CreatePredictor(path, device)
            : FromCheckpoint(path, device, fused, bf16);
        predictor.Source ??= Path.GetFullPath(path); // FromCheckpoint/FromOnnx set it; the TFLite importer builds over a backend
        return predictor;
    }

    /// <summary>The model copies <c>sharpseg video</c> and <c>sharpseg predict</c> load for <c>--copies N</c>
    /// (<paramref name="requested"/>, 1..64; a one-line <see cref="SharpSegException"/> otherwise), or unless told: two on
    /// a CPU with at least two threads, one on a GPU or for a single image (<paramref name="images"/> 1: one copy on all
    /// threads, whose progress follows its tiles). On the 2-core development machine two images in flight, one thread
    /// each, ran a CamVid model's 480×360 video 1.19–1.27× faster than one image on both threads, with the same output;
    /// more copies gave no steady gain (docs/BENCHMARKS.md, "An FPN without layer4, two frames in flight").</summary>
    public static int CopiesFor(int? requested, string? device, long? images = null)
    {
        if (requested is { } n) return n is >= 1 and <= 64 ? n : throw new SharpSegException($"--copies {n}: give between 1 and 64 model copies.");
        if (images == 1) return 1;
        return TorchRuntime.ResolveDevice(device).type == DeviceType.CUDA ? 1 : Math.Clamp(torch.get_num_threads(), 1, 2);
    }

    /// <summary>Throws <see cref="ArgumentException"/> unless <paramref name="copies"/> holds one or more distinct
    /// predictors: work in flight on several copies needs one copy each (<see cref="LoadCopies"/>).</summary>
    internal static void RequireDistinctCopies(IReadOnlyList<Predictor> copies, string parameter)
    {
        ArgumentNullException.ThrowIfNull(copies, parameter);
        if (copies.Count == 0 || copies.Any(p => p is null) || copies.Distinct().Count() != copies.Count)
            throw new ArgumentException("give one or more distinct predictors: each image in flight needs its own copy (Predictor.LoadCopies)", parameter);
    }

    /// <summary>Loads <paramref name="count"/> independent copies of one model, to segment that many images at once (one
    /// per copy). An ONNX model's copies share the CPU: each session gets <paramref name="onnxThreads"/> intra-op threads,
    /// or with 0 the process's libtorch thread count divided between the copies (at least 1). If one copy fails to
    /// load, those already loaded are disposed.</summary>
    public static Predictor[] LoadCopies(string path, int count, string? device = "cpu", bool fused = true, int onnxThreads = 0, bool bf16 = false)
    {
        if (count < 1) throw new ArgumentOutOfRangeException(nameof(count), "at least one copy");
        var predictors = new Predictor[count];
        try
        {
            for (int i = 0; i < count; i++)
                predictors[i] = Load(path, device, fused, onnxThreads > 0 ? onnxThreads : Math.Max(1, torch.get_num_threads() / count), bf16);
        }
        catch
        {
            foreach (var p in predictors) p?.Dispose();
            throw;
        }
        return predictors;
    }

    /// <summary>Loads a checkpoint and builds its model in eval mode on <paramref name="device"/> ("cpu", "cuda", "auto").
    /// <paramref name="fused"/>: fold BatchNorms into convolutions (and run channels-last where that pays), which is faster
    /// and gives the same logits within float rounding; false runs the model exactly as trained.</summary>
    /// <param name="bf16">Run under libtorch's bfloat16 autocast (fast on CPUs with avx512_bf16 or amx_bf16; logits
    /// within bfloat16 rounding of fp32's).</param>
    public static Predictor FromCheckpoint(string path, string? device = "cpu", bool fused = true, bool bf16 = false)
    {
        var ckpt = Checkpoint.Load(path);
        var config = ckpt.Info.Config;
        var dev = TorchRuntime.ResolveDevice(device);
        var model = ModelZoo.Create(config);
        ckpt.LoadWeights(model);
        model.to(dev);
        model.eval();
        var backend = fused
            ? TorchInferenceBackend.Fused(model, dev, bf16: bf16)
            : new TorchInferenceBackend(model, model.NumClasses, dev, description: "TorchSharp eager", bf16: bf16);
        return new Predictor(backend, ckpt.Info, model) { Source = Path.GetFullPath(path) };
    }

    /// <summary>Loads an ONNX model exported by SharpSeg and runs it with ONNX Runtime on the CPU
    /// (<paramref name="threads"/>: 0 = TorchSharp's thread count).</summary>
    public static Predictor FromOnnx(string path, int threads = 0)
    {
        var backend = Inference.OnnxRuntimeBackend.Load(path, threads);
        return new Predictor(backend, backend.Metadata.Info, null) { Source = Path.GetFullPath(path) };
    }

    /// <summary>A predictor over any <paramref name="backend"/> described by <paramref name="info"/> (classes,
    /// normalisation, image channels, inference scale); it has no TorchSharp <see cref="Model"/>. Takes ownership of the backend.</summary>
    internal static Predictor FromBackend(IInferenceBackend backend, CheckpointInfo info)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(info);
        return new Predictor(backend, info, null);
    }

    /// <summary>Decodes an image file with the channel count the model was trained on.</summary>
    public RgbImage LoadImage(string path) => ImageFile.Load(path, Info.ImageChannels, Info.IntensityRange);

    /// <summary>The arg-max class index per pixel, same size as <paramref name="image"/>.</summary>
    public LabelMask Predict(RgbImage image)
    {
        if (image.Channels != Info.ImageChannels)
            throw new ArgumentException($"the model expects {Info.ImageChannels}-channel images; load with Predictor.LoadImage");
        return WholeImagePredictor.PredictMask(Backend, image, Normalization, Info.InferenceScale);
    }

    /// <summary>
    /// The arg-max class index per pixel with tiling and/or test-time augmentation (see <see cref="SlidingWindowPredictor"/>);
    /// <see cref="InferenceOptions.Default"/> gives exactly <see cref="Predict(RgbImage)"/>, except for an image past
    /// <see cref="InferenceOptions.AutoTilePixels"/>, which it tiles (<see cref="InferenceOptions.AutoTile"/>).
    /// <paramref name="progress"/> receives (tiles done, tiles total).
    /// </summary>
    public LabelMask Predict(RgbImage image, InferenceOptions options, IProgress<(int Done, int Total)>? progress = null, CancellationToken cancellationToken = default) =>
        Infer(image, options, progress, cancellationToken).Mask;

    /// <summary>Like <see cref="Predict(RgbImage, InferenceOptions, IProgress{ValueTuple{int, int}}?, CancellationToken)"/>
    /// but returns the whole <see cref="InferenceResult"/> (probabilities <c>[C, H, W]</c> when
    /// <see cref="InferenceOptions.KeepProbabilities"/>, tile count, accumulator size).</summary>
    public InferenceResult Infer(RgbImage image, InferenceOptions options, IProgress<(int Done, int Total)>? progress = null, CancellationToken cancellationToken = default)
    {
        if (image.Channels != Info.ImageChannels)
            throw new ArgumentException($"the model expects {Info.ImageChannels}-channel images; load with Predictor.LoadImage");
        options.Validate();
        options = options.For(image.Width, image.Height, Info.InferenceScale, Backend);
        if (IsPlainWholeImage(image, options)) return new InferenceResult(Predict(image), null, Backend.Classes, 1, 0);
        return new SlidingWindowPredictor(Backend, Normalization, Info.InferenceScale).Predict(image, options, progress, cancellationToken);
    }

    /// <summary>True for a checkpoint of a mask-classification model (mask2former): <see cref="InferPanoptic"/> works.</summary>
    public bool HasQueries => _model is { IsMaskClassification: true };

    /// <summary>
    /// Whole-image inference of a mask-classification checkpoint (<see cref="HasQueries"/>) from one forward pass
    /// (<see cref="SegmentationModel.ForwardQueries"/>): the semantic result as <see cref="Infer"/> gives it for whole-image
    /// inference (same mask; probabilities <c>[C, H, W]</c> when <paramref name="keepProbabilities"/>), and Mask2Former's
    /// panoptic inference (<see cref="PanopticInference.Panoptic"/>) on the last layer's queries, their mask logits resized
    /// to the image. Tiling and test-time augmentation do not apply: the queries are the whole image's.
    /// </summary>
    /// <param name="image">The image (channels as the model expects).</param>
    /// <param name="isThing">Per class: true = thing (a segment per query), false = stuff (a segment per class).</param>
    /// <param name="options">Thresholds (null: Mask2Former's).</param>
    /// <param name="keepProbabilities">Also return the softmax of the semantic scores.</param>
    public (InferenceResult Result, PanopticResult Panoptic) InferPanoptic(RgbImage image, IReadOnlyList<bool> isThing, PanopticInferenceOptions? options = null, bool keepProbabilities = true)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (_model is not { IsMaskClassification: true } model)
            throw new SharpSegException($"instances from queries need a mask-classification checkpoint (mask2former); this predictor runs {(_model == null ? "an ONNX model, whose graph ends in the semantic map" : $"'{Info.Config.Architecture}', which classifies pixels")}: cut connected components instead (--instances-from components).");
        if (image.Channels != Info.ImageChannels)
            throw new ArgumentException($"the model expects {Info.ImageChannels}-channel images; load with Predictor.LoadImage");
        using var scope = NewDisposeScope();
        using var noGrad = torch.no_grad();
        var input = Preprocessing.Input(image, Normalization, Info.InferenceScale, Device);
        // As the backend runs the model (channels-last, bf16 autocast); the panoptic step and the softmax work in fp32.
        var prediction = ((TorchInferenceBackend)Backend).Forward(input, model.ForwardQueries,
            p => new MaskClassificationPrediction(Autocast.Fp32(p.SemanticLogits), Autocast.Fp32(p.ClassLogits), Autocast.Fp32(p.MaskLogits)));
        var probabilities = Preprocessing.RestoreLogits(prediction.SemanticLogits, image.Height, image.Width).softmax(1).squeeze(0);
        var labels = Preprocessing.ArgMaxClasses(probabilities.unsqueeze(0)).squeeze(0).cpu().contiguous();
        var mask = new LabelMask(image.Width, image.Height);
        labels.contiguous().bytes.CopyTo(mask.Labels); // TensorAccessor.CopyTo goes element by element: 100 ms at 720p
        float[]? kept = keepProbabilities ? ImageTensors.FloatSpan(probabilities.to(ScalarType.Float32).cpu().contiguous()).ToArray() : null;
        var maskLogits = Preprocessing.RestoreLogits(prediction.MaskLogits, image.Height, image.Width)[0];
        var panoptic = PanopticInference.Panoptic(prediction.ClassLogits[0], maskLogits, isThing, options);
        long accumulator = (long)(Backend.Classes + 1) * image.Height * image.Width * sizeof(float);
        return (new InferenceResult(mask, kept, Backend.Classes, 1, accumulator), panoptic);
    }

    /// <summary>Refuses, before any image is read, options this model cannot run: tiling, test-time augmentation or
    /// probability maps with an ONNX model exported with --argmax (it outputs class indices, not logits).</summary>
    public void CheckOptions(InferenceOptions options)
    {
        if (Backend is OnnxRuntimeBackend { Metadata.OutputsLabels: true } labels
            && (options.TileSize != null || options.Tta is { IsIdentity: false } || options.KeepProbabilities))
            throw labels.NeedsLogits();
    }

    /// <summary>True when <paramref name="options"/> amount to plain whole-image inference of <paramref name="image"/>.</summary>
    internal static bool IsPlainWholeImage(RgbImage image, InferenceOptions options) =>
        (options.TileSize is not int t || (image.Width <= t && image.Height <= t))
        && (options.Tta is null || options.Tta.IsIdentity) && !options.KeepProbabilities;

    public void Dispose()
    {
        Backend.Dispose();
        _model?.Dispose();
    }
}
