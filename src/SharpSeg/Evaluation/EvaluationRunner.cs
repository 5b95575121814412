using SharpSeg.Inference;
using SharpSeg.Metrics;
using SharpSeg.Reports;
using SharpSeg.Data.Dataset;
using SharpSeg.Data.Masks;
using SharpSeg.Instances;

namespace SharpSeg.Evaluation;

/// <summary>
/// What to evaluate: a checkpoint (or an exported .onnx model) on one split of a dataset, optionally with tiling/TTA
/// (<paramref name="Inference"/>, null = whole image). With <paramref name="ReportDirectory"/> an HTML report
/// (<see cref="EvaluationReport"/>) showing the <paramref name="WorstImages"/> lowest-mIoU images is written there.
/// </summary>
/// <param name="Eager">Run a checkpoint exactly as trained instead of BatchNorm-folded and channels-last.</param>
/// <param name="Bf16">Run a checkpoint under bfloat16 autocast (<see cref="TorchInferenceBackend.Bf16"/>).</param>
/// <param name="Instances">Also score instances (<see cref="InstanceMatching"/>) cut with these options; null = pixel metrics only.</param>
public sealed record EvaluationRequest(string Checkpoint, string DatasetYaml, string Split, string? DataRoot = null, string Device = "cpu", InferenceOptions? Inference = null,
    bool Eager = false, string? ReportDirectory = null, int WorstImages = 8, InstanceOptions? Instances = null, bool Bf16 = false);

/// <summary>Metrics over a split, how many images they cover, and the HTML report's path when one was asked for.</summary>
public sealed record EvaluationResult(SegmentationMetrics Metrics, int Images, string? ReportPath = null);

/// <summary>Evaluates a checkpoint on a dataset split, checking that the dataset's classes are the checkpoint's.</summary>
public static class EvaluationRunner
{
    /// <param name="progress">Receives (images done, images total).</param>
    public static EvaluationResult Run(EvaluationRequest request, IProgress<(int Done, int Total)>? progress = null, CancellationToken cancellationToken = default)
    {
        ModelFile.RefuseCheckpointOnlyOptions(request.Checkpoint, request.Device, request.Eager, request.Bf16);
        using var predictor = Predictor.Load(request.Checkpoint, request.Device, fused: !request.Eager, bf16: request.Bf16);
        var spec = DatasetSpec.Load(request.DatasetYaml, request.DataRoot);
        var datasetNames = spec.Classes.Names.ToList();
        if (!datasetNames.SequenceEqual(predictor.ClassNames))
            throw new SharpSegException($"{request.DatasetYaml}: classes [{string.Join(", ", datasetNames)}] differ from the checkpoint's [{string.Join(", ", predictor.ClassNames)}]; evaluate on a dataset with the same class table.");
        if (spec.ImageChannels != predictor.Info.ImageChannels)
            throw new SharpSegException($"{request.DatasetYaml}: image_channels is {spec.ImageChannels} but the checkpoint was trained on {predictor.Info.ImageChannels}-channel images.");
        var pairs = spec.ResolvePairs(request.Split);
        if (pairs.Any(p => !p.IsLabelled))
            throw new SharpSegException($"{request.DatasetYaml}: split '{request.Split}' has no masks; evaluation needs labelled images (use sharpseg predict for unlabelled ones).");
        // image_range changes only how 16-bit images are read: a different one matters when the split has any.
        if (spec.ImageRange != predictor.Info.IntensityRange && pairs.Any(p => Imaging.IntensityRange.MayBeDeep(p.ImagePath)))
            throw new SharpSegException($"{request.DatasetYaml}: " + (predictor.Info.IntensityRange is { } trained
                ? $"the checkpoint was trained with image_range {trained}, but this dataset {(spec.ImageRange is { } other ? $"sets {other}" : "does not set one")}, so its 16-bit images would be read differently; set 'image_range: {trained}' in it."
                : $"image_range is {spec.ImageRange}, but the checkpoint was trained without one (16-bit images at full scale), so its 16-bit images would be read differently; remove image_range from it, or train with it."));
        var decoder = new SampleDecoder(spec);
        if (request.WorstImages < 0) throw new SharpSegException($"--worst {request.WorstImages}: must be 0 or more.");
        var evaluator = new Evaluator(predictor.Backend, predictor.Normalization, predictor.ClassNames, predictor.Info.InferenceScale, request.Inference);
        var report = request.ReportDirectory == null ? null : new EvaluationReport(spec.Classes, request.WorstImages);
        var matching = request.Instances == null ? null : new InstanceMatching(request.Instances.Resolve(spec.Classes, request.DatasetYaml));
        Evaluator.ImageResult? onImage = null;
        if (report != null) onImage += report.Add;
        if (matching != null) onImage += (sample, prediction, _) => matching.Add(sample.Mask, prediction);
        var metrics = evaluator.Evaluate(pairs, decoder.Decode, progress == null ? null : new SyncProgress(d => progress!.Report((d, pairs.Count))),
            onImage, cancellationToken);
        if (matching != null) metrics = metrics with { Instances = matching.ToScores() };
        string? reportPath = report?.Write(request.ReportDirectory!, new EvaluationReportInfo(Path.GetFullPath(request.Checkpoint), Path.GetFullPath(spec.SourcePath), spec.Name, request.Split,
            DescribeInference(request.Inference, predictor.Info.InferenceScale)));
        return new EvaluationResult(metrics, pairs.Count, reportPath);
    }

    static string DescribeInference(InferenceOptions? o, double scale)
    {
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        var parts = new List<string> { o?.TileSize is int t ? $"tiles of {t} px (overlap {o.Overlap.ToString(inv)}, {o.Blend.ToString().ToLowerInvariant()} blend)" : "whole images" };
        if (scale != 1.0) parts.Add($"inference scale {scale.ToString(inv)}");
        if (o?.Tta is { } tta) parts.Add($"TTA: {(tta.HorizontalFlip ? "flip, " : "")}scales {string.Join(",", tta.Scales.Select(x => x.ToString(inv)))}");
        return string.Join(", ", parts);
    }

    /// <summary>Reports synchronously on the calling thread (System.Progress posts to the thread pool and reorders).</summary>
    sealed class SyncProgress(Action<int> report) : IProgress<int>
    {
        public void Report(int value) => report(value);
    }
}
