using SharpSeg.Data;
using SharpSeg.Imaging;
using SharpSeg.Inference;
using SharpSeg.Metrics;
using SharpSeg.Models;
using TorchSharp;
using static TorchSharp.torch;
using SharpSeg.Data.Dataset;
using SharpSeg.Data.Loading;

namespace SharpSeg.Evaluation;

/// <summary>
/// Honest evaluation: every image of a split at its full size, unaugmented; one confusion matrix accumulated over the
/// whole split (ignore pixels excluded) and turned into <see cref="SegmentationMetrics"/> at the end.
/// </summary>
public sealed class Evaluator
{
    readonly SegmentationModel? _model;
    readonly IInferenceBackend _backend;
    readonly Normalization _normalization;
    readonly IReadOnlyList<string> _classNames;

    readonly double _inferenceScale;
    readonly InferenceOptions _options;

    /// <param name="inferenceScale">Images are resized by this factor before the network and the logits resized back
    /// (bilinear), so metrics are always computed at the ground truth's full size. 1 = native resolution.</param>
    /// <param name="options">Tiling and test-time augmentation (null = whole image, no TTA), so TTA and tiling can be measured.</param>
    /// <param name="channelsLast">Feed the model channels-last images (<see cref="Models.Fusion.ChannelsLast"/>), as a run
    /// with <c>train.channels_last</c> trains it.</param>
    public Evaluator(SegmentationModel model, Normalization normalization, IReadOnlyList<string> classNames, Device? device = null, double inferenceScale = 1.0,
        InferenceOptions? options = null, bool channelsLast = false)
        : this(new TorchInferenceBackend(model, model.NumClasses, device, channelsLast), normalization, classNames, inferenceScale, options)
    {
        _model = model;
    }

    /// <summary>Evaluates any backend (TorchSharp, ONNX Runtime) with the same pipeline.</summary>
    /// <param name="backend">Normalised images → logits.</param>
    /// <param name="normalization">The normalisation the model was trained with.</param>
    /// <param name="classNames">Class names (their count is the number of classes).</param>
    /// <param name="inferenceScale">Images are resized by this factor before the network and the logits resized back.</param>
    /// <param name="options">Tiling and test-time augmentation (null = whole image, no TTA).</param>
    public Evaluator(IInferenceBackend backend, Normalization normalization, IReadOnlyList<string> classNames, double inferenceScale = 1.0, InferenceOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(backend);
        _backend = backend; _normalization = normalization; _classNames = classNames; _inferenceScale = inferenceScale;
        _options = options ?? InferenceOptions.Default;
        _options.Validate();
    }

    /// <summary>Called once per image with the sample, the predicted mask and that image's own confusion matrix.</summary>
    public delegate void ImageResult(SegmentationSample sample, LabelMask prediction, ConfusionMatrix imageMatrix);

    /// <summary>
    /// Evaluates the model on <paramref name="pairs"/> (decoded by <paramref name="decode"/>). The model is put in eval
    /// mode and restored to its previous mode afterwards. <paramref name="progress"/> receives the number of images done.
    /// </summary>
    public SegmentationMetrics Evaluate(IReadOnlyList<SamplePair> pairs, Func<SamplePair, SegmentationSample> decode,
        IProgress<int>? progress = null, ImageResult? onImage = null, CancellationToken cancellationToken = default)
    {
        int classes = _classNames.Count;
        var total = new ConfusionMatrix(classes);
        bool wasTraining = _model?.training ?? false;
        _model?.eval();
        try
        {
            using var noGrad = torch.no_grad();
            int done = 0;
            foreach (var sample in Prefetch(pairs, decode, cancellationToken))
            {
                using var scope = NewDisposeScope();
                var options = _options.For(sample.Image.Width, sample.Image.Height, _inferenceScale, _backend);
                LabelMask prediction = Predictor.IsPlainWholeImage(sample.Image, options)
                    ? WholeImagePredictor.PredictMask(_backend, sample.Image, _normalization, _inferenceScale)
                    : new SlidingWindowPredictor(_backend, _normalization, _inferenceScale).Predict(sample.Image, options, cancellationToken: cancellationToken).Mask;
                var imageMatrix = new ConfusionMatrix(classes);
                imageMatrix.Update(prediction.Labels, sample.Mask.Labels);
                total.Merge(imageMatrix);
                onImage?.Invoke(sample, prediction, imageMatrix);
                progress?.Report(++done);
            }
        }
        finally
        {
            if (wasTraining) _model!.train();
        }
        return SegmentationMetrics.From(total, _classNames);
    }

    /// <summary>Decodes the next image on a background thread while the current one is being evaluated.</summary>
    static IEnumerable<SegmentationSample> Prefetch(IReadOnlyList<SamplePair> pairs, Func<SamplePair, SegmentationSample> decode, CancellationToken ct)
    {
        Task<SegmentationSample>? next = pairs.Count > 0 ? Task.Run(() => decode(pairs[0]), ct) : null;
        for (int i = 0; i < pairs.Count; i++)
        {
            ct.ThrowIfCancellationRequested();
            SegmentationSample current;
            try { current = next!.GetAwaiter().GetResult(); }
            catch (AggregateException e) when (e.InnerException != null) { throw e.InnerException; }
            int j = i + 1;
            next = j < pairs.Count ? Task.Run(() => decode(pairs[j]), ct) : null;
            yield return current;
        }
    }
}
