using SharpSeg.Data;
using SharpSeg.Inference;
using SharpSeg.Metrics;

namespace SharpSeg.Evaluation;

/// <summary>What to evaluate: a checkpoint (or an exported .onnx model) on one split of a dataset, optionally with tiling/TTA (<paramref name="Inference"/>, null = whole image).</summary>
/// <param name="Eager">Run a checkpoint exactly as trained instead of BatchNorm-folded and channels-last.</param>
public sealed record EvaluationRequest(string Checkpoint, string DatasetYaml, string Split, string? DataRoot = null, string Device = "cpu", InferenceOptions? Inference = null,
    bool Eager = false);

/// <summary>Metrics over a split, and how many images they cover.</summary>
public sealed record EvaluationResult(SegmentationMetrics Metrics, int Images);

/// <summary>Evaluates a checkpoint on a dataset split, checking that the dataset's classes are the checkpoint's.</summary>
public static class EvaluationRunner
{
    /// <param name="progress">Receives (images done, images total).</param>
    public static EvaluationResult Run(EvaluationRequest request, IProgress<(int Done, int Total)>? progress = null, CancellationToken cancellationToken = default)
    {
        using var predictor = Predictor.Load(request.Checkpoint, request.Device, fused: !request.Eager);
        var spec = DatasetSpec.Load(request.DatasetYaml, request.DataRoot);
        var datasetNames = spec.Classes.Classes.Select(c => c.Name).ToList();
        if (!datasetNames.SequenceEqual(predictor.ClassNames))
            throw new SharpSegException($"{request.DatasetYaml}: classes [{string.Join(", ", datasetNames)}] differ from the checkpoint's [{string.Join(", ", predictor.ClassNames)}]; evaluate on a dataset with the same class table.");
        if (spec.ImageChannels != predictor.Info.ImageChannels)
            throw new SharpSegException($"{request.DatasetYaml}: image_channels is {spec.ImageChannels} but the checkpoint was trained on {predictor.Info.ImageChannels}-channel images.");
        var pairs = spec.ResolvePairs(request.Split);
        if (pairs.Any(p => p.MaskPath == null))
            throw new SharpSegException($"{request.DatasetYaml}: split '{request.Split}' has no masks; evaluation needs labelled images (use sharpseg predict for unlabelled ones).");
        var decoder = new SampleDecoder(spec);
        var evaluator = new Evaluator(predictor.Backend, predictor.Normalization, predictor.ClassNames, predictor.Info.InferenceScale, request.Inference);
        var metrics = evaluator.Evaluate(pairs, decoder.Decode, progress == null ? null : new SyncProgress(d => progress!.Report((d, pairs.Count))), cancellationToken: cancellationToken);
        return new EvaluationResult(metrics, pairs.Count);
    }

    /// <summary>Reports synchronously on the calling thread (System.Progress posts to the thread pool and reorders).</summary>
    sealed class SyncProgress(Action<int> report) : IProgress<int>
    {
        public void Report(int value) => report(value);
    }
}
