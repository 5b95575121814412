using SharpSeg.Training;
using Spectre.Console;

namespace SharpSeg.Cli;

/// <summary>
/// Shows training progress: a live bar (loss, LR, images/s, ETA) on a terminal; plain lines every few seconds
/// otherwise (pipes, CI). Validation results are always printed as lines.
/// </summary>
public sealed class TrainingReporter : IProgress<TrainingProgress>
{
    readonly ProgressTask? _task;
    DateTime _lastLine = DateTime.MinValue;

    public TrainingReporter(ProgressTask? task) { _task = task; }

    public void Report(TrainingProgress p)
    {
        if (p.Message != null) { ConsoleOutput.Note(p.Message); return; }
        string status = $"iter {p.Iteration}/{p.TotalIterations}  epoch {p.Epoch + 1}  loss {p.Loss:F4}  lr {p.LearningRate:g3}  {p.ImagesPerSecond:F1} img/s  ETA {Format(p.Remaining)}";
        if (p.Validation != null)
        {
            AnsiConsole.MarkupLine($"val @ iter {p.Iteration}: mIoU [bold]{ConsoleOutput.Pct(p.Validation.MeanIoU)}[/] %  pixel acc {ConsoleOutput.Pct(p.Validation.PixelAccuracy)} %{(p.IsBest ? "  [green](best, saved best.ckpt)[/]" : "")}");
        }
        if (_task != null)
        {
            _task.MaxValue = p.TotalIterations;
            _task.Value = p.Iteration;
            _task.Description = ConsoleOutput.Escape(status);
        }
        else if (p.Validation == null && (DateTime.UtcNow - _lastLine).TotalSeconds >= 5 || p.Iteration == p.TotalIterations && p.Validation == null)
        {
            _lastLine = DateTime.UtcNow;
            Console.WriteLine(status);
        }
    }

    static string Format(TimeSpan t) => t.TotalHours >= 1 ? $"{(int)t.TotalHours}h{t.Minutes:D2}m" : $"{t.Minutes}m{t.Seconds:D2}s";

    /// <summary>Runs <paramref name="work"/> with a live progress bar when the console allows it, else with line output.</summary>
    public static T Run<T>(string title, Func<IProgress<TrainingProgress>, T> work)
    {
        if (!ConsoleOutput.Interactive) return work(new TrainingReporter(null));
        T result = default!;
        AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask(ConsoleOutput.Escape(title));
                result = work(new TrainingReporter(task));
                task.StopTask();
            });
        return result;
    }
}
