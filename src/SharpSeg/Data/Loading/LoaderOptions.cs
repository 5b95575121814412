namespace SharpSeg.Data.Loading;

/// <summary>
/// How a <see cref="SegmentationLoader"/> batches and schedules samples. Property names map to snake_case recipe keys
/// (<c>batch_size</c>, <c>drop_last</c>, …).
/// </summary>
public sealed record LoaderOptions
{
    /// <summary>Samples per batch (≥ 1). Default 8.</summary>
    public int BatchSize { get; init; } = 8;

    /// <summary>Shuffle the sample order every epoch (seeded by <see cref="Seed"/> and the epoch number). Default true.</summary>
    public bool Shuffle { get; init; } = true;

    /// <summary>Leave out the last, smaller batch of an epoch. Default false.</summary>
    public bool DropLast { get; init; }

    /// <summary>Background threads that decode and augment (0 = on the consuming thread, for debugging). Default 2.</summary>
    public int Workers { get; init; } = 2;

    /// <summary>Batches prepared ahead of the consumer (bounds memory; at least <see cref="Workers"/> are used). Default 3.</summary>
    public int Prefetch { get; init; } = 3;

    /// <summary>Keep decoded, not yet augmented samples in memory after first use (decode once; for small datasets). Default false.</summary>
    public bool Cache { get; init; }

    /// <summary>Seed of shuffling and of every sample's augmentation draws. Default 0.</summary>
    public int Seed { get; init; }
}
