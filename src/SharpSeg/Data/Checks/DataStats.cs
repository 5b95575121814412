using SharpSeg.Imaging;
using SkiaSharp;
using SharpSeg.Data.Dataset;
using SharpSeg.Data.Masks;

namespace SharpSeg.Data.Checks;

/// <summary>
/// Class statistics of a dataset's labelled splits: pixels per class, shares, image sizes, and suggested class
/// weights for the loss (inverse frequency, and median-frequency balancing as in SegNet, Badrinarayanan et al. 2017).
/// Reads only masks and image headers; masks must be clean (run <see cref="DataChecker"/> first).
/// </summary>
public static class DataStats
{
    /// <summary>
    /// Computes statistics for one split, or for every labelled split when <paramref name="split"/> is null.
    /// Pairing problems or undefined mask values are errors (one line, pointing to <c>data check</c>).
    /// </summary>
    public static DataStatsReport Compute(DatasetSpec spec, string? split = null, IProgress<DataProgress>? progress = null,
        CancellationToken cancellationToken = default, int maxParallelism = 2)
    {
        var decoder = new MaskDecoder(spec);
        var result = new List<SplitStats>();
        var skipped = new List<string>();
        IEnumerable<SplitSource> splits = split == null ? spec.Splits : [spec.GetSplit(split)];
        foreach (var s in splits)
        {
            if (s.IsUnlabelled)
            {
                if (split != null) throw new SharpSegException($"{spec.SourcePath}: split '{s.Name}' has no masks, so it has no class statistics; pick a labelled split.");
                skipped.Add(s.Name);
                continue;
            }
            var pairs = spec.ResolvePairs(s.Name);
            result.Add(ComputeSplit(spec, decoder, s.Name, pairs, progress, cancellationToken, maxParallelism));
        }
        return new DataStatsReport(spec.Name, spec.SourcePath, result, skipped);
    }

    sealed class Tally(int classes)
    {
        public readonly long[] Pixels = new long[classes];
        public readonly long[] PixelsOfImagesPresent = new long[classes];
        public readonly int[] ImagesPresent = new int[classes];
        public long Total, Ignore;
        public readonly Dictionary<(int, int), int> Sizes = [];

        public void Add(Tally o)
        {
            for (int c = 0; c < Pixels.Length; c++) { Pixels[c] += o.Pixels[c]; PixelsOfImagesPresent[c] += o.PixelsOfImagesPresent[c]; ImagesPresent[c] += o.ImagesPresent[c]; }
            Total += o.Total; Ignore += o.Ignore;
            foreach (var (k, v) in o.Sizes) Sizes[k] = Sizes.GetValueOrDefault(k) + v;
        }
    }

    static SplitStats ComputeSplit(DatasetSpec spec, MaskDecoder decoder, string split, IReadOnlyList<SamplePair> pairs,
        IProgress<DataProgress>? progress, CancellationToken ct, int parallelism)
    {
        int k = spec.Classes.Count;
        var total = new Tally(k);
        int done = 0;
        progress?.Report(new DataProgress(split, 0, pairs.Count));
        try
        {
            Parallel.For(0, pairs.Count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, parallelism), CancellationToken = ct },
                () => new Tally(k),
                (i, _, t) =>
                {
                    AddMask(decoder, pairs[i], t);
                    progress?.Report(new DataProgress(split, Interlocked.Increment(ref done), pairs.Count));
                    return t;
                },
                t => { lock (total) total.Add(t); });
        }
        catch (AggregateException e) when (e.InnerExceptions.FirstOrDefault(x => x is SharpSegException) is { } user)
        {
            // Report the user's problem (a bad mask), not the parallel loop's wrapper.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(user).Throw();
        }

        long labelled = total.Total - total.Ignore;
        var inverse = ClassWeights.InverseFrequency(total.Pixels, labelled);
        var median = ClassWeights.MedianFrequency(total.Pixels, total.PixelsOfImagesPresent);
        var classes = Enumerable.Range(0, k).Select(c => new ClassStats(c, spec.Classes[c].Name, total.Pixels[c],
            total.Total == 0 ? 0 : total.Pixels[c] / (double)total.Total, total.ImagesPresent[c], inverse[c], median[c])).ToArray();
        var sizes = total.Sizes.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key.Item1).ThenBy(kv => kv.Key.Item2)
            .Select(kv => new ImageSizeCount(kv.Key.Item1, kv.Key.Item2, kv.Value)).ToArray();
        return new SplitStats(split, pairs.Count, total.Total, total.Ignore, total.Total == 0 ? 0 : total.Ignore / (double)total.Total, classes, sizes);
    }

    static void AddMask(MaskDecoder decoder, SamplePair pair, Tally t)
    {
        var (w, h) = ImageFile.ReadSize(pair.ImagePath);
        var mask = pair.FillClass is { } fill ? SampleDecoder.Filled(w, h, fill) : decoder.Decode(pair.MaskPath!);
        if (w != mask.Width || h != mask.Height) throw new SharpSegException(SampleDecoder.SizeMismatchMessage(pair, mask.Width, mask.Height, w, h));
        mask = SampleDecoder.WithinRoi(pair, mask);
        var counts = new long[256];
        foreach (var b in mask.Labels) counts[b]++;
        long n = mask.Labels.Length;
        t.Total += n;
        t.Ignore += counts[LabelMask.Ignore];
        for (int c = 0; c < t.Pixels.Length; c++)
        {
            if (counts[c] == 0) continue;
            t.Pixels[c] += counts[c];
            t.ImagesPresent[c]++;
            t.PixelsOfImagesPresent[c] += n;
        }
        t.Sizes[(w, h)] = t.Sizes.GetValueOrDefault((w, h)) + 1;
    }

}
