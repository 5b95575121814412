using System.Text.Json.Nodes;
using SharpSeg.Reports;

namespace SharpSeg.Training;

/// <summary>
/// What a run shows besides its log: the curves in RUN/curves/ (redrawn after every validation and at the end) and,
/// when asked, TensorBoard event files. Drawing is best-effort: a failure to draw never stops training; the last
/// error is kept in <see cref="LastError"/>.
/// </summary>
sealed class TrainingVisuals
{
    readonly string _runDirectory;
    readonly TrainingCurves _curves;
    readonly TensorBoardLog? _tensorboard;

    public TrainingVisuals(string runDirectory, bool tensorboard, IReadOnlyList<string> classNames)
    {
        _runDirectory = runDirectory;
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
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException or ArgumentException)
        {
            LastError = e;
        }
    }
}
