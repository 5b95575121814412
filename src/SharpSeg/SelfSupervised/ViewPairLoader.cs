using SharpSeg.Data;
using SharpSeg.Data.Augmentation;
using SharpSeg.Imaging;
using static TorchSharp.torch;
using SharpSeg.Data.Loading;

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
    readonly SampleCache? cache;

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
        if (options.Cache) cache = new SampleCache(ids.Count);
    }

    /// <summary>
    /// A loader over image files, decoded with <paramref name="channels"/> channels (16-bit files stretched from
    /// <paramref name="range"/> when given) and resized by <paramref name="imageScale"/> (bilinear) as they are read.
    /// </summary>
    public static ViewPairLoader FromFiles(IReadOnlyList<string> paths, int channels, double imageScale, TwoViewTransform transform,
        Normalization normalization, LoaderOptions options, Imaging.IntensityRange? range = null)
    {
        if (!(imageScale > 0 && imageScale <= 4)) throw new SharpSegException($"image scale {imageScale} must be in (0, 4].");
        var names = paths.Select(p => Path.GetFileNameWithoutExtension(p)).ToList();
        return new ViewPairLoader(names, i => Rescale(ImageFile.Load(paths[i], channels, range), imageScale), transform, normalization, options);
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
    public int BatchCount => OrderedPrefetch.BatchCount(ids.Count, Options.BatchSize, Options.DropLast);

    /// <summary>The order in which epoch <paramref name="epoch"/> visits the images (indices).</summary>
    public int[] EpochOrder(int epoch) => OrderedPrefetch.EpochOrder(ids.Count, Options.Shuffle, Options.Seed, epoch, 0x55E1F);

    /// <summary>
    /// The batches of epoch <paramref name="epoch"/> from batch <paramref name="firstBatch"/> on, in order. Each batch
    /// belongs to the caller, who disposes it. Stopping early (break, dispose, cancellation) frees the batches made ahead.
    /// An error while decoding or augmenting is rethrown, as itself, when its batch is reached.
    /// </summary>
    public IEnumerable<ViewBatch> Epoch(int epoch, int firstBatch = 0, CancellationToken cancellationToken = default) =>
        // `Workers` batches in the making ahead of the consumer: each built by one thread, in parallel with the consumer's step.
        OrderedPrefetch.Batches(EpochOrder(epoch), Options.BatchSize, BatchCount, firstBatch, Options.Workers, Options.Workers, "sharpseg-views",
            (k, indices, ct) => BuildBatch(epoch, k, indices, ct), cancellationToken);

    SegmentationSample Source(int index) => cache?.GetOrAdd(index, Decode) ?? Decode(index);

    SegmentationSample Decode(int index)
    {
        var image = decode(index) ?? throw new InvalidOperationException($"the decoder returned null for '{ids[index]}'.");
        // The crop resamples a mask with the image; an unlabelled image carries an empty one.
        return new SegmentationSample(ids[index], image, new LabelMask(image.Width, image.Height));
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
