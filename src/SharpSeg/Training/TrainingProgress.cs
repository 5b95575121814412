using SharpSeg.Metrics;

namespace SharpSeg.Training;

/// <summary>What the trainer reports as it goes: after each step, and after each validation (with metrics).</summary>
public sealed record TrainingProgress(
    long Iteration,
    long TotalIterations,
    int Epoch,
    double Loss,
    double LearningRate,
    double ImagesPerSecond,
    TimeSpan Elapsed,
    TimeSpan Remaining,
    SegmentationMetrics? Validation = null,
    bool IsBest = false,
    string? Message = null)
{
    /// <summary>A message alone (a warning or a note before the first step).</summary>
    public static TrainingProgress Note(string message) => new(0, 0, 0, 0, 0, 0, TimeSpan.Zero, TimeSpan.Zero, Message: message);
}
