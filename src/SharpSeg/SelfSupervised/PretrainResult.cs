namespace SharpSeg.SelfSupervised;

/// <summary>Where a finished pretraining run left its files and how it went.</summary>
/// <param name="CheckpointPath">The encoder checkpoint (<see cref="Checkpoints.EncoderCheckpoint"/>).</param>
/// <param name="LogPath">The loss log (JSON lines).</param>
/// <param name="Iterations">Steps done (the whole budget).</param>
/// <param name="Images">Images pretrained on.</param>
/// <param name="FirstLoss">Loss of the first step of this session.</param>
/// <param name="FinalLoss">Smoothed loss at the end.</param>
/// <param name="Elapsed">Wall time of this session.</param>
/// <param name="ImagesPerSecond">Source images (two views each) per second of training steps, this session.</param>
public sealed record PretrainResult(string CheckpointPath, string LogPath, long Iterations, int Images, double FirstLoss, double FinalLoss,
    TimeSpan Elapsed, double ImagesPerSecond);
