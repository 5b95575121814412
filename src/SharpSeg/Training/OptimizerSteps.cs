using System.Diagnostics;
using System.Text.Json.Nodes;
using TorchSharp;
using static TorchSharp.torch;

namespace SharpSeg.Training;

/// <summary>
/// The optimiser step both training loops (<see cref="Trainer"/>, <see cref="SelfSupervised.Pretrainer"/>) take on each
/// batch, and the running numbers they keep: the learning rate from the schedule, zero grad, the caller's loss (computed
/// inside a dispose scope), backward, optional gradient clipping, step; then a divergence check, the iteration count, the
/// images seen, a moving average of the loss, a <c>train</c> record in the metrics log every few iterations, and a
/// progress report.
/// </summary>
internal sealed class OptimizerSteps
{
    readonly optim.Optimizer optimizer;
    readonly LrSchedule schedule;
    readonly int batchSize;
    readonly MetricsLog log;
    readonly int logEvery;
    readonly Stopwatch clock;
    readonly IProgress<TrainingProgress>? progress;
    readonly Func<float, long, string> diverged;

    /// <param name="optimizer">Stepped once per batch.</param>
    /// <param name="schedule">The learning rate at each iteration.</param>
    /// <param name="iteration">Where the run starts (0, or where a resumed run stopped).</param>
    /// <param name="totalIterations">The run's budget (for the time remaining and the last log record).</param>
    /// <param name="batchSize">Images per batch (for the time remaining).</param>
    /// <param name="log">Gets a <c>train</c> record every <paramref name="logEvery"/> iterations and at the last.</param>
    /// <param name="logEvery">At least 1.</param>
    /// <param name="clock">The run's wall clock (elapsed time in records and reports).</param>
    /// <param name="progress">Gets a report after each step, or null.</param>
    /// <param name="diverged">The message of the <see cref="SharpSegException"/> thrown when the loss (first argument)
    /// at an iteration (second) is not finite.</param>
    public OptimizerSteps(optim.Optimizer optimizer, LrSchedule schedule, long iteration, long totalIterations, int batchSize,
        MetricsLog log, int logEvery, Stopwatch clock, IProgress<TrainingProgress>? progress, Func<float, long, string> diverged)
    {
        this.optimizer = optimizer; this.schedule = schedule; Iteration = iteration; TotalIterations = totalIterations; this.batchSize = batchSize;
        this.log = log; this.logEvery = logEvery; this.clock = clock; this.progress = progress; this.diverged = diverged;
    }

    /// <summary>Learning-rate factor per parameter group (the last one for any further groups); 1 for all by default.</summary>
    public IReadOnlyList<double> LrMultipliers { get; init; } = [1.0];

    /// <summary>Clip the gradients of this module's parameters to a total norm of <see cref="GradClip"/> before each step (when that is &gt; 0).</summary>
    public nn.Module? ClipModule { get; init; }

    /// <summary>Maximum gradient norm; 0 for no clipping.</summary>
    public double GradClip { get; init; }

    /// <summary>Runs before each step, after the learning rate is set, with the iteration (e.g. to freeze an encoder for a while).</summary>
    public Action<long>? BeforeStep { get; init; }

    /// <summary>Iterations done (counting those of the run being resumed).</summary>
    public long Iteration { get; private set; }

    public long TotalIterations { get; }

    /// <summary>Images trained on in this process.</summary>
    public long ImagesSeen { get; private set; }

    /// <summary>Exponential moving average (0.9) of the loss; NaN before the first step.</summary>
    public double EmaLoss { get; private set; } = double.NaN;

    /// <summary>Time spent in steps (not in loading, validation or checkpoints).</summary>
    public Stopwatch TrainClock { get; } = new();

    /// <summary>Training throughput so far.</summary>
    public double ImagesPerSecond => ImagesSeen / Math.Max(1e-9, TrainClock.Elapsed.TotalSeconds);

    /// <summary>
    /// One step on a batch of <paramref name="images"/> images of epoch <paramref name="epoch"/>: <paramref name="loss"/>
    /// computes the loss (its tensors belong to the step's dispose scope; read extra scalars there). The log record is
    /// <c>kind, iteration, epoch, loss, loss_avg</c>, then what <paramref name="record"/> adds, then <c>lr, images_per_s,
    /// elapsed_s</c>. Returns the loss.
    /// </summary>
    public float Step(int epoch, int images, Func<Tensor> loss, Action<JsonObject>? record = null)
    {
        TrainClock.Start();
        double lr = schedule.At(Iteration);
        int group = 0;
        foreach (var g in optimizer.ParamGroups) g.LearningRate = lr * LrMultipliers[Math.Min(group++, LrMultipliers.Count - 1)];
        BeforeStep?.Invoke(Iteration);
        float lossValue;
        using (var scope = NewDisposeScope())
        {
            optimizer.zero_grad();
            var l = loss();
            l.backward();
            if (GradClip > 0 && ClipModule != null) nn.utils.clip_grad_norm_(ClipModule.parameters(), GradClip);
            optimizer.step();
            lossValue = l.item<float>();
        }
        TrainClock.Stop();
        if (!float.IsFinite(lossValue)) throw new SharpSegException(diverged(lossValue, Iteration));
        Iteration++;
        ImagesSeen += images;
        EmaLoss = double.IsNaN(EmaLoss) ? lossValue : 0.9 * EmaLoss + 0.1 * lossValue;
        double ips = ImagesPerSecond;
        var remaining = TimeSpan.FromSeconds((TotalIterations - Iteration) * batchSize / Math.Max(1e-9, ips));
        if (Iteration % logEvery == 0 || Iteration == TotalIterations)
        {
            var rec = new JsonObject { ["kind"] = "train", ["iteration"] = Iteration, ["epoch"] = epoch, ["loss"] = lossValue, ["loss_avg"] = EmaLoss };
            record?.Invoke(rec);
            rec["lr"] = lr; rec["images_per_s"] = ips; rec["elapsed_s"] = clock.Elapsed.TotalSeconds;
            log.Write(rec);
        }
        progress?.Report(new TrainingProgress(Iteration, TotalIterations, epoch, EmaLoss, lr, ips, clock.Elapsed, remaining));
        return lossValue;
    }
}
