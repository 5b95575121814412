using System.Diagnostics;
using SharpSeg.Imaging;

namespace SharpSeg.Curation.Embedding;

/// <summary>
/// Embeds a collection of images into an embeddings set, resumably: images already in the output are skipped, new rows
/// are appended batch by batch (<see cref="EmbeddingWriter"/>), so a killed run loses at most one batch. Images are
/// decoded and prepared on worker threads one batch ahead of the embedder; memory is about two batches of decoded images
/// plus the embedder's own.
/// </summary>
public static class EmbeddingRunner
{
    /// <summary>Runs <paramref name="embedder"/> over <see cref="EmbedOptions.Images"/>. <paramref name="progress"/> receives
    /// (images done including skipped ones, total).</summary>
    public static EmbedResult Run(IImageEmbedder embedder, EmbedOptions options, IProgress<(int Done, int Total)>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(embedder);
        if (options.BatchSize < 1) throw new SharpSegException($"--batch-size must be at least 1, got {options.BatchSize}.");
        var images = options.Images;
        var header = new EmbeddingHeader { Embedder = embedder.Identity, Dim = embedder.Dim, Grid = embedder.Grid, ImageRoot = images.Root };
        var clock = Stopwatch.StartNew();
        using var writer = EmbeddingWriter.Open(options.Out, header, options.Overwrite, options.Remedy);
        var done = new HashSet<string>(writer.Done, StringComparer.Ordinal);
        var todo = Enumerable.Range(0, images.RelativePaths.Count).Where(i => !done.Contains(images.RelativePaths[i])).ToList();
        int alreadyDone = images.RelativePaths.Count - todo.Count, total = images.RelativePaths.Count;
        progress?.Report((alreadyDone, total));
        var failures = new List<string>();
        var batches = todo.Chunk(options.BatchSize).ToList();
        int threads = options.DecodeThreads > 0 ? options.DecodeThreads : Environment.ProcessorCount;
        var rows = new float[options.BatchSize * embedder.Dim];
        int embedded = 0;
        Task<(int Index, RgbImage? Image, string? Error)[]>? next = batches.Count > 0 ? Decode(batches[0]) : null;
        for (int b = 0; b < batches.Count; b++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var decoded = next!.GetAwaiter().GetResult();
            next = b + 1 < batches.Count ? Decode(batches[b + 1]) : null;
            var ok = decoded.Where(d => d.Image != null).ToList();
            failures.AddRange(decoded.Where(d => d.Error != null).Select(d => d.Error!));
            var span = rows.AsSpan(0, ok.Count * embedder.Dim);
            embedder.Embed(ok.Select(d => d.Image!).ToList(), span);
            writer.Append(span, ok.Select(d => images.RelativePaths[d.Index]).ToList());
            embedded += ok.Count;
            progress?.Report((alreadyDone + embedded + failures.Count, total));
        }
        next?.Wait(CancellationToken.None);
        return new EmbedResult(writer.Files, total, alreadyDone, embedded, failures, clock.Elapsed.TotalSeconds, embedder.Dim);

        Task<(int, RgbImage?, string?)[]> Decode(int[] batch) => Task.Run(() =>
        {
            var result = new (int, RgbImage?, string?)[batch.Length];
            Parallel.For(0, batch.Length, new ParallelOptions { MaxDegreeOfParallelism = threads }, k =>
            {
                int i = batch[k];
                try { result[k] = (i, embedder.Prepare(ImageFile.Load(images.FullPath(i), embedder.ImageChannels, options.ImageRange)), null); }
                catch (SharpSegException e) { result[k] = (i, null, e.Message); }
            });
            return result;
        });
    }
}
