using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using SharpSeg.Data;
using SharpSeg.Engine;
using SharpSeg.Imaging;
using SharpSeg.Training;
using TorchSharp;
using static TorchSharp.torch;
using SharpSeg.Checkpoints;
using SharpSeg.Metrics;
using SharpSeg.Data.Loading;

namespace SharpSeg.SelfSupervised;

/// <summary>
/// Self-supervised pretraining of an encoder on unlabelled images (<see cref="PretrainOptions"/>): SimCLR, or the dense
/// method (SimCLR's global term + pixel contrast between matching cells of the two views). Writes an
/// <see cref="EncoderCheckpoint"/> and a loss log (<c>&lt;out&gt;.jsonl</c>: one JSON object per line, <c>kind: train</c>
/// lines with loss, learning rate and images/s). The checkpoint is rewritten, resumable, every
/// <see cref="PretrainOptions.SaveEvery"/> steps and when the run is stopped; at the end it holds the encoder only.
/// </summary>
public sealed class Pretrainer
{
    static readonly JsonSerializerOptions Json = new() { WriteIndented = false };

    readonly PretrainOptions options;
    readonly string outPath;
    readonly EncoderCheckpoint? resumeFrom;

    Pretrainer(PretrainOptions options, string outPath, EncoderCheckpoint? resumeFrom)
    {
        this.options = options; this.outPath = Path.GetFullPath(outPath); this.resumeFrom = resumeFrom;
    }

    /// <summary>Starts a new run writing <paramref name="outPath"/> (refuses a file that already exists).</summary>
    public static Pretrainer Create(PretrainOptions options, string outPath)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (File.Exists(outPath)) throw new SharpSegException($"{outPath}: already exists; use --resume {outPath} to continue that run, or choose another --out.");
        if (Directory.Exists(outPath)) throw new SharpSegException($"{outPath}: is a folder; --out names the encoder checkpoint file to write, e.g. encoder.ckpt.");
        // Absolute paths, so that the options saved in the checkpoint resume from anywhere.
        return new Pretrainer(options with { Images = options.Images.Select(Path.GetFullPath).ToList() }, outPath, null);
    }

    /// <summary>Continues the stopped run saved in <paramref name="checkpointPath"/>, with its own options.</summary>
    public static Pretrainer Resume(string checkpointPath)
    {
        var ckpt = EncoderCheckpoint.Load(checkpointPath);
        if (ckpt.Info.Finished || !ckpt.CanResume)
            throw new SharpSegException($"{checkpointPath}: the run finished ({ckpt.Info.Iterations} iterations) and the file holds the encoder only; nothing to resume.");
        var options = ckpt.Info.Options?.Deserialize<PretrainOptions>() ?? throw new SharpSegException($"{checkpointPath}: has no saved options to resume with.");
        options.Validate();
        IO.AtomicFile.RemoveLeftoversOf(checkpointPath); // a killed run may have died mid-write, as a resumed training run
        return new Pretrainer(options, checkpointPath, ckpt);
    }

    /// <summary>The run's options (for a resumed run, the saved ones).</summary>
    public PretrainOptions Options => options;

    /// <summary>The encoder checkpoint being written.</summary>
    public string CheckpointPath => outPath;

    /// <summary>The loss log beside the checkpoint: same name, extension <c>.jsonl</c>.</summary>
    public string LogPath => Path.ChangeExtension(outPath, ".jsonl");

    /// <summary>
    /// Runs to the end of the budget. Cancellation saves a resumable checkpoint first, then throws
    /// <see cref="OperationCanceledException"/>.
    /// </summary>
    public PretrainResult Run(IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var o = options;
        Device device = TorchRuntime.StartRun(o.Threads, o.Seed, o.Device);
        using var heap = NativeHeap.RetainFreedMemory(); // a step's memory is reused by the next (docs/TRAINING.md)
        var precision = Autocast.ParsePrecision(o.Precision, "--precision");
        // Only the encoder trains here, so auto decides on the encoder alone ("unet" stands for any convolutional head).
        bool channelsLast = Models.Fusion.ChannelsLast.ForTraining(o.ChannelsLast, device, "unet", o.Encoder.Encoder, "train.channels_last");
        if (precision != null && TorchRuntime.MixedPrecisionWarning(device, "bf16 pretraining", "leave out --precision bf16 (train.precision: fp32)") is { } slow)
            progress?.Report(TrainingProgress.Note(slow));
        bool resuming = resumeFrom != null;

        var paths = UnlabelledImages.Find(o.Images);
        if (paths.Count < 2) throw new SharpSegException($"only {paths.Count} image found; contrastive pretraining needs at least 2 (more is better: hundreds to thousands).");
        if (resuming && paths.Count != resumeFrom!.Info.Images)
            throw new SharpSegException($"{outPath}: the run started on {resumeFrom.Info.Images} images but its inputs now hold {paths.Count}; resume needs the same images.");
        int channels = o.Encoder.InChannels;

        bool fromWeights = !string.IsNullOrWhiteSpace(o.InitWeights);
        Normalization normalization = resuming
            ? resumeFrom!.Normalization
            : fromWeights && o.Normalize == "imagenet"
                ? Pretrained.EncoderWeights.ExpectedNormalization(o.InitWeights!, channels) // what the starting weights were trained with
                : Normalization.Resolve(o.Normalize, channels, paths, p => ViewPairLoader.Rescale(ImageFile.Load(p, channels, o.IntensityRange), o.ImageScale));
        _ = normalization.LookupTable(channels); // mean/std that do not fit the channels fail here, not on a worker

        using var encoder = EncoderCheckpoint.BuildEncoder(o.Encoder);
        var modelConfig = o.Encoder with { Encoder = o.Encoder.Encoder.Trim().ToLowerInvariant() };
        // Continued pretraining: the encoder starts from the given weights (a resumed run restores its own below), and
        // with distillation a frozen copy of them is the teacher.
        using var teacher = fromWeights && o.DistillWeight > 0 ? EncoderCheckpoint.BuildEncoder(o.Encoder) : null;
        if (fromWeights)
        {
            using var start = Pretrained.EncoderWeights.CreateWithEncoder(modelConfig.Encoder, o.InitWeights!, channels, out _);
            if (!resuming) encoder.load_state_dict(start.Encoder.state_dict());
            if (teacher != null)
            {
                teacher.load_state_dict(start.Encoder.state_dict());
                teacher.eval();
                foreach (var p in teacher.parameters()) p.requires_grad = false;
                teacher.to(device);
            }
        }
        int stride = encoder.OutputStride;
        if (o.Crop[0] % stride != 0 || o.Crop[1] % stride != 0)
            throw new SharpSegException($"--crop {o.Crop[0]}x{o.Crop[1]} must be a multiple of encoder {modelConfig.Encoder}'s output stride {stride} (e.g. {RoundUp(o.Crop[0], stride)}x{RoundUp(o.Crop[1], stride)}).");
        bool dense = o.Method == PretrainMethod.Dense;
        using var network = new ContrastiveNetwork(encoder, o.HiddenDim, o.ProjectionDim, dense);
        network.to(device);
        using var optimizer = optim.AdamW(network.parameters(), o.Lr, weight_decay: o.WeightDecay);

        var views = (o.Views ?? ViewAugmentationOptions.For(o.Method, o.Crop[0], o.Crop[1])) with { Crop = o.Crop };
        var transform = new TwoViewTransform(views);
        int batchSize = Math.Min(o.BatchSize, paths.Count);
        bool cache = o.Cache == "true" || (o.Cache == "auto" && paths.Count <= 2000);
        var loader = ViewPairLoader.FromFiles(paths, channels, o.ImageScale, transform, normalization, new LoaderOptions
        {
            BatchSize = batchSize, Shuffle = true, DropLast = true, Seed = unchecked((int)o.Seed), Workers = o.Workers, Cache = cache,
        }, o.IntensityRange);
        long stepsPerEpoch = Math.Max(1, loader.BatchCount);
        long total = o.Iterations > 0 ? o.Iterations : o.Epochs * stepsPerEpoch;
        var schedule = new LrSchedule("cosine", o.Lr, total, o.WarmupIters ?? total / 20);
        var ntXent = new NtXentLoss(o.Temperature);
        var pixel = new PixelContrastLoss(o.Temperature);

        long startIteration = 0;
        double trainSecondsBefore = 0;
        if (resuming)
        {
            resumeFrom!.RestoreTraining(network, optimizer);
            startIteration = resumeFrom.Info.Iterations;
            trainSecondsBefore = resumeFrom.Info.TrainSeconds;
        }

        using var log = new MetricsLog(LogPath, append: true);
        log.Write(new JsonObject
        {
            ["kind"] = resuming ? "resume" : "start", ["iteration"] = startIteration, ["total_iterations"] = total, ["images"] = paths.Count, ["precision"] = Autocast.PrecisionName(precision), ["channels_last"] = channelsLast,
            ["batch_size"] = batchSize, ["method"] = PretrainOptions.MethodName(o.Method), ["encoder"] = modelConfig.Encoder,
            ["crop"] = new JsonArray(o.Crop[0], o.Crop[1]), ["parameters"] = Models.ModelZoo.CountParameters(encoder),
            ["engine"] = TorchRuntime.Describe(), ["time_utc"] = DateTime.UtcNow,
        });

        var clock = Stopwatch.StartNew();
        using var trace = StepTrace.FromEnvironment();
        var steps = new OptimizerSteps(optimizer, schedule, startIteration, total, batchSize, log, o.LogEvery, clock, progress,
            "pretraining", $"Lower --lr, e.g. --lr {schedule.BaseLr / 10:g3}.")
        {
            Model = network,
            Trace = trace,
        };
        double firstLoss = double.NaN;
        EncoderCheckpointInfo Info(bool finished) => new()
        {
            Encoder = modelConfig.Encoder,
            InChannels = channels,
            Model = JsonSerializer.SerializeToNode(modelConfig)!.AsObject(),
            OutChannels = encoder.OutChannels.ToArray(),
            Mean = ExpandTo(normalization.Mean, channels),
            Std = ExpandTo(normalization.Std, channels),
            Method = PretrainOptions.MethodName(o.Method),
            Iterations = steps.Iteration,
            TotalIterations = total,
            Images = paths.Count,
            Loss = double.IsNaN(steps.EmaLoss) ? null : steps.EmaLoss,
            TrainSeconds = trainSecondsBefore + steps.TrainClock.Elapsed.TotalSeconds,
            Finished = finished,
            Options = JsonSerializer.SerializeToNode(o)!.AsObject(),
        };

        network.train();
        try
        {
            while (steps.Iteration < total)
            {
                int epoch = (int)(steps.Iteration / stepsPerEpoch);
                int startBatch = (int)(steps.Iteration % stepsPerEpoch);
                foreach (var batch in loader.Epoch(epoch, startBatch, cancellationToken))
                {
                    using (batch)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        float globalValue = float.NaN, denseValue = float.NaN, positiveShare = float.NaN, distillValue = float.NaN;
                        steps.Step(epoch, batch.Ids, () =>
                        {
                            var x = torch.cat([batch.First, batch.Second], 0).to(device);
                            if (channelsLast) x = Models.Fusion.ChannelsLast.Convert(x);
                            var (global, denseMaps, deepest) = steps.Phases.TimeForward(() => Autocast.Forward(device, precision, () => network.Forward(x),
                                f => (Autocast.Fp32(f.Global), f.Dense is null ? null : Autocast.Fp32(f.Dense), Autocast.Fp32(f.Deepest))));
                            var z = global.chunk(2, 0);
                            var lossGlobal = ntXent.Compute(z[0], z[1]);
                            globalValue = lossGlobal.item<float>();
                            Tensor? lossDistill = null;
                            if (teacher != null)
                            {
                                Tensor target;
                                using (torch.no_grad()) target = Autocast.Forward(device, precision, () => teacher.call(x)[^1], Autocast.Fp32);
                                lossDistill = nn.functional.cosine_similarity(deepest, target, dim: 1).neg().add(1).mean();
                                distillValue = lossDistill.item<float>();
                            }
                            if (!dense) return lossDistill is null ? lossGlobal : lossGlobal + lossDistill * o.DistillWeight;
                            var d = denseMaps!.chunk(2, 0);
                            int h = (int)d[0].shape[2], w = (int)d[0].shape[3];
                            var positives = PixelCorrespondence.PositiveMask(batch.FirstGeometry, batch.SecondGeometry, h, w, h, w, o.PositiveThreshold);
                            var lossDense = pixel.Compute(d[0], d[1], positives);
                            denseValue = lossDense.item<float>();
                            positiveShare = positives.any(2).to(ScalarType.Float32).mean().item<float>();
                            var contrast = lossGlobal * (1 - o.DenseWeight) + lossDense * o.DenseWeight;
                            return lossDistill is null ? contrast : contrast + lossDistill * o.DistillWeight;
                        }, rec =>
                        {
                            rec["loss_global"] = globalValue;
                            if (teacher != null) rec["loss_distill"] = distillValue;
                            if (dense) { rec["loss_dense"] = denseValue; rec["positive_share"] = positiveShare; }
                        });
                        if (double.IsNaN(firstLoss)) firstLoss = steps.EmaLoss;
                        if (o.SaveEvery > 0 && steps.Iteration % o.SaveEvery == 0 && steps.Iteration < total)
                            EncoderCheckpoint.Save(outPath, encoder, Info(finished: false), network, optimizer);
                    }
                    if (steps.Iteration >= total) break;
                }
            }
        }
        catch (OperationCanceledException)
        {
            EncoderCheckpoint.Save(outPath, encoder, Info(finished: false), network, optimizer);
            log.Write(new JsonObject { ["kind"] = "interrupted", ["iteration"] = steps.Iteration, ["elapsed_s"] = clock.Elapsed.TotalSeconds });
            throw;
        }
        EncoderCheckpoint.Save(outPath, encoder, Info(finished: true));
        double imagesPerSecond = steps.ImagesPerSecond;
        log.Write(new JsonObject { ["kind"] = "end", ["iteration"] = steps.Iteration, ["loss_avg"] = steps.EmaLoss, ["images_per_s"] = imagesPerSecond, ["elapsed_s"] = clock.Elapsed.TotalSeconds });
        return new PretrainResult(outPath, LogPath, steps.Iteration, paths.Count, firstLoss, steps.EmaLoss, clock.Elapsed, imagesPerSecond);
    }

    static int RoundUp(int v, int m) => Math.Max(m, (v + m - 1) / m * m);

    static double[] ExpandTo(IReadOnlyList<float> v, int channels) =>
        Enumerable.Range(0, channels).Select(c => (double)v[v.Count == 1 ? 0 : Math.Min(c, v.Count - 1)]).ToArray();
}
