using System.Collections.Concurrent;
using SharpSeg.Checkpoints;
using SharpSeg.Engine;
using SharpSeg.Imaging;

namespace SharpSeg.Inference;

/// <summary>
/// Segments images with a trained model: the few lines a .NET application needs.
/// <code>
/// using var segmenter = Segmenter.Load("best.ckpt");            // or "model.onnx"
/// var result = segmenter.Segment("street.jpg");
/// foreach (var c in result.Classes) Console.WriteLine($"{c.Name}: {c.Share:P1}");
/// File.WriteAllBytes("overlay.png", result.OverlayPng(opacity: 0.5));
/// </code>
/// Loading reads everything from the file (model, weights, classes, colours, normalisation); segmenting runs exactly the
/// code of <c>sharpseg predict</c> (<see cref="Predictor.Infer"/>: one preprocessing path, whole image or tiles, optional
/// test-time augmentation), so the class map equals the <c>_mask.png</c> that <c>predict</c> writes for the same image
/// and options.
/// <para><b>Thread safety.</b> Every <c>Segment</c> and <c>SegmentAsync</c> method may be called from any number of
/// threads at once. The segmenter holds <see cref="SegmenterOptions.Instances"/> copies of the model; each call takes a
/// free copy for the duration of the inference and waits (blocking, or asynchronously for the async methods) while all
/// copies are busy, so at most <see cref="Instances"/> images are inferred at once. libtorch's intra-op threads
/// (<c>torch.set_num_threads</c>) are shared by the whole process. <see cref="Dispose"/> must not race with calls in
/// flight.</para>
/// </summary>
public sealed class Segmenter : IDisposable
{
    readonly Predictor[] _predictors;
    readonly ConcurrentStack<Predictor> _free;
    readonly SemaphoreSlim _available;
    readonly long? _maxPixels;
    bool _disposed;

    Segmenter(string path, Predictor[] predictors, long? maxPixels)
    {
        ModelPath = path;
        _predictors = predictors;
        _free = new ConcurrentStack<Predictor>(predictors);
        _available = new SemaphoreSlim(predictors.Length, predictors.Length);
        _maxPixels = maxPixels;
        var first = predictors[0];
        Info = first.Info;
        Classes = first.Info.Classes.Classes.Select((c, i) => new SegmenterClass(i, c.Name, c.Color)).ToList();
    }

    /// <summary>
    /// Loads a SharpSeg checkpoint (<c>.ckpt</c>) or a model exported with <c>sharpseg export</c> (<c>.onnx</c>, run
    /// by ONNX Runtime), chosen by the extension. A missing, damaged or foreign file is a one-line
    /// <see cref="SharpSegException"/> naming it.
    /// </summary>
    /// <param name="path">The model file.</param>
    /// <param name="options">Device, fused or eager, number of model copies; null = <see cref="SegmenterOptions.Default"/>.</param>
    /// <param name="maxPixels">The largest image (width × height) this segmenter decodes; null = the
    /// <see cref="PixelLimit.MaxPixels"/> in force where each image is decoded (256 megapixels unless set). Checked
    /// from the image header before pixels are allocated.</param>
    public static Segmenter Load(string path, SegmenterOptions? options = null, long? maxPixels = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        options ??= SegmenterOptions.Default;
        options.Validate();
        if (maxPixels is < 1) throw new SharpSegException($"the pixel limit must be at least 1, got {maxPixels}; give e.g. 500000000 (500M).");
        if (!File.Exists(path)) throw new SharpSegException($"{path}: model file not found; give a .ckpt checkpoint, an exported .onnx model or a .tflite model.");
        ModelFile.RefuseCheckpointOnlyOptions(path, options.Device, options.Eager, options.Bf16);
        var predictors = Predictor.LoadCopies(path, options.Instances, options.Device, fused: !options.Eager, options.OnnxThreads, options.Bf16);
        return new Segmenter(Path.GetFullPath(path), predictors, maxPixels);
    }

    /// <summary>The model file, full path.</summary>
    public string ModelPath { get; }

    /// <summary>What the model file says about itself: model config, classes, normalisation, image channels, inference
    /// scale, training progress.</summary>
    public CheckpointInfo Info { get; }

    /// <summary>The model's classes in index order: index, name, display colour.</summary>
    public IReadOnlyList<SegmenterClass> Classes { get; }

    /// <summary>"TorchSharp fused", "TorchSharp eager" or "ONNX Runtime …": what runs the network.</summary>
    public string Backend => _predictors[0].Backend.Description;

    /// <summary>Model copies, the most images segmented at once.</summary>
    public int Instances => _predictors.Length;

    /// <summary>Segments an image file (PNG, JPEG, BMP, WebP, GIF).</summary>
    /// <param name="path">The image file; errors (missing, damaged, over the pixel limit) name it.</param>
    /// <param name="options">Tiling, test-time augmentation, probabilities; null = whole image, as <c>predict</c>'s default.</param>
    /// <param name="cancellationToken">Checked while waiting for a model copy and between tiles.</param>
    public SegmentationResult Segment(string path, InferenceOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        options = Checked(options);
        var image = Load(path);
        return Run(image, path, options, cancellationToken);
    }

    /// <summary>Segments the encoded image (the bytes of a PNG, JPEG, BMP, WebP or GIF file) in <paramref name="data"/>;
    /// <paramref name="name"/> names it in error messages.</summary>
    public SegmentationResult Segment(byte[] data, string name = "image", InferenceOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        options = Checked(options);
        return Run(Decode(data, name), name, options, cancellationToken);
    }

    /// <summary>Segments the encoded image read from <paramref name="stream"/> (to its end; the stream is not
    /// disposed); <paramref name="name"/> names it in error messages.</summary>
    public SegmentationResult Segment(Stream stream, string name = "image", InferenceOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        return Segment(ReadAll(stream), name, options, cancellationToken);
    }

    /// <summary>Segments an image already decoded (its <see cref="RgbImage.Channels"/> must be the model's image channels).</summary>
    public SegmentationResult Segment(RgbImage image, InferenceOptions? options = null, CancellationToken cancellationToken = default)
    {
        CheckChannels(image);
        return Run(image, "image", Checked(options), cancellationToken);
    }

    /// <summary>Segments an image file; waits for a free model copy without blocking a thread and runs the inference on
    /// the thread pool (see <see cref="Segment(string, InferenceOptions?, CancellationToken)"/>).</summary>
    public async Task<SegmentationResult> SegmentAsync(string path, InferenceOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        options = Checked(options);
        var image = await Task.Run(() => Load(path), cancellationToken).ConfigureAwait(false);
        return await RunAsync(image, path, options, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Segments the encoded image (the bytes of a PNG, JPEG, BMP, WebP or GIF file) in <paramref name="data"/>
    /// without blocking a thread while waiting for a free model copy.</summary>
    public async Task<SegmentationResult> SegmentAsync(byte[] data, string name = "image", InferenceOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        options = Checked(options);
        var image = await Task.Run(() => Decode(data, name), cancellationToken).ConfigureAwait(false);
        return await RunAsync(image, name, options, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Segments the encoded image read from <paramref name="stream"/> (read asynchronously to its end; the
    /// stream is not disposed) without blocking a thread while waiting for a free model copy.</summary>
    public async Task<SegmentationResult> SegmentAsync(Stream stream, string name = "image", InferenceOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
        return await SegmentAsync(buffer.ToArray(), name, options, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Segments a batch of image files, up to <see cref="Instances"/> at once, and returns the results in the order of
    /// <paramref name="paths"/>. The first image that fails (missing, damaged, over the pixel limit) fails the batch with
    /// its one-line <see cref="SharpSegException"/>; <c>FolderPrediction.Run</c> is the skip-and-continue loop.
    /// </summary>
    /// <param name="paths">Image files.</param>
    /// <param name="options">As for one image.</param>
    /// <param name="progress">Receives (images done, images total) as images finish.</param>
    /// <param name="cancellationToken">Stops the batch.</param>
    public async Task<IReadOnlyList<SegmentationResult>> SegmentAsync(IEnumerable<string> paths, InferenceOptions? options = null,
        IProgress<(int Done, int Total)>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(paths);
        options = Checked(options);
        var list = paths.ToList();
        var results = new SegmentationResult[list.Count];
        int done = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, list.Count), new ParallelOptions { MaxDegreeOfParallelism = Instances, CancellationToken = cancellationToken },
            async (i, token) =>
            {
                results[i] = await SegmentAsync(list[i], options, token).ConfigureAwait(false);
                progress?.Report((Interlocked.Increment(ref done), list.Count));
            }).ConfigureAwait(false);
        return results;
    }

    InferenceOptions Checked(InferenceOptions? options)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        options ??= InferenceOptions.Default;
        options.Validate();
        return options;
    }

    void CheckChannels(RgbImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.Channels != Info.ImageChannels)
            throw new SharpSegException($"the model expects {Info.ImageChannels}-channel images, got {image.Channels}; decode with ImageFile.Load(path, {Info.ImageChannels}).");
    }

    /// <summary>Decodes an image file as <c>predict</c> does (<see cref="Predictor.LoadImage"/>), under this segmenter's pixel limit.</summary>
    RgbImage Load(string path)
    {
        using (Limit()) return _predictors[0].LoadImage(path);
    }

    /// <summary>Decodes encoded image bytes with the model's channel count and this segmenter's pixel limit.</summary>
    RgbImage Decode(byte[] data, string name)
    {
        using (Limit()) return ImageFile.Decode(data, name, Info.ImageChannels, Info.IntensityRange);
    }

    IDisposable? Limit() => _maxPixels is long max ? PixelLimit.Use(max) : null;

    SegmentationResult Run(RgbImage image, string name, InferenceOptions options, CancellationToken cancellationToken)
    {
        _available.Wait(cancellationToken);
        try { return InferHeld(image, name, options, cancellationToken); }
        finally { _available.Release(); }
    }

    async Task<SegmentationResult> RunAsync(RgbImage image, string name, InferenceOptions options, CancellationToken cancellationToken)
    {
        await _available.WaitAsync(cancellationToken).ConfigureAwait(false);
        try { return await Task.Run(() => InferHeld(image, name, options, cancellationToken), cancellationToken).ConfigureAwait(false); }
        finally { _available.Release(); }
    }

    /// <summary>Infers with a free copy; the caller holds a slot of <see cref="_available"/>, so one is free.</summary>
    SegmentationResult InferHeld(RgbImage image, string name, InferenceOptions options, CancellationToken cancellationToken)
    {
        if (!_free.TryPop(out var predictor)) throw new InvalidOperationException("no free model copy although a slot was held");
        try
        {
            var inference = predictor.Infer(image, options, null, cancellationToken);
            var summary = PredictionSummary.Of(Path.GetFileName(name), inference, predictor.ClassNames);
            return new SegmentationResult(image, inference, summary, predictor.Colours);
        }
        finally { _free.Push(predictor); }
    }

    static byte[] ReadAll(Stream stream)
    {
        if (stream is MemoryStream ms && ms.TryGetBuffer(out _)) return ms.ToArray();
        var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return buffer.ToArray();
    }

    /// <summary>Frees every model copy. Calls still in flight must have finished.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var p in _predictors) p.Dispose();
        _available.Dispose();
    }
}
