using System.Text.Json.Nodes;
using SharpSeg.Reports;

namespace SharpSeg.Training;

/// <summary>
/// What a run shows besides its log: the curves in RUN/curves/ (redrawn after every validation and at the end) and,
/// when asked, TensorBoard event files. Drawing is best-effort: a failure to draw never stops training; the first one
/// is told once, as a one-line warning, and the last error is kept in <see cref="LastError"/>.
/// </summary>
sealed class TrainingVisuals
{
    readonly string _runDirectory;
    readonly TrainingCurves _curves;
    readonly TensorBoardLog? _tensorboard;
    readonly Action<string> _warn;

    /// <param name="warn">Gets the one warning line of a run whose curves or events could not be written.</param>
    public TrainingVisuals(string runDirectory, bool tensorboard, IReadOnlyList<string> classNames, Action<string> warn)
    {
        _runDirectory = runDirectory; _warn = warn;
        // A resumed run starts from what it already logged.
        _curves = TrainingCurves.FromLog(Path.Combine(runDirectory, Trainer.MetricsFileName));
        _tensorboard = tensorboard ? new TensorBoardLog(Path.Combine(runDirectory, TensorBoardLog.FolderName), classNames) : null;
    }

    public Exception? LastError { get; private set; }

    public void OnRecord(JsonObject record)
    {
        try
        {
            _curves.Add(record);
            _tensorboard?.Add(record);
            if ((string?)record["kind"] is "val" or "end" or "early_stop" or "interrupted")
                _curves.Render(Path.Combine(_runDirectory, TrainingCurves.FolderName));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException or ArgumentException or SharpSegException)
        {
            bool first = LastError == null;
            LastError = e;
            if (first)
                _warn($"warning: could not draw the training curves in {Path.Combine(_runDirectory, TrainingCurves.FolderName)}"
                    + $"{(_tensorboard != null ? " or write the TensorBoard events" : "")} ({e.Message}); training goes on, and later drawing failures of this run are not reported.");
        }
    }
}
