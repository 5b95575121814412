namespace SharpSeg.Inference;

/// <summary>An image that could not be predicted and was skipped: the input path and the one-line reason.</summary>
public sealed record PredictionFailure(string File, string Message);

/// <summary>What <c>FolderPrediction.Run</c> did: the inputs whose outputs were written, in input order, and the
/// skipped ones with their reasons; with instances (<see cref="PredictionWriter.Instances"/>), the folder-wide instance files.</summary>
public sealed record FolderPredictionResult(IReadOnlyList<string> Written, IReadOnlyList<PredictionFailure> Skipped, Instances.InstanceFolderFiles? InstanceFiles = null)
{
    /// <summary>Inputs seen: written plus skipped.</summary>
    public int Total => Written.Count + Skipped.Count;

    /// <summary>The written inputs that were inferred in tiles without a tile size being asked for: larger than
    /// <see cref="InferenceOptions.AutoTilePixels"/> at the model's scale (<see cref="InferenceOptions.AutoTile"/>).</summary>
    public IReadOnlyList<string> AutoTiled { get; init; } = [];
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
        return Run([predictor], files, writer, options, progress, onSkipped, cancellationToken);
    }

    /// <summary>Like <see cref="Run(Predictor, IReadOnlyList{string}, PredictionWriter, InferenceOptions, IProgress{ValueTuple{int, int}}?, Action{PredictionFailure}?, CancellationToken)"/>
    /// with several copies of one model (<see cref="Predictor.LoadCopies"/>): image k is read and segmented on copy
    /// k mod n, up to n at once, while the outputs are written in input order on the calling thread, so the files, the
    /// skipped list and the folder-wide instance files are exactly what one copy gives.</summary>
    public static FolderPredictionResult Run(IReadOnlyList<Predictor> predictors, IReadOnlyList<string> files, PredictionWriter writer, InferenceOptions options,
        IProgress<(int Done, int Total)>? progress = null, Action<PredictionFailure>? onSkipped = null, CancellationToken cancellationToken = default)
    {
        Predictor.RequireDistinctCopies(predictors, nameof(predictors));
        ArgumentNullException.ThrowIfNull(files);
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(options);
        var written = new List<string>();
        var autoTiled = new List<string>();
        var skipped = new List<PredictionFailure>();
        int done = 0;
        bool tilesReported = false;
        // One image: the progress follows its tiles; several: it follows the images.
        var tileProgress = files.Count == 1 && progress != null ? new SyncProgress(p => { tilesReported = true; progress.Report(p); }) : null;
        var pending = new Queue<(string File, Task<Outcome> Work)>();
        int next = 0;
        try
        {
            while (next < files.Count || pending.Count > 0)
            {
                // With one copy the image is segmented inline, as before copies existed.
                while (next < files.Count && pending.Count < predictors.Count)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var copy = predictors[next % predictors.Count];
                    string file = files[next++];
                    pending.Enqueue((file, predictors.Count == 1
                        ? Capture(() => Segment(copy, file, writer, options, tileProgress, cancellationToken))
                        : Task.Run(() => Segment(copy, file, writer, options, null, cancellationToken), cancellationToken)));
                }
                var (current, work) = pending.Dequeue();
                try
                {
                    var o = work.GetAwaiter().GetResult();
                    writer.Write(current, o.Image, o.Result, o.Panoptic);
                    written.Add(current);
                    if (options.TileSize == null && o.Result.Tiles > 1) autoTiled.Add(current);
                }
                catch (SharpSegException) when (files.Count == 1)
                {
                    throw; // one input: its error is the whole run's error
                }
                catch (SharpSegException e)
                {
                    var failure = new PredictionFailure(current, e.Message);
                    skipped.Add(failure);
                    onSkipped?.Invoke(failure);
                }
                ++done;
                if (files.Count > 1 || !tilesReported) progress?.Report((done, files.Count));
            }
        }
        finally
        {
            // Stopped (cancelled, or an unexpected error): the copies may be disposed next, so let their work end first.
            foreach (var (_, work) in pending) try { work.GetAwaiter().GetResult(); } catch { }
        }
        return new FolderPredictionResult(written, skipped, writer.Instances?.Finish()) { AutoTiled = autoTiled };
    }

    sealed record Outcome(Imaging.RgbImage Image, InferenceResult Result, Models.MaskClassification.PanopticResult? Panoptic);

    static Outcome Segment(Predictor predictor, string file, PredictionWriter writer, InferenceOptions options, IProgress<(int Done, int Total)>? tileProgress, CancellationToken cancellationToken)
    {
        var image = predictor.LoadImage(file);
        if (writer.Instances is { } instances && writer.QueryInstances is { } thresholds)
        {
            var (result, panoptic) = predictor.InferPanoptic(image, instances.Options.Things, thresholds, options.KeepProbabilities);
            return new Outcome(image, result, panoptic);
        }
        return new Outcome(image, predictor.Infer(image, options, tileProgress, cancellationToken), null);
    }

    /// <summary>Runs <paramref name="work"/> now, its result or exception in a completed task.</summary>
    static Task<T> Capture<T>(Func<T> work)
    {
        try { return Task.FromResult(work()); }
        catch (Exception e) { return Task.FromException<T>(e); }
    }

    /// <summary>Reports synchronously (System.Progress posts to the thread pool and reorders).</summary>
    sealed class SyncProgress(Action<(int Done, int Total)> report) : IProgress<(int Done, int Total)>
    {
        public void Report((int Done, int Total) value) => report(value);
    }
}
