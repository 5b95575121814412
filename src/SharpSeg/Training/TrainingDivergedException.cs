namespace SharpSeg.Training;

/// <summary>
/// A batch gave a loss or gradient that is not finite (NaN or ∞), and the run had no skips left
/// (<c>train.skip_nonfinite</c>). Thrown before the optimiser step, with the model's weights and statistics as they
/// were before that batch, so the trainer can save them as <c>last.ckpt</c>.
/// </summary>
public sealed class TrainingDivergedException : SharpSegException
{
    public TrainingDivergedException(string message, long iteration, IReadOnlyList<string> imageIds) : base(message)
    {
        Iteration = iteration; ImageIds = imageIds;
    }

    /// <summary>Iterations completed before the bad batch (the bad batch would have been number <c>Iteration + 1</c>).</summary>
    public long Iteration { get; }

    /// <summary>The ids of the images in the bad batch.</summary>
    public IReadOnlyList<string> ImageIds { get; }
}
