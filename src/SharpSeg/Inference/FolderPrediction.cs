namespace SharpSeg.Inference;

/// <summary>An image that could not be predicted and was skipped: the input path and the one-line reason.</summary>
public sealed record PredictionFailure(string File, string Message);

/// <summary>What <see cref="FolderPrediction.Run"/> did: the inputs whose outputs were written, in input order, and the
/// skipped ones with their reasons; with instances (<see cref="PredictionWriter.Instances"/>), the folder-wide instance files.</summary>
public sealed record FolderPredictionResult(IReadOnlyList<string> Written, IReadOnlyList<PredictionFailure> Skipped, Instances.InstanceFolderFiles? InstanceFiles = null)
{
    /// <summary>Inputs seen: written plus skipped.</summary>
    public int Total => Written.Count + Skipped.Count;
}

/// <summary>
/// Predicts a list of images (<see cref="ImageInputs.Resolve"/>) and writes each one's outputs with a
/// <see cref="PredictionWriter"/> — what <c>sharpseg predict</c> does. An image that fails with a
/// <see cref="SharpSegException"/> (unreadable, too large, …) is skipped and recorded, the others are still written;
/// with a single input its error is thrown instead, since nothing else could be written.
/// </summary>
public static class FolderPrediction
{
    /// <param name="predictor">The model.</param>
    /// <param name="files">Image paths, in the order to predict them.</param>
    /// <param name="writer">Where the outputs go.</param>
    /// <param name="options">Tiling, test-time augmentation, probabilities.</param>
    /// <param name="progress">(done, total): images done, or with a single input its tiles.</param>
    /// <param name="onSkipped">Called as soon as an image is skipped (e.g. to print its reason while the bar runs).</param>
    /// <param name="cancellationToken">Checked between images and between tiles.</param>
    public static FolderPredictionResult Run(Predictor predictor, IReadOnlyList<string> files, PredictionWriter writer, InferenceOptions options,
        IProgress<(int Done, int Total)>? progress = null, Action<PredictionFailure>? onSkipped = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(predictor);
        ArgumentNullException.ThrowIfNull(files);
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(options);
        var written = new List<string>();
        var skipped = new List<PredictionFailure>();
        int done = 0;
        bool tilesReported = false;
        foreach (var file in files)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                var image = predictor.LoadImage(file);
                // One image: the progress follows its tiles; several: it follows the images.
                var tileProgress = files.Count == 1 && progress != null ? new SyncProgress(p => { tilesReported = true; progress.Report(p); }) : null;
                if (writer.Instances is { } instances && writer.QueryInstances is { } thresholds)
                {
                    var (result, panoptic) = predictor.InferPanoptic(image, instances.Options.Things, thresholds, options.KeepProbabilities);
                    writer.Write(file, image, result, panoptic);
                }
                else writer.Write(file, image, predictor.Infer(image, options, tileProgress, cancellationToken));
                written.Add(file);
            }
            catch (SharpSegException) when (files.Count == 1)
            {
                throw; // one input: its error is the whole run's error
            }
            catch (SharpSegException e)
            {
                var failure = new PredictionFailure(file, e.Message);
                skipped.Add(failure);
                onSkipped?.Invoke(failure);
            }
            ++done;
            if (files.Count > 1 || !tilesReported) progress?.Report((done, files.Count));
        }
        return new FolderPredictionResult(written, skipped, writer.Instances?.Finish());
    }

    /// <summary>Reports synchronously (System.Progress posts to the thread pool and reorders).</summary>
    sealed class SyncProgress(Action<(int Done, int Total)> report) : IProgress<(int Done, int Total)>
    {
        public void Report((int Done, int Total) value) => report(value);
    }
}
