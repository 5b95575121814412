using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using SharpSeg.Data;
using SharpSeg.Data.Augmentation;
using SharpSeg.Engine;
using SharpSeg.Evaluation;
using SharpSeg.Metrics;
using SharpSeg.Models;
using TorchSharp;
using static TorchSharp.torch;
using SharpSeg.Checkpoints;
using SharpSeg.Data.Dataset;
using SharpSeg.Data.Masks;
using SharpSeg.Data.Loading;

using SharpSeg.Data.Checks;

namespace SharpSeg.Training;

/// <summary>
/// Trains a model from a <see cref="TrainingRecipe"/> into a run folder holding <c>recipe.yaml</c> (the resolved
/// recipe), <c>metrics.jsonl</c>, <c>best.ckpt</c> (best validation mIoU), <c>last.ckpt</c>, <c>curves/</c> (loss,
/// validation and learning-rate PNGs, redrawn at each validation) and, with <c>train.tensorboard: true</c>,
/// <c>tensorboard/</c> (event files). A run resumes exactly
/// (model, optimiser, schedule position, data order, RNG) from its <c>last.ckpt</c>.
/// </summary>
public sealed class Trainer
{
    public const string RecipeFileName = "recipe.yaml";
    public const string MetricsFileName = MetricsLog.FileName;
    public const string BestCheckpointName = "best.ckpt";
    public const string LastCheckpointName = "last.ckpt";

    readonly TrainingRecipe _recipe;
    readonly string _runDirectory;
    readonly Checkpoint? _resumeFrom;

    Trainer(TrainingRecipe recipe, string runDirectory, Checkpoint? resumeFrom)
    {
        _recipe = recipe; _runDirectory = Path.GetFullPath(runDirectory); _resumeFrom = resumeFrom;
    }

    /// <summary>The name a run's metrics log is moved to when a run that stopped before its first checkpoint is started
    /// again in the same folder (kept for a look, not appended to).</summary>
    public const string StoppedMetricsFileName = "metrics.stopped.jsonl";

    /// <summary>Starts a new run in <paramref name="runDirectory"/>. Refuses a folder that holds a run with a checkpoint
    /// (resume it instead); a run that stopped before its first checkpoint (bad data found at its first batch) has nothing
    /// to resume, so it is started again there, its metrics log moved to <see cref="StoppedMetricsFileName"/>.</summary>
    public static Trainer Create(TrainingRecipe recipe, string runDirectory)
    {
        if (File.Exists(Path.Combine(runDirectory, LastCheckpointName)) || File.Exists(Path.Combine(runDirectory, BestCheckpointName)))
            throw new SharpSegException($"{runDirectory}: already holds a training run; use --resume {runDirectory} to continue it, or choose another --out folder.");
        recipe.CheckValues();
        string metrics = Path.Combine(runDirectory, MetricsFileName);
        if (File.Exists(metrics)) File.Move(metrics, Path.Combine(runDirectory, StoppedMetricsFileName), overwrite: true);
        // Make the recipe's paths absolute so the saved recipe works from anywhere (and on resume).
        recipe.Tree.Set("data.dataset=" + Configuration.YamlText.Quote(recipe.DatasetPath));
        if (recipe.DataRoot != null) recipe.Tree.Set("data.data_root=" + Configuration.YamlText.Quote(recipe.DataRoot));
        return new Trainer(recipe, runDirectory, null);
    }

    /// <summary>Continues the run in <paramref name="runDirectoryOrCheckpoint"/> (a run folder or its last.ckpt) exactly where it stopped.</summary>
    public static Trainer Resume(string runDirectoryOrCheckpoint, IEnumerable<string>? overrides = null)
    {
        if (!Directory.Exists(runDirectoryOrCheckpoint) && !File.Exists(runDirectoryOrCheckpoint))
            throw new SharpSegException($"{runDirectoryOrCheckpoint}: no such run folder or checkpoint; give the --out folder of the run to continue (it holds last.ckpt).");
        string ckptPath = Directory.Exists(runDirectoryOrCheckpoint) ? Path.Combine(runDirectoryOrCheckpoint, LastCheckpointName) : runDirectoryOrCheckpoint;
        if (!File.Exists(ckptPath))
            throw new SharpSegException($"{runDirectoryOrCheckpoint}: no {LastCheckpointName} to resume from (the run stopped before its first checkpoint; start it again with the same --out).");
        var ckpt = Checkpoint.Load(ckptPath);
        if (!ckpt.CanResume) throw new SharpSegException($"{ckptPath}: holds weights only and cannot resume training.");
        TrainingRecipe.RefuseModelOverridesOnResume(overrides, ckptPath);
        string runDir = Path.GetDirectoryName(Path.GetFullPath(ckptPath))!;
        var recipe = TrainingRecipe.Parse(ckpt.Info.Recipe ?? "", ckptPath + " (recipe)", runDir, overrides);
        recipe.CheckValues();
        return new Trainer(recipe, runDir, ckpt);
    }

    public string RunDirectory => _runDirectory;
    public TrainingRecipe Recipe => _recipe;

    /// <summary>Runs training to the end of its budget (or early stop, or cancellation, which saves last.ckpt first).</summary>
    public TrainingResult Run(IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var r = _recipe;
        Device device = TorchRuntime.StartRun(r.Threads, r.Seed, r.Device);
        using var heap = NativeHeap.RetainFreedMemory(); // a step's memory is reused by the next (docs/TRAINING.md)
        // Checked before the data and the model are loaded: a bad value is told at once.
        var precision = RecipeBinding.Precision(r);
        bool? forceChannelsLast = RecipeBinding.ChannelsLast(r);
        if (precision != null && TorchRuntime.MixedPrecisionWarning(device) is { } slow)
            progress?.Report(TrainingProgress.Note(slow));

        bool resuming = _resumeFrom != null;
        if (resuming) IO.AtomicFile.RemoveLeftovers(_runDirectory); // a killed run may have died mid-write
        // Pretrained encoder weights only initialise a new run; a resumed run has them in its checkpoint.
        string? encoderWeights = resuming ? null : RecipeBinding.EncoderWeights(r);
        if (encoderWeights != null) Pretrained.EncoderWeights.Validate(encoderWeights, RecipeBinding.Model(r).Encoder);
        string? initWeights = resuming ? null : RecipeBinding.InitWeights(r);
        if (initWeights != null && !File.Exists(initWeights)) throw new SharpSegException($"model.init_weights: {initWeights}: file not found.");
        long freezeEncoderIterations = RecipeBinding.FreezeEncoderIterations(r);
        var lrMultipliers = RecipeBinding.LearningRateMultipliers(r);

        var spec = DatasetSpec.Load(r.DatasetPath, r.DataRoot);
        var trainPairs = spec.ResolvePairs(r.TrainSplit);
        if (trainPairs.Count == 0) throw new SharpSegException($"{spec.SourcePath}: split '{r.TrainSplit}' has no images.");
        IReadOnlyList<SamplePair>? valPairs = r.ValSplit != null && spec.SplitNames.Contains(r.ValSplit) ? spec.ResolvePairs(r.ValSplit) : null;
        if (r.ValSplit != null && valPairs == null)
            throw new SharpSegException($"{spec.SourcePath}: has no split '{r.ValSplit}' to validate on (splits: {string.Join(", ", spec.SplitNames)}); set data.val_split to one of them, or to null to train without validation.");
        // data.check: every problem of the files this run reads, told before it starts (not hours in, at the first batch
        // that reaches a damaged file), and a class no mask has (0/255 masks under the default ignore value).
        int pairsRead = trainPairs.Count + (valPairs?.Count ?? 0);
        bool? checkSetting = RecipeBinding.CheckSetting(r);
        if (RecipeBinding.Check(checkSetting, pairsRead))
        {
            var report = new DataChecker(spec, r.Threads > 0 ? r.Threads : Environment.ProcessorCount).Check([r.TrainSplit, .. valPairs != null ? new[] { r.ValSplit! } : []], cancellationToken: cancellationToken)
                with { TrainSplit = r.TrainSplit };
            if (!report.IsClean)
            {
                var first = report.Problems[0];
                throw new SharpSegException($"{spec.SourcePath}: {report.ProblemCount} of the splits this run reads; the first: {first.Message} Run 'sharpseg data check {spec.SourcePath}' to list them all, fix them, and train again (data.check=false skips this check).");
            }
            // The warnings data check prints (its notes stay there): the data is readable but probably not what was meant.
            foreach (var warning in report.Warnings) progress?.Report(TrainingProgress.Note(warning));
        }
        else if (checkSetting == null)
            progress?.Report(TrainingProgress.Note($"note: the {pairsRead} pairs were not checked before training (data.check: auto checks up to {RecipeBinding.AutoCheckPairs}); a damaged file stops the run when a batch reaches it. 'sharpseg data check {spec.SourcePath}' checks them all, or set data.check=true."));
        var decoder = new SampleDecoder(spec);
        var classNames = spec.Classes.Names.ToList();

        IO.OutputFolder.Create(_runDirectory);
        if (!resuming) File.WriteAllText(Path.Combine(_runDirectory, RecipeFileName), r.ToYaml());

        Normalization normalization = resuming
            ? _resumeFrom!.Info.Normalization
            : RecipeBinding.Normalization(r, spec, trainPairs, decoder.Decode, encoderWeights, initWeights);
        float[]? classWeights = RecipeBinding.ClassWeights(r, spec, r.TrainSplit, _runDirectory);

        ModelConfig modelConfig = resuming
            ? _resumeFrom!.Info.Config
            : RecipeBinding.Model(r) with { NumClasses = classNames.Count, InChannels = spec.ImageChannels };
        if (modelConfig.NumClasses != classNames.Count)
            throw new SharpSegException($"{spec.SourcePath}: has {classNames.Count} classes but the run being resumed was trained with {modelConfig.NumClasses}.");

        using var model = ModelZoo.Create(modelConfig);
        bool channelsLast = forceChannelsLast ?? Models.Fusion.ChannelsLast.PaysForTraining(device, modelConfig.Architecture, modelConfig.Encoder);
        Pretrained.StateDictLoadReport? weightsReport = null, initReport = null;
        if (encoderWeights != null)
        {
            weightsReport = Pretrained.EncoderWeights.Load(model, encoderWeights, normalization);
            foreach (var note in weightsReport.Notes) progress?.Report(TrainingProgress.Note(note));
            progress?.Report(TrainingProgress.Note(weightsReport.Summary));
        }
        if (initWeights != null)
        {
            // After the encoder weights, so a whole-model file wins where both are given.
            initReport = Pretrained.PretrainedWeights.LoadModel(model, initWeights, strict: RecipeBinding.InitStrict(r));
            foreach (var note in initReport.Notes) progress?.Report(TrainingProgress.Note(note));
            progress?.Report(TrainingProgress.Note(initReport.Summary));
        }
        model.to(device);
        var loss = RecipeBinding.Loss(r, classWeights);
        // train.precision: bf16 runs the forward pass under libtorch's CPU autocast; the losses always see fp32 outputs.
        T Forward<T>(Func<T> forward, Func<T, T> toFp32) => Autocast.Forward(device, precision, forward, toFp32);
        static Tensor Fp32(Tensor t) => Autocast.Fp32(t);

        var setCriterion = model.IsMaskClassification ? new Models.MaskClassification.MaskClassificationCriterion(modelConfig.NumClasses) : null;
        bool[]? thingClasses = setCriterion is null ? null : RecipeBinding.ThingClasses(r, classNames);
        using var optimizer = RecipeBinding.Optimizer(r, model);

        int batchSize = Math.Min(r.BatchSize, trainPairs.Count);
        var loader = new SegmentationLoader(trainPairs, decoder.Decode, AugmentationPipeline.Build(RecipeBinding.Augmentation(r), normalization), normalization, new LoaderOptions
        {
            BatchSize = batchSize,
            Shuffle = true,
            DropLast = trainPairs.Count >= batchSize,
            Seed = unchecked((int)r.Seed),
            Workers = r.Workers,
            Cache = RecipeBinding.Cache(r, trainPairs.Count),
        });
        long stepsPerEpoch = Math.Max(1, loader.BatchCount);
        bool budgetInIterations = r.Iterations > 0;
        long totalIterations = budgetInIterations ? r.Iterations : r.Epochs * stepsPerEpoch;
        var schedule = RecipeBinding.Schedule(r, totalIterations);
        double gradClip = r.Tree.GetDouble("optimizer.grad_clip");
        double inferenceScale = r.Tree.GetDouble("eval.scale");
        if (inferenceScale <= 0 || inferenceScale > 4) throw new SharpSegException($"{r.Tree.Source}: eval.scale must be in (0, 4], got {inferenceScale}.");

        long startIteration = 0;
        double? bestMIoU = null;
        long? bestIteration = null;
        int sinceBest = 0;
        SegmentationMetrics? lastValidation = null;
        if (resuming)
        {
            _resumeFrom!.LoadWeights(model);
            _resumeFrom.RestoreTrainingState(optimizer);
            startIteration = _resumeFrom.Info.Iteration;
            bestMIoU = _resumeFrom.Info.BestMIoU;
            bestIteration = _resumeFrom.Info.BestIteration;
            sinceBest = _resumeFrom.Info.ValidationsSinceBest;
            if (startIteration >= totalIterations)
                throw new SharpSegException($"{_runDirectory}: the run already finished ({startIteration} of {totalIterations} iterations), so there is nothing to resume; to train on, resume with a larger budget, e.g. --set train.iterations={2 * totalIterations}.");
        }

        // A drawing failure does not stop training, but is told once: on the progress reporter, or on stderr without one.
        var visuals = new TrainingVisuals(_runDirectory, r.Tree.GetBool("train.tensorboard"), classNames, warning =>
        {
            if (progress != null) progress.Report(TrainingProgress.Note(warning));
            else Console.Error.WriteLine(warning);
        });
        using var log = new MetricsLog(Path.Combine(_runDirectory, MetricsFileName), append: true);
        log.Written += visuals.OnRecord;
        log.Write(new JsonObject
        {
            ["kind"] = resuming ? "resume" : "start", ["iteration"] = startIteration, ["total_iterations"] = totalIterations,
            ["train_images"] = trainPairs.Count, ["val_images"] = valPairs?.Count ?? 0, ["batch_size"] = batchSize,
            ["parameters"] = ModelZoo.CountParameters(model), ["engine"] = TorchRuntime.Describe(), ["time_utc"] = DateTime.UtcNow,
            ["encoder_weights"] = weightsReport?.Summary, ["precision"] = Autocast.PrecisionName(precision), ["channels_last"] = channelsLast, ["init_weights"] = initReport?.Summary,
        });

        var clock = new Stopwatch();
        using var trace = StepTrace.FromEnvironment();
        Tensor Traced(Tensor logits) => trace?.Tensor("logits", "", logits) ?? logits;
        var steps = new OptimizerSteps(optimizer, schedule, startIteration, totalIterations, batchSize, log, Math.Max(1, r.LogEvery), clock, progress,
            "training", $"last.ckpt holds that state: lower optimizer.lr and continue it (train --resume {_runDirectory} --set optimizer.lr={schedule.BaseLr / 10:g3}), set optimizer.grad_clip, or set train.skip_nonfinite: N to skip up to N such batches.")
        {
            LrMultipliers = lrMultipliers,
            Model = model,
            GradClip = gradClip,
            SkipNonFinite = RecipeBinding.SkipNonFinite(r),
            BeforeStep = freezeEncoderIterations > 0 ? at => FreezeEncoder(model, at < freezeEncoderIterations) : null,
            Trace = trace,
        };

        string lastPath = Path.Combine(_runDirectory, LastCheckpointName);
        string bestPath = Path.Combine(_runDirectory, BestCheckpointName);
        CheckpointInfo Info(SegmentationMetrics? metrics) => new()
        {
            Model = JsonSerializer.SerializeToNode(modelConfig)!.AsObject(),
            Classes = spec.Classes,
            ImageChannels = spec.ImageChannels,
            ImageRange = spec.ImageRange is { } range ? [range.Low, range.High] : null,
            VolumeSlicing = spec.VolumeSlicing,
            InferenceScale = inferenceScale,
            Mean = normalization.Mean.Select(v => (double)v).ToArray(),
            Std = normalization.Std.Select(v => (double)v).ToArray(),
            Epoch = (int)(steps.Iteration / stepsPerEpoch),
            Iteration = steps.Iteration,
            BestMIoU = bestMIoU,
            BestIteration = bestIteration,
            ValidationsSinceBest = sinceBest,
            Recipe = r.ToYaml(),
            Metrics = metrics == null ? null : JsonNode.Parse(metrics.ToJson()),
        };

        var evaluator = valPairs == null ? null : new Evaluator(model, normalization, classNames, device, inferenceScale, channelsLast: channelsLast);
        clock.Start();
        bool stoppedEarly = false;
        model.train();

        try
        {
            while (steps.Iteration < totalIterations && !stoppedEarly)
            {
                int epoch = (int)(steps.Iteration / stepsPerEpoch);
                int startBatch = (int)(steps.Iteration % stepsPerEpoch);
                foreach (var batch in loader.Epoch(epoch, startBatch, cancellationToken))
                {
                    using (batch)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        steps.Step(epoch, batch.Ids, () =>
                        {
                            Tensor images = batch.Images.to(device), masks = batch.Masks.to(device);
                            trace?.Tensor("images", "", images); trace?.Tensor("masks", "", masks);
                            if (channelsLast) images = Models.Fusion.ChannelsLast.Convert(images);
                            if (setCriterion is not null)
                            {
                                var output = steps.Phases.TimeForward(() => Forward(() => model.ForwardMaskClassification(images), o => o with { Layers = o.Layers.Select(l => (Fp32(l.ClassLogits), Fp32(l.MaskLogits))).ToList() }));
                                return thingClasses is null ? setCriterion.Compute(output, masks).Total
                                    : setCriterion.Compute(output, InstanceMaskTargets.Build(masks, thingClasses, dtype: output.Layers[0].ClassLogits.dtype)).Total;
                            }
                            if (!model.HasAuxHead) return loss.Compute(Traced(steps.Phases.TimeForward(() => Forward(() => model.forward(images), Fp32))), masks);
                            var (logits, aux) = steps.Phases.TimeForward(() => Forward(() => model.ForwardWithAux(images), o => (Fp32(o.Item1), o.Item2 is null ? null : Fp32(o.Item2))));
                            var l = loss.Compute(Traced(logits), masks);
                            if (aux is not null) l = l + loss.Compute(aux, masks) * modelConfig.AuxWeight;
                            return l;
                        });
                    }
                    long iteration = steps.Iteration;

                    bool endOfEpoch = iteration % stepsPerEpoch == 0;
                    bool validateNow = budgetInIterations ? iteration % r.ValEvery == 0 : endOfEpoch && (iteration / stepsPerEpoch) % r.ValEvery == 0;
                    bool finished = iteration >= totalIterations;
                    if (validateNow || finished)
                    {
                        bool isBest = false;
                        if (evaluator != null)
                        {
                            lastValidation = evaluator.Evaluate(valPairs!, decoder.Decode, cancellationToken: cancellationToken);
                            double miou = lastValidation.MeanIoU ?? 0;
                            isBest = bestMIoU == null || miou > bestMIoU.Value;
                            if (isBest) { bestMIoU = miou; bestIteration = iteration; sinceBest = 0; } else sinceBest++;
                            var rec = new JsonObject { ["kind"] = "val", ["iteration"] = iteration, ["epoch"] = iteration / (double)stepsPerEpoch, ["miou"] = lastValidation.MeanIoU, ["pixel_accuracy"] = lastValidation.PixelAccuracy, ["mean_class_accuracy"] = lastValidation.MeanClassAccuracy, ["is_best"] = isBest, ["elapsed_s"] = clock.Elapsed.TotalSeconds };
                            rec["per_class_iou"] = new JsonArray(lastValidation.PerClass.Select(c => (JsonNode?)(c.IoU is double d ? JsonValue.Create(d) : null)).ToArray());
                            log.Write(rec);
                        }
                        else { isBest = true; bestIteration = iteration; }
                        var info = Info(lastValidation);
                        // best.ckpt first: last.ckpt records the new best, so a kill between the two writes must leave
                        // best.ckpt no older than what last.ckpt says is best (a resume then recomputes the same state).
                        if (isBest) Checkpoint.Save(bestPath, model, info);
                        Checkpoint.Save(lastPath, model, info, optimizer);
                        steps.Phases.Pause(); // validation and checkpoints are not the next batch's data time
                        progress?.Report(new TrainingProgress(iteration, totalIterations, epoch, steps.EmaLoss, schedule.At(iteration), steps.ImagesPerSecond, clock.Elapsed, TimeSpan.Zero, lastValidation, isBest));
                        if (r.EarlyStopPatience > 0 && sinceBest >= r.EarlyStopPatience)
                        {
                            stoppedEarly = true;
                            log.Write(new JsonObject { ["kind"] = "early_stop", ["iteration"] = iteration, ["best_iteration"] = bestIteration, ["best_miou"] = bestMIoU });
                            progress?.Report(new TrainingProgress(iteration, totalIterations, epoch, steps.EmaLoss, 0, 0, clock.Elapsed, TimeSpan.Zero, Message: $"early stop: no val mIoU improvement in {sinceBest} validations"));
                        }
                    }
                    if (finished || stoppedEarly) break;
                }
            }
        }
        catch (TrainingDivergedException diverged)
        {
            // Stopped before the optimiser step, with the buffers the bad batch touched put back: the model and optimiser
            // are exactly as after the last good iteration, worth keeping so that --resume (with a lower rate) continues.
            Checkpoint.Save(lastPath, model, Info(lastValidation), optimizer);
            log.Write(new JsonObject { ["kind"] = "diverged", ["iteration"] = diverged.Iteration, ["images"] = new JsonArray(diverged.ImageIds.Select(i => (JsonNode?)i).ToArray()), ["elapsed_s"] = clock.Elapsed.TotalSeconds });
            throw;
        }
        catch (OperationCanceledException)
        {
            // Interrupted (Ctrl+C, or a caller's token): keep what was trained so that --resume continues from here.
            Checkpoint.Save(lastPath, model, Info(lastValidation), optimizer);
            log.Write(new JsonObject { ["kind"] = "interrupted", ["iteration"] = steps.Iteration, ["elapsed_s"] = clock.Elapsed.TotalSeconds });
            throw;
        }
        log.Write(new JsonObject { ["kind"] = "end", ["iteration"] = steps.Iteration, ["best_miou"] = bestMIoU, ["best_iteration"] = bestIteration, ["elapsed_s"] = clock.Elapsed.TotalSeconds, ["phase_ms"] = steps.Phases.RunMeanJson() });
        return new TrainingResult(_runDirectory, bestPath, lastPath, steps.Iteration, bestMIoU, bestIteration, lastValidation, clock.Elapsed, stoppedEarly,
            steps.ImagesPerSecond) { PhaseMs = steps.Phases.RunMean };
    }

    // A frozen encoder gets no gradients (its parameters do not require them, so backward stops at the decoder) and keeps
    // its BatchNorm statistics (eval mode); set every step because validation puts the whole model back in train mode.
    static void FreezeEncoder(SegmentationModel model, bool frozen)
    {
        foreach (var p in model.Encoder.parameters())
            if (p.requires_grad == frozen) p.requires_grad = !frozen;
        model.Encoder.train(!frozen);
    }
}
