namespace SharpSeg.Curation.Embedding;

/// <summary>The outcome of an embedding run.</summary>
/// <param name="Files">The files written.</param>
/// <param name="Total">Images found.</param>
/// <param name="AlreadyDone">Images skipped because an earlier run had embedded them.</param>
/// <param name="Embedded">Images embedded by this run.</param>
/// <param name="Failures">One line per image that could not be read (not written; a rerun retries them).</param>
/// <param name="Seconds">Wall time of this run.</param>
/// <param name="Dim">Floats per row.</param>
public sealed record EmbedResult(EmbeddingFiles Files, int Total, int AlreadyDone, int Embedded, IReadOnlyList<string> Failures, double Seconds, int Dim)
{
    /// <summary>Images embedded per second by this run.</summary>
    public double ImagesPerSecond => Seconds > 0 ? Embedded / Seconds : 0;
}
