using SharpSeg.Data.Augmentation;
using TorchSharp;
using static TorchSharp.torch;
using SharpSeg.Data.Dataset;

namespace SharpSeg.Data.Loading;

/// <summary>
/// Turns a list of image/mask pairs into batches of tensors for training or evaluation: decodes (optionally once, into a
/// cache), augments and normalises samples on background threads, a bounded number of batches ahead of the consumer, and
/// yields them in a fixed order.
/// <para>
/// Determinism: the sample order of epoch e depends only on (seed, e), and each sample's augmentation draws only on
/// (seed, e, sample index), so the batches are identical whatever the number of workers or thread timing.
/// </para>
/// <para>
/// Errors: an exception thrown by the decoder or an augmentation on a worker (e.g. a <see cref="SharpSegException"/> for
/// a corrupt file) is rethrown, as the same exception, on the consuming thread when its batch is reached. Stopping the
/// enumeration early (break, dispose, or the cancellation token) stops the workers and frees the batches made ahead.
/// </para>
/// </summary>
public sealed class SegmentationLoader
{
    readonly IReadOnlyList<SamplePair> pairs;
    readonly Func<SamplePair, SegmentationSample> decoder;
    readonly IAugmentation augmentation;
    readonly SampleCache? cache;

    /// <param name="pairs">The samples (file pairs) of one split.</param>
    /// <param name="decoder">Loads one pair into an image and a class-index mask (the dataset layer's decoder). Called from several
    /// threads at once, so it must be thread-safe (a pure function of the pair is).</param>
    /// <param name="augmentation">Applied to every sample with its own seeded <see cref="Random"/>; use
    /// <see cref="AugmentationPipeline.Identity"/> for none.</param>
    /// <param name="normalization">Per-channel mean/std applied when converting to float tensors.</param>
    /// <param name="options">Batch size, shuffling, workers, prefetch, cache, seed.</param>
    public SegmentationLoader(IReadOnlyList<SamplePair> pairs, Func<SamplePair, SegmentationSample> decoder,
        IAugmentation augmentation, Normalization normalization, LoaderOptions options)
    {
        ArgumentNullException.ThrowIfNull(pairs); ArgumentNullException.ThrowIfNull(decoder);
        ArgumentNullException.ThrowIfNull(augmentation); ArgumentNullException.ThrowIfNull(normalization);
        if (options.BatchSize < 1) throw new SharpSegException($"batch_size: {options.BatchSize} must be at least 1.");
        if (options.Workers < 0 || options.Workers > 64) throw new SharpSegException($"workers: {options.Workers} must be between 0 and 64.");
        if (options.Prefetch < 1) throw new SharpSegException($"prefetch: {options.Prefetch} must be at least 1 batch.");
        this.pairs = pairs; this.decoder = decoder; this.augmentation = augmentation;
        Normalization = normalization; Options = options;
        if (options.Cache) cache = new SampleCache(pairs.Count);
    }

    /// <summary>
    /// A loader over samples already in memory (e.g. <see cref="Synthetic.SyntheticSceneGenerator.Generate"/>): nothing is
    /// decoded; the samples are never modified.
    /// </summary>
    public static SegmentationLoader InMemory(IReadOnlyList<SegmentationSample> samples, IAugmentation augmentation,
        Normalization normalization, LoaderOptions options)
    {
        var pairs = samples.Select((s, i) => new SamplePair(s.Id, $"memory:{i}", null)).ToList();
        var bySlot = new Dictionary<SamplePair, SegmentationSample>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < pairs.Count; i++) bySlot[pairs[i]] = samples[i];
        return new SegmentationLoader(pairs, p => bySlot[p], augmentation, normalization, options with { Cache = false });
    }

    public LoaderOptions Options { get; }
    public Normalization Normalization { get; }

    /// <summary>Number of samples.</summary>
    public int Count => pairs.Count;

    /// <summary>Batches per epoch (the last one smaller unless <see cref="LoaderOptions.DropLast"/>).</summary>
    public int BatchCount => OrderedPrefetch.BatchCount(pairs.Count, Options.BatchSize, Options.DropLast);

    /// <summary>The order in which epoch <paramref name="epoch"/> visits the samples (indices into the pair list).</summary>
    public int[] EpochOrder(int epoch) => OrderedPrefetch.EpochOrder(pairs.Count, Options.Shuffle, Options.Seed, epoch, 0x5A0FF1E);

    /// <summary>
    /// The batches of one epoch, in order. Each yielded <see cref="Batch"/> belongs to the caller, who must dispose it.
    /// Enumerate once; a second enumeration starts the epoch again.
    /// </summary>
    public IEnumerable<Batch> Epoch(int epoch, CancellationToken cancellationToken = default) => Epoch(epoch, 0, cancellationToken);

    /// <summary>
    /// The batches of epoch <paramref name="epoch"/> from batch <paramref name="firstBatch"/> on (a resumed run skips
    /// the batches it already trained on without decoding them). Batches keep their index in the full epoch, and
    /// their content is exactly what a full enumeration yields from that index.
    /// </summary>
    public IEnumerable<Batch> Epoch(int epoch, int firstBatch, CancellationToken cancellationToken = default) =>
        OrderedPrefetch.Batches(EpochOrder(epoch), Options.BatchSize, BatchCount, firstBatch, Options.Workers, Options.Prefetch, "sharpseg-loader",
            (k, indices, ct) => BuildBatch(epoch, k, indices, ct), cancellationToken);

    SegmentationSample Decode(int index) => cache?.GetOrAdd(index, DecodeNow) ?? DecodeNow(index);

    SegmentationSample DecodeNow(int index)
    {
        var pair = pairs[index];
        return decoder(pair) ?? throw new InvalidOperationException($"the decoder returned null for '{pair.Id}'.");
    }

    /// <summary>Decodes, augments and converts the samples of one batch; runs on a worker thread.</summary>
    Batch BuildBatch(int epoch, int batchIndex, int[] indices, CancellationToken ct)
    {
        int n = indices.Length;
        var ids = new string[n];
        float[]? lut = null;
        int w = 0, h = 0, c = 0; string firstId = "";
        // Made outside any dispose scope on purpose (the Batch owns them) and filled in place, without managed buffers.
        Tensor? images = null, masks = null;
        try
        {
            for (int b = 0; b < n; b++)
            {
                ct.ThrowIfCancellationRequested();
                int index = indices[b];
                var sample = Decode(index);
                var rng = DeterministicSeed.Create(Options.Seed, epoch, index, 0xA06);
                sample = augmentation.Apply(sample, rng);
                var img = sample.Image; var mask = sample.Mask;
                if (img.Width != mask.Width || img.Height != mask.Height)
                    throw new SharpSegException($"sample '{sample.Id}': image is {img.Width}x{img.Height} but its mask is {mask.Width}x{mask.Height}; image and mask must have the same size.");
                if (b == 0)
                {
                    w = img.Width; h = img.Height; c = img.Channels; firstId = sample.Id;
                    lut = Normalization.LookupTable(c);
                    images = ImageTensors.NewImageBatch(n, c, h, w);
                    // Detached: with workers = 0 this runs on the consumer thread, maybe inside its dispose scope.
                    masks = torch.empty(new long[] { n, h, w }, dtype: ScalarType.Int64).DetachFromDisposeScope();
                }
                else if (img.Width != w || img.Height != h)
                {
                    throw new SharpSegException($"samples in one batch have different sizes: '{firstId}' is {w}x{h} but '{sample.Id}' is {img.Width}x{img.Height} after augmentation; set a crop size (crop: [H, W]) so that all samples have one size, or use batch size 1.");
                }
                else if (img.Channels != c)
                {
                    throw new SharpSegException($"samples in one batch have different channel counts: '{firstId}' has {c} but '{sample.Id}' has {img.Channels}; decode all images with one channel count.");
                }
                ImageTensors.WriteImage(images!, b, img, lut!);
                ImageTensors.WriteLabels(mask, ImageTensors.Int64Span(masks!).Slice(b * h * w, h * w));
                ids[b] = sample.Id;
            }
            return new Batch(images!, masks!, ids, epoch, batchIndex);
        }
        catch
        {
            images?.Dispose();
            masks?.Dispose();
            throw;
        }
    }
}
