using SharpSeg.Data;
using SharpSeg.Data.Augmentation;
using SharpSeg.Imaging;
using TorchSharp;
using static TorchSharp.torch;

namespace SharpSeg.SelfSupervised;

/// <summary>
/// Batches of view pairs for contrastive pretraining: decodes (optionally once, into a cache) and augments images on
/// background threads, <see cref="LoaderOptions.Workers"/> batches ahead of the consumer (which bounds memory), and
/// yields them in a fixed order. As <see cref="SegmentationLoader"/>: the order of epoch e depends only on (seed, e), and
/// each image's two views only on (seed, e, image index), whatever the number of workers; a resumed run skips the
/// batches it already trained on without decoding them.
/// </summary>
public sealed class ViewPairLoader
{
    readonly IReadOnlyList<string> ids;
    readonly Func<int, RgbImage> decode;
    readonly TwoViewTransform transform;
    readonly SegmentationSample?[]? cache;

    /// <param name="ids">One id per image (e.g. the file stem).</param>
    /// <param name="decode">Loads image <c>i</c>; called from several threads at once, so it must be thread-safe.</param>
    /// <param name="transform">Makes the two views.</param>
    /// <param name="normalization">Per-channel mean/std applied when converting views to float tensors.</param>
    /// <param name="options">Batch size, shuffling, drop-last, workers, cache, seed (prefetch is the number of workers).</param>
    public ViewPairLoader(IReadOnlyList<string> ids, Func<int, RgbImage> decode, TwoViewTransform transform, Normalization normalization, LoaderOptions options)
    {
        ArgumentNullException.ThrowIfNull(ids); ArgumentNullException.ThrowIfNull(decode);
        ArgumentNullException.ThrowIfNull(transform); ArgumentNullException.ThrowIfNull(normalization);
        if (options.BatchSize < 1) throw new SharpSegException($"batch size {options.BatchSize} must be at least 1.");
        if (options.Workers < 0 || options.Workers > 64) throw new SharpSegException($"workers: {options.Workers} must be between 0 and 64.");
        this.ids = ids; this.decode = decode; this.transform = transform;
        Normalization = normalization; Options = options;
        if (options.Cache) cache = new SegmentationSample?[ids.Count];
    }

    /// <summary>
    /// A loader over image files, decoded with <paramref name="channels"/> channels and resized by
    /// <paramref name="imageScale"/> (bilinear) as they are read.
    /// </summary>
    public static ViewPairLoader FromFiles(IReadOnlyList<string> paths, int channels, double imageScale, TwoViewTransform transform,
        Normalization normalization, LoaderOptions options)
    {
        if (!(imageScale > 0 && imageScale <= 4)) throw new SharpSegException($"image scale {imageScale} must be in (0, 4].");
        var names = paths.Select(p => Path.GetFileNameWithoutExtension(p)).ToList();
        return new ViewPairLoader(names, i => Rescale(ImageFile.Load(paths[i], channels), imageScale), transform, normalization, options);
    }

    /// <summary>A loader over images already in memory (never modified).</summary>
    public static ViewPairLoader InMemory(IReadOnlyList<RgbImage> images, TwoViewTransform transform, Normalization normalization, LoaderOptions options) =>
        new(images.Select((_, i) => $"image_{i:D5}").ToList(), i => images[i], transform, normalization, options with { Cache = false });

    /// <summary>An image resized by <paramref name="scale"/> (bilinear, at least 1 pixel a side); the image itself at scale 1.</summary>
    public static RgbImage Rescale(RgbImage image, double scale)
    {
        if (scale == 1) return image;
        int w = Math.Max(1, (int)Math.Round(image.Width * scale)), h = Math.Max(1, (int)Math.Round(image.Height * scale));
        return Resampling.ResizeBilinear(image, w, h);
    }

    public LoaderOptions Options { get; }
    public Normalization Normalization { get; }
    public TwoViewTransform Transform => transform;

    /// <summary>Number of images.</summary>
    public int Count => ids.Count;

    /// <summary>Batches per epoch (the last one smaller unless <see cref="LoaderOptions.DropLast"/>).</summary>
    public int BatchCount => Options.DropLast ? ids.Count / Options.BatchSize : (ids.Count + Options.BatchSize - 1) / Options.BatchSize;

    /// <summary>The order in which epoch <paramref name="epoch"/> visits the images (indices).</summary>
    public int[] EpochOrder(int epoch)
    {
        var order = Enumerable.Range(0, ids.Count).ToArray();
        if (Options.Shuffle)
        {
            var rng = DeterministicSeed.Create(Options.Seed, epoch, 0x55E1F);
            for (int i = order.Length - 1; i > 0; i--)
            {
                int j = rng.Next(i + 1);
                (order[i], order[j]) = (order[j], order[i]);
            }
        }
        return order;
    }

    /// <summary>
    /// The batches of epoch <paramref name="epoch"/> from batch <paramref name="firstBatch"/> on, in order. Each batch
    /// belongs to the caller, who disposes it. Stopping early (break, dispose, cancellation) frees the batches made ahead.
    /// An error while decoding or augmenting is rethrown, as itself, when its batch is reached.
    /// </summary>
    public IEnumerable<ViewBatch> Epoch(int epoch, int firstBatch = 0, CancellationToken cancellationToken = default)
    {
        var order = EpochOrder(epoch);
        int bs = Options.BatchSize, nb = BatchCount;
        if (firstBatch < 0 || firstBatch > nb) throw new ArgumentOutOfRangeException(nameof(firstBatch), $"first batch must be in 0..{nb}, got {firstBatch}");
        var batches = new int[nb][];
        for (int k = 0; k < nb; k++) batches[k] = order.AsSpan(k * bs, Math.Min(bs, order.Length - k * bs)).ToArray();
        return Options.Workers == 0 ? Inline(epoch, batches, firstBatch, cancellationToken) : Threaded(epoch, batches, firstBatch, cancellationToken);
    }

    IEnumerable<ViewBatch> Inline(int epoch, int[][] batches, int firstBatch, CancellationToken ct)
    {
        for (int k = firstBatch; k < batches.Length; k++)
        {
            ct.ThrowIfCancellationRequested();
            yield return BuildBatch(epoch, k, batches[k], ct);
        }
    }

    IEnumerable<ViewBatch> Threaded(int epoch, int[][] batches, int firstBatch, CancellationToken ct)
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var pending = new Queue<Task<ViewBatch>>();
        int next = firstBatch;
        try
        {
            for (int k = firstBatch; k < batches.Length; k++)
            {
                // Keep `Workers` batches in the making: each is built by one thread, in parallel with the consumer's step.
                while (next < batches.Length && pending.Count < Options.Workers)
                {
                    int b = next++;
                    pending.Enqueue(Task.Run(() => BuildBatch(epoch, b, batches[b], cts.Token), cts.Token));
                }
                var task = pending.Dequeue();
                try { task.Wait(ct); }
                catch (AggregateException) { }
                ViewBatch batch = task.GetAwaiter().GetResult(); // rethrows a worker's exception as itself
                yield return batch;
            }
        }
        finally
        {
            cts.Cancel();
            foreach (var t in pending)
            {
                try { t.Wait(); } catch (AggregateException) { }
                if (t.IsCompletedSuccessfully) t.Result.Dispose();
            }
            cts.Dispose();
        }
    }

    SegmentationSample Source(int index)
    {
        if (cache != null)
        {
            var hit = Volatile.Read(ref cache[index]);
            if (hit != null) return hit;
        }
        var image = decode(index) ?? throw new InvalidOperationException($"the decoder returned null for '{ids[index]}'.");
        // The crop resamples a mask with the image; an unlabelled image carries an empty one.
        var sample = new SegmentationSample(ids[index], image, new LabelMask(image.Width, image.Height));
        if (cache != null) Volatile.Write(ref cache[index], sample);
        return sample;
    }

    /// <summary>Decodes, augments and converts the images of one batch.</summary>
    ViewBatch BuildBatch(int epoch, int batchIndex, int[] indices, CancellationToken ct)
    {
        int n = indices.Length;
        var batchIds = new string[n];
        var g1 = new ViewGeometry[n]; var g2 = new ViewGeometry[n];
        int h = transform.Options.Crop[0], w = transform.Options.Crop[1];
        Tensor? first = null, second = null;
        try
        {
            float[]? lut = null;
            int c = 0;
            for (int b = 0; b < n; b++)
            {
                ct.ThrowIfCancellationRequested();
                int index = indices[b];
                var source = Source(index);
                var pair = transform.Apply(source, DeterministicSeed.Create(Options.Seed, epoch, index, 0x2F1E5));
                if (b == 0)
                {
                    c = source.Image.Channels;
                    lut = Normalization.LookupTable(c);
                    first = ImageTensors.NewImageBatch(n, c, h, w);
                    second = ImageTensors.NewImageBatch(n, c, h, w);
                }
                else if (source.Image.Channels != c)
                    throw new SharpSegException($"images in one batch have different channel counts: '{batchIds[0]}' has {c} but '{source.Id}' has {source.Image.Channels}.");
                ImageTensors.WriteImage(first!, b, pair.First, lut!);
                ImageTensors.WriteImage(second!, b, pair.Second, lut!);
                g1[b] = pair.FirstGeometry; g2[b] = pair.SecondGeometry;
                batchIds[b] = source.Id;
            }
            return new ViewBatch(first!, second!, g1, g2, batchIds, epoch, batchIndex);
        }
        catch
        {
            first?.Dispose();
            second?.Dispose();
            throw;
        }
    }
}
