using System.Diagnostics;
using System.Text.Json.Nodes;
using static TorchSharp.torch;
using SharpSeg.Metrics;

namespace SharpSeg.Training;

/// <summary>
/// The optimiser step both training loops (<see cref="Trainer"/>, <see cref="SelfSupervised.Pretrainer"/>) take on each
/// batch, and the running numbers they keep: the learning rate from the schedule, zero grad, the caller's loss (computed
/// inside a dispose scope), backward, the total gradient norm and optional clipping, step; then the iteration count, the
/// images seen, a moving average of the loss, a <c>train</c> record in the metrics log every few iterations, and a
/// progress report.
/// </summary>
/// <remarks>
/// A loss or gradient that is not finite is caught BEFORE the optimiser step, and the model's buffers (BatchNorm running
/// statistics and counters, which the bad forward pass already updated) are put back as they were before the batch, so
/// the model and optimiser are exactly as after the last good step. The batch is then skipped with a warning while the
/// run has skips left (<see cref="SkipNonFinite"/>), else a <see cref="TrainingDivergedException"/> names the iteration
/// and the batch's images.
/// </remarks>
internal sealed class OptimizerSteps
{
    readonly optim.Optimizer optimizer;
    readonly LrSchedule schedule;
    readonly int batchSize;
    readonly MetricsLog log;
    readonly int logEvery;
    readonly Stopwatch clock;
    readonly IProgress<TrainingProgress>? progress;
    readonly string what;
    readonly string fix;

    /// <param name="optimizer">Stepped once per batch.</param>
    /// <param name="schedule">The learning rate at each iteration.</param>
    /// <param name="iteration">Where the run starts (0, or where a resumed run stopped).</param>
    /// <param name="totalIterations">The run's budget (for the time remaining and the last log record).</param>
    /// <param name="batchSize">Images per batch (for the time remaining).</param>
    /// <param name="log">Gets a <c>train</c> record every <paramref name="logEvery"/> iterations and at the last.</param>
    /// <param name="logEvery">At least 1.</param>
    /// <param name="clock">The run's wall clock (elapsed time in records and reports).</param>
    /// <param name="progress">Gets a report after each step, or null.</param>
    /// <param name="what">What diverges, for messages ("training", "pretraining").</param>
    /// <param name="fix">What the user can do, a sentence ending the divergence message (e.g. "Lower optimizer.lr, …").</param>
    public OptimizerSteps(optim.Optimizer optimizer, LrSchedule schedule, long iteration, long totalIterations, int batchSize,
        MetricsLog log, int logEvery, Stopwatch clock, IProgress<TrainingProgress>? progress, string what, string fix)
    {
        this.optimizer = optimizer; this.schedule = schedule; Iteration = iteration; TotalIterations = totalIterations; this.batchSize = batchSize;
        this.log = log; this.logEvery = logEvery; this.clock = clock; this.progress = progress; this.what = what; this.fix = fix;
    }

    /// <summary>Learning-rate factor per parameter group (the last one for any further groups); 1 for all by default.</summary>
    public IReadOnlyList<double> LrMultipliers { get; init; } = [1.0];

    /// <summary>The module being trained: its gradients are measured (and clipped to <see cref="GradClip"/>), its buffers
    /// restored after a non-finite batch. Required.</summary>
    public required nn.Module Model { get; init; }

    /// <summary>Maximum gradient norm; 0 for no clipping.</summary>
    public double GradClip { get; init; }

    /// <summary>How many non-finite batches may be skipped (with a warning) before the run stops; 0 = stop at the first.</summary>
    public int SkipNonFinite { get; init; }

    /// <summary>Non-finite batches skipped so far in this process.</summary>
    public int Skipped { get; private set; }

    /// <summary>Runs before each step, after the learning rate is set, with the iteration (e.g. to freeze an encoder for a while).</summary>
    public Action<long>? BeforeStep { get; init; }

    /// <summary>Fingerprints of each stage of each step, or null (<see cref="StepTrace"/>).</summary>
    public StepTrace? Trace { get; init; }

    /// <summary>Iterations done (counting those of the run being resumed).</summary>
    public long Iteration { get; private set; }

    public long TotalIterations { get; }

    /// <summary>Images trained on in this process.</summary>
    public long ImagesSeen { get; private set; }

    /// <summary>Exponential moving average (0.9) of the loss; NaN before the first step.</summary>
    public double EmaLoss { get; private set; } = double.NaN;

    /// <summary>Time spent in steps (not in loading, validation or checkpoints).</summary>
    public Stopwatch TrainClock { get; } = new();

    /// <summary>Where the steps' time goes (<see cref="StepPhases"/>).</summary>
    public StepPhases Phases { get; } = new();

    /// <summary>Training throughput so far.</summary>
    public double ImagesPerSecond => ImagesSeen / Math.Max(1e-9, TrainClock.Elapsed.TotalSeconds);

    /// <summary>
    /// One step on the batch of images <paramref name="ids"/> of epoch <paramref name="epoch"/>: <paramref name="loss"/>
    /// computes the loss (its tensors belong to the step's dispose scope; read extra scalars there). The log record is
    /// <c>kind, iteration, epoch, loss, loss_avg</c>, then what <paramref name="record"/> adds, then <c>grad_norm, lr,
    /// images_per_s, elapsed_s</c>. Returns the loss, or NaN for a skipped non-finite batch (which still counts as an
    /// iteration, so that the data order and the schedule stay as planned).
    /// </summary>
    public float Step(int epoch, IReadOnlyList<string> ids, Func<Tensor> loss, Action<JsonObject>? record = null)
    {
        TrainClock.Start();
        Phases.BeginStep();
        double lr = schedule.At(Iteration);
        int group = 0;
        foreach (var g in optimizer.ParamGroups) g.LearningRate = lr * LrMultipliers[Math.Min(group++, LrMultipliers.Count - 1)];
        BeforeStep?.Invoke(Iteration);
        Trace?.BeginStep(Iteration + 1, Model);
        float lossValue;
        double gradNorm = double.NaN;
        string? problem = null;
        using (var scope = NewDisposeScope())
        {
            var buffers = SnapshotBuffers();
            optimizer.zero_grad();
            var phase = Stopwatch.StartNew();
            var l = loss();
            lossValue = l.item<float>();
            Trace?.Number("loss", lossValue);
            Phases.LossDone(phase.Elapsed.TotalMilliseconds);
            if (!float.IsFinite(lossValue)) problem = $"loss is {lossValue}";
            else
            {
                phase.Restart();
                l.backward();
                Phases.BackwardDone(phase.Elapsed.TotalMilliseconds);
                phase.Restart();
                Trace?.Gradients(Model);
                gradNorm = GradientClipping.TotalNorm(Model.parameters());
                Trace?.Number("grad_norm", gradNorm);
                if (!double.IsFinite(gradNorm)) problem = $"gradient norm is {gradNorm} (loss {lossValue:g4})";
                else
                {
                    if (GradClip > 0) GradientClipping.Clip(Model.parameters(), GradClip, gradNorm);
                    optimizer.step();
                    Trace?.Weights(Model, "param", "buffer");
                }
                Phases.OptimizerDone(phase.Elapsed.TotalMilliseconds);
            }
            if (problem != null) RestoreBuffers(buffers);
        }
        TrainClock.Stop();
        Phases.EndStep();
        if (problem != null)
        {
            optimizer.zero_grad();
            string images = Describe(ids);
            if (Skipped >= SkipNonFinite)
                throw new TrainingDivergedException(
                    $"{what} diverged: {problem} at iteration {Iteration + 1} (images {images}); stopped before the optimiser step, so the model is as after iteration {Iteration}. {fix}", Iteration, ids);
            Skipped++;
            var warning = $"warning: skipped batch {Iteration + 1} (images {images}): {problem}; {Skipped} of {SkipNonFinite} allowed skips used.";
            log.Write(new JsonObject { ["kind"] = "skipped", ["iteration"] = Iteration + 1, ["epoch"] = epoch, ["problem"] = problem, ["images"] = new JsonArray(ids.Select(i => (JsonNode?)i).ToArray()) });
            progress?.Report(new TrainingProgress(Iteration + 1, TotalIterations, epoch, EmaLoss, lr, ImagesPerSecond, clock.Elapsed, TimeSpan.Zero, Message: warning));
            Iteration++;
            return float.NaN;
        }
        Iteration++;
        ImagesSeen += ids.Count;
        EmaLoss = double.IsNaN(EmaLoss) ? lossValue : 0.9 * EmaLoss + 0.1 * lossValue;
        double ips = ImagesPerSecond;
        var remaining = TimeSpan.FromSeconds((TotalIterations - Iteration) * batchSize / Math.Max(1e-9, ips));
        if (Iteration % logEvery == 0 || Iteration == TotalIterations)
        {
            var rec = new JsonObject { ["kind"] = "train", ["iteration"] = Iteration, ["epoch"] = epoch, ["loss"] = lossValue, ["loss_avg"] = EmaLoss };
            record?.Invoke(rec);
            rec["grad_norm"] = gradNorm; rec["lr"] = lr; rec["images_per_s"] = ips; rec["elapsed_s"] = clock.Elapsed.TotalSeconds;
            rec["phase_ms"] = Phases.TakeWindow();
            log.Write(rec);
        }
        progress?.Report(new TrainingProgress(Iteration, TotalIterations, epoch, EmaLoss, lr, ips, clock.Elapsed, remaining));
        return lossValue;
    }

    // The model's buffers (BatchNorm running mean/var and batch counters) before the forward pass, to undo what a
    // non-finite batch did to them. A few thousand numbers: the copies cost nothing next to the step.
    List<(Tensor Buffer, Tensor Copy)> SnapshotBuffers()
    {
        using var noGrad = no_grad();
        return Model.buffers().Select(b => (b, b.clone())).ToList();
    }

    static void RestoreBuffers(List<(Tensor Buffer, Tensor Copy)> buffers)
    {
        using var noGrad = no_grad();
        foreach (var (buffer, copy) in buffers) buffer.copy_(copy);
    }

    static string Describe(IReadOnlyList<string> ids) =>
        ids.Count <= 8 ? string.Join(", ", ids) : string.Join(", ", ids.Take(8)) + $" and {ids.Count - 8} more";
}
