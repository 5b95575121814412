namespace SharpSeg.Data.Checks;

/// <summary>
/// What <see cref="DataChecker"/> found: every problem in file order per split, the number of pairs and images
/// checked, and how many images had an alpha channel (dropped when decoded; not a problem, said once).
/// </summary>
public sealed record DataCheckReport(
    string Dataset,
    IReadOnlyList<string> Splits,
    IReadOnlyList<DataProblem> Problems,
    int PairsChecked,
    int UnlabelledImagesChecked,
    int ImagesWithAlpha)
{
    public bool IsClean => Problems.Count == 0;

    /// <summary>Files in the splits' folders left out by the pairing's prefixes/suffixes or an ids file (<see cref="Dataset.SplitListing.Unmatched"/>).</summary>
    public int FilesNotMatched { get; init; }

    /// <summary>Subfolders of a split's images folder that hold images but are not read (the split has images at its top
    /// and no <c>recursive: true</c>), with their split.</summary>
    public IReadOnlyList<(string Split, string Folder)> SubfoldersNotRead { get; init; } = [];

    /// <summary>Problem counts by kind (only kinds that occurred).</summary>
    public IReadOnlyDictionary<DataProblemKind, int> CountsByKind =>
        Problems.GroupBy(p => p.Kind).ToDictionary(g => g.Key, g => g.Count());

    /// <summary>Images without a mask file read as all <see cref="FillClassName"/> (<c>mask.missing</c>).</summary>
    public int FilledMasks { get; init; }

    /// <summary>The class of <c>mask.missing</c>, or null.</summary>
    public string? FillClassName { get; init; }

    /// <summary>Images checked that store more than 8 bits per sample (16-bit PNG or TIFF).</summary>
    public int DeepImages { get; init; }

    /// <summary>The raw values those images use (0.01st to 99.99th percentile, pooled), or null when there were none.</summary>
    public Imaging.IntensityRange? DeepRange { get; init; }

    /// <summary>The dataset's <c>image_range</c>, or null.</summary>
    public Imaging.IntensityRange? ImageRange { get; init; }

    /// <summary>The fraction of their samples outside the dataset's <c>image_range</c> (read as 0 or 255); 0 without one.</summary>
    public double DeepOutsideImageRange { get; init; }

    /// <summary>Pixels of the masks checked.</summary>
    public long MaskPixels { get; init; }

    /// <summary>With <c>mask.unmatched: ignore</c>: the colours that matched no class and were ignored, summed over the
    /// masks checked, most pixels first.</summary>
    public IReadOnlyList<Masks.UndefinedLabel> Unmatched { get; init; } = [];

    /// <summary>One unmatched colour with at least this share of the mask pixels is a warning: JPEG noise spreads over
    /// many colours with a few pixels each, a class missing from <c>classes</c> keeps one colour with many.</summary>
    public const double UnmatchedWarningShare = 0.0005;

    /// <summary>
    /// A one-line note on the pixels <c>mask.unmatched: ignore</c> ignored (their share and the most frequent colours); a
    /// warning when one colour holds <see cref="UnmatchedWarningShare"/> of the mask pixels (probably a missing class);
    /// null when there were none.
    /// </summary>
    public string? UnmatchedNote
    {
        get
        {
            long pixels = Unmatched.Sum(u => u.Pixels);
            if (pixels == 0) return null;
            double share = (double)pixels / Math.Max(1, MaskPixels), top = (double)Unmatched[0].Pixels / Math.Max(1, MaskPixels);
            string listed = string.Join(", ", Unmatched.Take(3).Select(u => u.Describe())) + (Unmatched.Count > 3 ? $" and {Unmatched.Count - 3} more" : "");
            return top >= UnmatchedWarningShare
                ? $"warning: {pixels} mask pixels ({share:P2}) match no class colour and are ignored (mask.unmatched: ignore); {Unmatched[0].Describe()} alone is {top:P2} of them all, which looks like a class missing from classes: add it, or list it in mask.ignore_colors. The most frequent: {listed}."
                : $"note: {pixels} mask pixels ({share:P3}) match no class colour within mask.color_tolerance and are ignored (mask.unmatched: ignore), spread over {Unmatched.Count} colours (compression noise at edges); the most frequent: {listed}.";
        }
    }

    /// <summary>
    /// A one-line note on how 16-bit images are read, or null when there is nothing to say: they use a narrow range
    /// (under <see cref="Imaging.IntensityRange.NarrowSpan"/>) and no <c>image_range</c> is set, so they would keep few
    /// gray levels; the <c>image_range</c> clamps more than 1 % of their samples; or it is set but no image is 16-bit.
    /// </summary>
    public string? ImageRangeNote
    {
        get
        {
            if (ImageRange == null && DeepRange is { IsNarrow: true } used)
            {
                int levels = used.LevelsAtFullScale;
                return $"warning: {DeepImages} 16-bit image{(DeepImages == 1 ? "" : "s")} use only raw values {used.Low}..{used.High} of 0..65535; read at full scale they keep about {levels} gray level{(levels == 1 ? "" : "s")}. " +
                    $"Add 'image_range: {used}' to the dataset file to stretch that range to 0..255, then train.";
            }
            if (ImageRange != null && DeepImages == 0 && PairsChecked + UnlabelledImagesChecked > 0)
                return $"note: image_range {ImageRange} has no effect: no image checked has more than 8 bits per sample.";
            if (ImageRange != null && DeepOutsideImageRange > 0.01)
                return $"note: {DeepOutsideImageRange:P1} of the 16-bit images' samples lie outside image_range {ImageRange} and are read as 0 or 255; the images use {DeepRange}.";
            return null;
        }
    }

    /// <summary>The first image (by path) with an alpha channel, named in the note; null when none has one.</summary>
    public string? FirstImageWithAlpha { get; init; }

    /// <summary>Images that are, byte for byte, another file's image in another split (a split imported twice, a copied
    /// folder): val would score what training memorised.</summary>
    public int SharedImages { get; init; }

    /// <summary>One of them, with its twin: "val/x.png (val) = train/x.png (train)"; null when none.</summary>
    public string? FirstSharedImage { get; init; }

    /// <summary>Images whose EXIF orientation turns or mirrors them (JPEG, WebP): read as shown, like viewers do.</summary>
    public int TurnedImages { get; init; }

    /// <summary>The first of them by path, with its turn ("a.jpg: turned 90° clockwise"); null when none.</summary>
    public string? FirstTurnedImage { get; init; }

    /// <summary>PNG masks with an alpha channel, sorted. Their alpha is not read: a transparent pixel counts by its colour.</summary>
    public IReadOnlyList<string> MasksWithAlpha { get; init; } = [];

    /// <summary>A note on masks with an alpha channel (annotation tools that leave unlabelled pixels transparent); null when none has one.</summary>
    public string? MaskAlphaNote => MasksWithAlpha.Count == 0 ? null
        : $"note: {MasksWithAlpha.Count} mask{(MasksWithAlpha.Count == 1 ? " has" : "s have")} an alpha channel (e.g. {MasksWithAlpha[0]}), which SharpSeg does not read: a transparent pixel counts as the class of its colour. If transparent means unlabelled, give those pixels an ignore value or colour (mask.ignore_values or mask.ignore_colors).";

    /// <summary>The dataset's class names, in label order.</summary>
    public IReadOnlyList<string> ClassNames { get; init; } = [];

    /// <summary>Pixels of each class in the masks checked (decoded labels; images filled by <c>mask.missing</c> not
    /// counted).</summary>
    public IReadOnlyList<long> ClassPixels { get; init; } = [];

    /// <summary><see cref="ClassPixels"/> of each split checked, by split name.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<long>> ClassPixelsBySplit { get; init; } = new Dictionary<string, IReadOnlyList<long>>();

    /// <summary>The split a model learns from, for <see cref="MissingFromTrainingNote"/>: a training run's train split; for
    /// <c>data check</c>, the split named train.</summary>
    public string TrainSplit { get; init; } = "train";

    /// <summary>
    /// A warning when a class has no pixel in the training split but has some in another split checked (val, test): the
    /// model cannot learn it, and it scores 0 IoU where it is evaluated. Null when there is no such class (a class in no
    /// split at all is <see cref="EmptyClassesNote"/>'s).
    /// </summary>
    public string? MissingFromTrainingNote
    {
        get
        {
            if (!ClassPixelsBySplit.TryGetValue(TrainSplit, out var train) || ClassPixelsBySplit.Count < 2 || train.Count != ClassNames.Count) return null;
            var missing = Enumerable.Range(0, ClassNames.Count)
                .Where(c => train[c] == 0 && ClassNames[c] != FillClassName && ClassPixelsBySplit.Any(kv => kv.Key != TrainSplit && kv.Value[c] > 0)).ToList();
            if (missing.Count == 0) return null;
            string names = string.Join(", ", missing.Select(c => $"'{ClassNames[c]}'"));
            var where = ClassPixelsBySplit.Where(kv => kv.Key != TrainSplit && missing.Any(c => kv.Value[c] > 0)).Select(kv => $"'{kv.Key}'");
            return $"warning: class{(missing.Count == 1 ? "" : "es")} {names} {(missing.Count == 1 ? "has" : "have")} no pixel in split '{TrainSplit}' but {(missing.Count == 1 ? "is" : "are")} in {string.Join(" and ", where)}: a model cannot learn {(missing.Count == 1 ? "it" : "them")}, and {(missing.Count == 1 ? "it scores" : "they score")} 0 IoU there; move some images with {(missing.Count == 1 ? "it" : "them")} into '{TrainSplit}'.";
        }
    }

    /// <summary>Mask pixels read as ignore (an ignore value or colour, a threshold's ignore band, or unmatched colours).</summary>
    public long IgnoredPixels { get; init; }

    /// <summary>How the masks are encoded, for the hints of <see cref="EmptyClassesNote"/>.</summary>
    public Masks.MaskEncoding? MaskEncoding { get; init; }

    /// <summary>
    /// A warning when a class has no pixel in any mask checked, with the likely cause where one is plain: 0/255 masks
    /// read with the default <c>ignore_values: [255]</c> (the foreground is ignored), or a threshold no pixel reaches
    /// (0/1 masks). The files are all valid, so nothing else would say it; training would then never see the class.
    /// Null when every class occurs (or no mask was read).
    /// </summary>
    public string? EmptyClassesNote
    {
        get
        {
            if (MaskPixels == 0 || ClassPixels.Count != ClassNames.Count) return null;
            var empty = Enumerable.Range(0, ClassNames.Count).Where(c => ClassPixels[c] == 0 && ClassNames[c] != FillClassName).ToArray();
            if (empty.Length == 0) return null;
            string names = string.Join(", ", empty.Select(c => $"'{ClassNames[c]}'"));
            string where = $"the {PairsChecked} mask{(PairsChecked == 1 ? "" : "s")} checked ({string.Join(", ", Splits)})";
            var text = new System.Text.StringBuilder(empty.Length == 1
                ? $"warning: class {names} has no pixel in {where}, so a model cannot learn it."
                : $"warning: classes {names} have no pixel in {where}, so a model cannot learn them.");
            double ignored = (double)IgnoredPixels / MaskPixels;
            if (MaskEncoding is { Kind: Masks.MaskEncodingKind.Index } index && index.IgnoreValues.Contains(LabelMaskIgnoreValue) && IgnoredPixels > 0)
                text.Append($" {IgnoredPixels:N0} mask pixels ({ignored:P1}) are ignored (mask.ignore_values: [{string.Join(", ", index.IgnoreValues)}]): if {LabelMaskIgnoreValue} marks {(empty.Length == 1 ? names : "a class")} (0/255 masks), give that class 'value: {LabelMaskIgnoreValue}' and set 'ignore_values: []' under mask ('sharpseg data init' drafts this).");
            else if (MaskEncoding is { Kind: Masks.MaskEncodingKind.Threshold } threshold && empty.Contains(1))
                text.Append($" With mask.encoding: threshold, no pixel reached the threshold {threshold.Threshold}: masks that store 0 and 1 need 'threshold: 1'.");
            else
                text.Append(" If it should be there, check the class's value or colour against the masks ('sharpseg data stats' counts each value).");
            return text.ToString();
        }
    }

    const int LabelMaskIgnoreValue = 255;

    /// <summary>
    /// Every note and warning on data that is readable but maybe not what was meant, one line each, in the order
    /// <c>sharpseg data check</c> prints them: files left out by the pairing, images filled by <c>mask.missing</c>, alpha
    /// channels, 16-bit ranges, ignored colours, classes no mask has. Warnings start with <c>warning:</c>
    /// (<see cref="Warnings"/>), the rest with <c>note:</c>.
    /// </summary>
    public IReadOnlyList<string> Notes
    {
        get
        {
            var notes = new List<string>();
            if (FilesNotMatched > 0)
                notes.Add($"note: {FilesNotMatched} file{(FilesNotMatched == 1 ? "" : "s")} in the split folders left out: {(FilesNotMatched == 1 ? "its name does" : "their names do")} not match pairing's image/mask prefix and suffix, or the split's ids file does not list {(FilesNotMatched == 1 ? "it" : "them")}.");
            if (FilledMasks > 0)
                notes.Add($"note: {FilledMasks} image{(FilledMasks == 1 ? " has" : "s have")} no mask file and {(FilledMasks == 1 ? "is" : "are")} read as all '{FillClassName}' (mask.missing).");
            foreach (var split in SubfoldersNotRead.Select(x => x.Split).Distinct())
            {
                var folders = SubfoldersNotRead.Where(x => x.Split == split).Select(x => x.Folder).ToList();
                notes.Add($"warning: split '{split}': {folders.Count} subfolder{(folders.Count == 1 ? "" : "s")} of its images folder hold{(folders.Count == 1 ? "s" : "")} images that are not read (e.g. {folders[0]}); add 'recursive: true' to splits.{split} to read {(folders.Count == 1 ? "it" : "them")}, or move {(folders.Count == 1 ? "it" : "them")} out of the folder.");
            }
            if (SharedImages > 0)
                notes.Add($"warning: {SharedImages} image{(SharedImages == 1 ? " is" : "s are")} in two splits, byte for byte (e.g. {FirstSharedImage}); a val image that training saw inflates its score: remove {(SharedImages == 1 ? "it" : "them")} from one split.");
            if (ImagesWithAlpha > 0)
                notes.Add($"note: {ImagesWithAlpha} image{(ImagesWithAlpha == 1 ? " has" : "s have")} an alpha or fourth channel (e.g. {FirstImageWithAlpha}); SharpSeg reads gray or RGB and drops it when decoding, so a band such as near-infrared is not used.");
            if (TurnedImages > 0)
                notes.Add($"note: {TurnedImages} image{(TurnedImages == 1 ? " carries" : "s carry")} an EXIF orientation (e.g. {FirstTurnedImage}); SharpSeg reads {(TurnedImages == 1 ? "it" : "them")} as shown, as viewers and annotation tools do, so {(TurnedImages == 1 ? "its mask" : "their masks")} must be drawn on the shown image. A size check cannot tell for a square image: look at its overlay ('sharpseg data stats --report DIR').");
            foreach (var note in new[] { MaskAlphaNote, ImageRangeNote, UnmatchedNote, EmptyClassesNote, MissingFromTrainingNote })
                if (note != null) notes.Add(note);
            return notes;
        }
    }

    /// <summary>The <see cref="Notes"/> that are warnings: what training prints before it starts.</summary>
    public IReadOnlyList<string> Warnings => Notes.Where(n => n.StartsWith("warning:", StringComparison.Ordinal)).ToList();

    /// <summary>"3 problems in 2 files": the count <c>data check</c> and training's check both say.</summary>
    public string ProblemCount => $"{Problems.Count} problem{(Problems.Count == 1 ? "" : "s")} in {FilesWithProblems} file{(FilesWithProblems == 1 ? "" : "s")}";

    /// <summary>Number of distinct files with at least one problem.</summary>
    public int FilesWithProblems => Problems.Select(p => p.File).Distinct(StringComparer.Ordinal).Count();
}
