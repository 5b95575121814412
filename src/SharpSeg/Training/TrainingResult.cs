using SharpSeg.Metrics;

namespace SharpSeg.Training;

/// <summary>Where a finished training run left its files and how it went.</summary>
public sealed record TrainingResult(
    string RunDirectory,
    string BestCheckpoint,
    string LastCheckpoint,
    long Iterations,
    double? BestMIoU,
    long? BestIteration,
    SegmentationMetrics? LastValidation,
    TimeSpan Elapsed,
    bool StoppedEarly,
    double TrainImagesPerSecond)
{
    /// <summary>Mean milliseconds per step of each training phase (<see cref="StepPhases"/>; its first step left out).</summary>
    public IReadOnlyDictionary<string, double>? PhaseMs { get; init; }
}
