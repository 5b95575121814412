using SharpSeg.Imaging;
using SharpSeg.Data.Dataset;
using SharpSeg.Data.Masks;

namespace SharpSeg.Data.Checks;

/// <summary>
/// Validates a dataset's files: pairing (image without mask, mask without image), that every image and mask decodes
/// (truncated or corrupt files), that masks match their images' sizes, and that every mask value/colour is in the
/// class table; and how 16-bit images use their range (<see cref="DataCheckReport.DeepImages"/>). Streams pairs (one decoded pair per worker in memory) and reports all problems instead of stopping
/// at the first.
/// </summary>
public sealed class DataChecker
{
    readonly DatasetSpec _spec;
    readonly MaskDecoder _masks;
    readonly int _parallelism;

    /// <summary>What one <see cref="Check(string, IProgress{DataProgress}, CancellationToken)"/> call measures beside the problems, filled by parallel workers.</summary>
    sealed class Measures
    {
        public readonly IntensityRange.Histogram Deep = new();
        public readonly Dictionary<int, long> Unmatched = [];   // mask.unmatched: ignore: packed colour -> pixels ignored
        public long MaskPixels;
        public readonly long[] Labels = new long[256];         // pixels per decoded label (LabelMask.Ignore = 255 included)
        public readonly List<string> MasksWithAlpha = [];
        public readonly List<string> ImagesWithAlpha = [];
        public readonly List<(string Path, SkiaSharp.SKEncodedOrigin Origin)> TurnedImages = [];
        public readonly List<(string Split, string Path, string Hash)> ImageHashes = [];   // when several splits are checked
    }

    /// <param name="spec">The dataset.</param>
    /// <param name="maxParallelism">Pairs decoded at once (threads).</param>
    public DataChecker(DatasetSpec spec, int maxParallelism = 2)
    {
        _spec = spec;
        _masks = new MaskDecoder(spec);
        _parallelism = Math.Max(1, maxParallelism);
    }

    /// <summary>Checks one split, or every split when <paramref name="split"/> is null. An unknown split name throws.</summary>
    public DataCheckReport Check(string? split = null, IProgress<DataProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Check(split == null ? _spec.SplitNames : [_spec.GetSplit(split).Name], progress, cancellationToken);

    /// <summary>Checks these splits together (a training run's train and val splits). An unknown split name throws.</summary>
    public DataCheckReport Check(IReadOnlyList<string> splitNames, IProgress<DataProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var splits = splitNames.Select(n => _spec.GetSplit(n).Name).Distinct(StringComparer.Ordinal).ToList();
        var problems = new List<DataProblem>();
        int pairsChecked = 0, unlabelled = 0, withAlpha = 0, unmatched = 0, filled = 0;
        var measures = new Measures();
        var leftOutByIds = new HashSet<string>(StringComparer.Ordinal);
        var usedImages = new HashSet<string>(StringComparer.Ordinal);
        var subfoldersNotRead = new List<(string Split, string Folder)>();
        var splitPixels = new Dictionary<string, IReadOnlyList<long>>(StringComparer.Ordinal);
        foreach (var s in splits)
        {
            SplitListing listing;
            try { listing = _spec.ListSplit(s); }
            catch (SharpSegException e)
            {
                problems.Add(new DataProblem(DataProblemKind.SplitUnreadable, s, _spec.SourcePath, e.Message));
                continue;
            }
            unmatched += listing.Unmatched;
            subfoldersNotRead.AddRange(_spec.SubfoldersNotRead(s).Select(d => (s, d)));
            leftOutByIds.UnionWith(listing.LeftOutByIds);
            usedImages.UnionWith(listing.Pairs.Select(p => p.ImagePath));
            foreach (var p in listing.Problems)
                problems.Add(new DataProblem(p.Kind switch
                {
                    PairingProblemKind.MissingMask => DataProblemKind.MissingMask,
                    PairingProblemKind.MissingImage => DataProblemKind.MissingImage,
                    PairingProblemKind.BadListLine => DataProblemKind.BadListLine,
                    PairingProblemKind.MissingRoi => DataProblemKind.RoiProblem,
                    _ => DataProblemKind.AmbiguousPairing,
                }, s, p.File, p.Message));

            var pairs = listing.Pairs;
            long[] before = (long[])measures.Labels.Clone();
            var found = new List<DataProblem>?[pairs.Count];
            var alpha = new bool[pairs.Count];
            var hashes = splits.Count > 1 ? new string?[pairs.Count] : null;
            int done = 0;
            progress?.Report(new DataProgress(s, 0, pairs.Count));
            try
            {
                Parallel.For(0, pairs.Count, new ParallelOptions { MaxDegreeOfParallelism = _parallelism, CancellationToken = cancellationToken }, i =>
                {
                    found[i] = CheckPair(s, pairs[i], measures, out alpha[i]);
                    if (hashes != null) hashes[i] = ImageHash(pairs[i].ImagePath);
                    int n = Interlocked.Increment(ref done);
                    progress?.Report(new DataProgress(s, n, pairs.Count));
                });
            }
            catch (AggregateException e) when (e.InnerExceptions.Count == 1)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
            }
            if (hashes != null)
                for (int i = 0; i < pairs.Count; i++)
                    if (hashes[i] is { } hash) measures.ImageHashes.Add((s, pairs[i].ImagePath, hash));
            splitPixels[s] = Enumerable.Range(0, _spec.Classes.Count).Select(k => measures.Labels[k] - before[k]).ToArray();
            foreach (var f in found) if (f != null) problems.AddRange(f);
            foreach (var p in pairs) { if (p.IsLabelled) pairsChecked++; else unlabelled++; if (p.FillClass != null) filled++; }
            withAlpha += alpha.Count(a => a);
        }
        var used = measures.Deep.Range();
        // The same image (byte for byte, from another file) in two splits: val would score what training memorised.
        var shared = measures.ImageHashes.GroupBy(h => h.Hash)
            .Where(g => g.Select(h => h.Split).Distinct().Count() > 1 && g.Select(h => h.Path).Distinct().Count() > 1)
            .Select(g => g.OrderBy(h => h.Split == "train" ? 0 : 1).ThenBy(h => splits.IndexOf(h.Split)).ThenBy(h => h.Path, StringComparer.Ordinal).ToList()).ToList();
        return new DataCheckReport(_spec.Name, splits, problems, pairsChecked, unlabelled, withAlpha)
        {
            FilesNotMatched = unmatched + leftOutByIds.Count(p => !usedImages.Contains(p)),
            SubfoldersNotRead = subfoldersNotRead,
            FilledMasks = filled,
            FillClassName = _spec.MissingMaskClass is { } fill ? _spec.Classes[fill].Name : null,
            DeepImages = measures.Deep.Images,
            DeepRange = used,
            ImageRange = _spec.ImageRange,
            MaskPixels = measures.MaskPixels,
            ClassNames = _spec.Classes.Names,
            ClassPixels = measures.Labels.Take(_spec.Classes.Count).ToArray(),
            ClassPixelsBySplit = splitPixels,
            IgnoredPixels = measures.Labels[Imaging.LabelMask.Ignore],
            MaskEncoding = _spec.Mask,
            MasksWithAlpha = measures.MasksWithAlpha.Order(StringComparer.Ordinal).ToArray(),
            FirstImageWithAlpha = measures.ImagesWithAlpha.Order(StringComparer.Ordinal).FirstOrDefault(),
            TurnedImages = measures.TurnedImages.Count,
            SharedImages = shared.Count,
            FirstSharedImage = shared.Select(g => $"{g[^1].Path} ({g[^1].Split}) = {g[0].Path} ({g[0].Split})").Order(StringComparer.Ordinal).FirstOrDefault(),
            FirstTurnedImage = measures.TurnedImages.OrderBy(t => t.Path, StringComparer.Ordinal).Select(t => $"{t.Path}: {ImageFile.DescribeOrigin(t.Origin)}").FirstOrDefault(),
            Unmatched = measures.Unmatched.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key).Select(kv => new UndefinedLabel(null, Rgb.FromPacked(kv.Key), kv.Value)).ToArray(),
            DeepOutsideImageRange = _spec.ImageRange is { } range && used != null ? measures.Deep.FractionOutside(range) : 0,
        };
    }

    /// <summary>The SHA-256 of an image file, or null when it cannot be read (a problem of its own, reported by CheckPair).</summary>
    static string? ImageHash(string path)
    {
        try
        {
            using var f = File.OpenRead(path);
            return Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(f));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    List<DataProblem>? CheckPair(string split, SamplePair pair, Measures measures, out bool hasAlpha)
    {
        List<DataProblem>? problems = null;
        void Add(DataProblemKind kind, string file, string message) => (problems ??= []).Add(new DataProblem(kind, split, file, message));

        hasAlpha = false;
        MaskReading? mask = null;
        if (pair.MaskPath != null)
        {
            try
            {
                mask = _masks.Read(pair.MaskPath);
                if (mask.HasAlpha) lock (measures) measures.MasksWithAlpha.Add(pair.MaskPath);
                var labels = new long[256];
                foreach (byte b in mask.Mask.Labels) labels[b]++;
                lock (measures)
                {
                    measures.MaskPixels += mask.Mask.Labels.Length;
                    for (int k = 0; k < labels.Length; k++) measures.Labels[k] += labels[k];
                    foreach (var u in mask.Unmatched) measures.Unmatched[u.Color!.Value.Packed] = measures.Unmatched.GetValueOrDefault(u.Color.Value.Packed) + u.Pixels;
                }
                if (!mask.IsClean) Add(DataProblemKind.UndefinedLabel, pair.MaskPath, _masks.DescribeUndefined(pair.MaskPath, mask.Undefined));
            }
            catch (Exception e) when (e is SharpSegException or IOException or UnauthorizedAccessException)
            {
                Add(DataProblemKind.UnreadableMask, pair.MaskPath, e is SharpSegException ? e.Message : $"{pair.MaskPath}: cannot read the file ({e.Message}).");
            }
        }
        RgbImage? image = null;
        try
        {
            // ImageFile checks a PNG's chunks (CRCs, IEND) before SkiaSharp decodes it: a cut copy is still a bad copy.
            var header = PngCodec.ReadHeader(pair.ImagePath);
            if (header is { BitDepth: > 8 } || ImageFile.IsOwnFormat(pair.ImagePath))   // IntensityRange.MayBeDeep, with the header kept
            {
                // 16-bit images: how much of their range they use decides whether image_range is needed.
                var raw = ImageFile.ReadRaw(pair.ImagePath, intensities: true)!;
                measures.Deep.Add(raw);
                hasAlpha = raw.HasAlpha;   // a TIFF's fourth band (alpha, or near-infrared) is dropped as a PNG's alpha is
                image = ImageFile.FromRaster(raw, _spec.ImageChannels, _spec.ImageRange);
            }
            else image = _spec.LoadImage(pair.ImagePath);
            if (header != null) hasAlpha |= header.HasAlpha;
            else if (ImageFile.ExifOrigin(pair.ImagePath) is var origin && origin != SkiaSharp.SKEncodedOrigin.TopLeft)
                lock (measures) measures.TurnedImages.Add((pair.ImagePath, origin));
            if (hasAlpha) lock (measures) measures.ImagesWithAlpha.Add(pair.ImagePath);
        }
        catch (Exception e) when (e is SharpSegException or IOException or UnauthorizedAccessException)
        {
            Add(DataProblemKind.UnreadableImage, pair.ImagePath, e is SharpSegException ? e.Message : $"{pair.ImagePath}: cannot read the file ({e.Message}).");
        }
        if (image != null && mask != null && (image.Width != mask.Mask.Width || image.Height != mask.Mask.Height))
            Add(DataProblemKind.SizeMismatch, pair.MaskPath!, SampleDecoder.SizeMismatchMessage(pair, mask.Mask.Width, mask.Mask.Height, image.Width, image.Height));
        if (image != null && pair.RoiPath != null)
            try { SampleDecoder.WithinRoi(pair, new LabelMask(image.Width, image.Height, new byte[image.Width * image.Height])); }
            catch (SharpSegException e) { Add(DataProblemKind.RoiProblem, pair.RoiPath, e.Message); }
        return problems;
    }
}
