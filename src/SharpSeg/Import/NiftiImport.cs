using System.Globalization;
using SharpSeg.Imaging;

namespace SharpSeg.Import;

/// <summary>How <see cref="NiftiImport.Run"/> slices and splits the volumes.</summary>
public sealed record NiftiImportOptions
{
    /// <summary>The split the volumes go to (the others than <see cref="ValFraction"/>'s).</summary>
    public string Split { get; init; } = "train";
    /// <summary>The share of volumes (whole volumes, never slices of one) held out as split <c>val</c>; 0 for none.</summary>
    public double ValFraction { get; init; }
    /// <summary>The axis sliced across: 2 (z, axial in most scans, the default), 1 (y) or 0 (x).</summary>
    public int Axis { get; init; } = 2;
    /// <summary>The intensities mapped to black and white, in the volume's units (CT: Hounsfield units, e.g. -160..240 for
    /// abdomen); null: 0..255 kept as they are for volumes that hold only whole numbers in 0..255, else each volume's
    /// 0.5th..99.5th percentile.</summary>
    public (double Low, double High)? Window { get; init; }
    /// <summary>The share of slices without any labelled voxel kept (evenly spaced); 1 keeps all.</summary>
    public double KeepEmpty { get; init; } = 1;
    /// <summary>The channels (4th dimension, or nnU-Net's <c>_0000</c>, <c>_0001</c> files) written: one (gray) or three
    /// (RGB); null for single-channel volumes.</summary>
    public IReadOnlyList<int>? Channels { get; init; }
    /// <summary>Names of the label values above 0, in value order; null: from the dataset's <c>dataset.json</c>, else
    /// <c>class_1</c>, ….</summary>
    public IReadOnlyList<string>? Classes { get; init; }
    /// <summary>Replace splits imported before.</summary>
    public bool Overwrite { get; init; }
}

/// <summary>What <see cref="NiftiImport.Run"/> wrote for one split.</summary>
/// <param name="EmptySlicesLeftOut">Slices without a labelled voxel that <see cref="NiftiImportOptions.KeepEmpty"/> left out.</param>
public sealed record NiftiSplitResult(string Split, int Volumes, int Slices, int EmptySlicesLeftOut, string ImagesDir, string MasksDir);

/// <summary>What <see cref="NiftiImport.Run"/> wrote.</summary>
/// <param name="LabelValues">The label values found or named, by mask value: <c>LabelValues[k]</c> is written as k.</param>
/// <param name="NamesFrom">The dataset.json the class names came from, or null.</param>
public sealed record NiftiImportResult(IReadOnlyList<NiftiSplitResult> Splits, IReadOnlyList<string> Classes, IReadOnlyList<int> LabelValues,
    string? NamesFrom, string YamlPath)
{
    /// <summary>Splits an earlier import of the same volumes had written and this one (with --force) did not, deleted.</summary>
    public IReadOnlyList<string> RemovedSplits { get; init; } = [];
}

/// <summary>
/// Turns NIfTI volumes (<c>.nii</c>, <c>.nii.gz</c>) and their label volumes into 2-D slices, PNG images and index
/// masks, and a dataset.yaml (<c>sharpseg data from-nifti</c>): the layout of the Medical Segmentation Decathlon
/// (<c>imagesTr/x.nii.gz</c>, <c>labelsTr/x.nii.gz</c>, <c>dataset.json</c>) and nnU-Net's raw data (images
/// <c>x_0000.nii.gz</c>, one file per channel, labels <c>x.nii.gz</c>).
/// <list type="bullet">
/// <item>Slices are taken across <see cref="NiftiImportOptions.Axis"/> and written as nibabel shows them rotated
/// (<c>np.rot90</c>): the first remaining axis left to right, the second bottom to top. Image and mask get the same
/// orientation; the slice's key is <c>{volume}_{axis}{index}</c> (<c>la_003_z045</c>).</item>
/// <item>Intensities are mapped to 0..255 through <see cref="NiftiImportOptions.Window"/>; labels keep their values,
/// renumbered 0, 1, 2, … where they skip one (BraTS' 0, 1, 2, 4 become 0..3), and the record says so.</item>
/// <item>The val split takes whole volumes, so slices of one patient never sit on both sides.</item>
/// <item>Every volume and label is checked before anything is written: a label whose size differs from its image's,
/// a missing label, values that are not whole numbers or not named, a 4-D image without <c>--channels</c>: one line
/// naming the file.</item>
/// </list>
/// Files are written as <see cref="ImportedDataset"/> describes, images under <c>{out}/{split}/images</c>.
/// </summary>
public static class NiftiImport
{
    /// <summary>
    /// Unlabelled volumes (no <c>--labels</c>): every slice of every scan as a PNG in <paramref name="outDir"/>, cut and
    /// windowed as <see cref="Run"/> cuts labelled ones, named <c>{volume}_{axis}{index}.png</c>: the images
    /// <c>sharpseg pretrain --images</c> learns from and <c>sharpseg curate</c> picks the ones to label from. nnU-Net's one
    /// file per channel is one scan. Every scan is checked (sizes, channels) before anything is written. Returns the
    /// volumes and slices written.
    /// </summary>
    public static (int Volumes, int Slices) RunUnlabelled(string imagesDir, string outDir, NiftiImportOptions options,
        IProgress<(int Done, int Total)>? progress = null, CancellationToken cancellationToken = default)
    {
        if (!Directory.Exists(imagesDir)) throw new SharpSegException($"folder '{imagesDir}' does not exist; give the folder of NIfTI image volumes (imagesTr, imagesTs).");
        CheckSlicing(options);
        var scans = Inference.VolumePrediction.Scans(imagesDir);
        if (scans.Count == 0) throw new SharpSegException($"'{imagesDir}' holds no .nii or .nii.gz files; give the folder of image volumes.");
        if (Directory.Exists(outDir) && ImageFolder.List(outDir).Count > 0 && !options.Overwrite)
            throw new SharpSegException($"'{outDir}' already holds images; pass --force to write the slices among them (same names replaced), or choose another --out.");
        foreach (var (_, files) in scans)
        {
            var sizes = files.Select(f => (f, NiftiVolume.ReadSize(f))).ToList();
            var first = sizes[0].Item2;
            CheckChannels(sizes, options.Channels, (first.Nx, first.Ny, first.Nz), labelPath: null);
        }
        Directory.CreateDirectory(outDir);
        int slices = 0, done = 0;
        foreach (var (name, files) in scans)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var channels = ImageChannels([.. files], options.Channels);
            var sources = channels.Select(c => (c.Volume, c.Channel, options.Window ?? c.Volume.DefaultWindow(c.Channel))).ToList();
            var volume = channels[0].Volume;
            volume.SlicePlaneWithinLimit(options.Axis);
            int n = volume.Size(options.Axis);
            for (int z = 0; z < n; z++)
                ImageFile.SavePng(NiftiVolume.SliceImage(sources, options.Axis, z, sources.Count), Path.Combine(outDir, NiftiVolume.SliceName(name, options.Axis, z, n) + ".png"));
            slices += n;
            progress?.Report((++done, scans.Count));
        }
        return (scans.Count, slices);
    }

    public static NiftiImportResult Run(string imagesDir, string labelsDir, string outDir, NiftiImportOptions options,
        IProgress<(int Done, int Total)>? progress = null, CancellationToken cancellationToken = default)
    {
        if (!Directory.Exists(imagesDir)) throw new SharpSegException($"folder '{imagesDir}' does not exist; give the folder of NIfTI image volumes (imagesTr).");
        if (!Directory.Exists(labelsDir)) throw new SharpSegException($"--labels '{labelsDir}' does not exist; give the folder of NIfTI label volumes (labelsTr).");
        CheckSlicing(options);
        if (options.ValFraction is < 0 or >= 1 || double.IsNaN(options.ValFraction)) throw new SharpSegException($"--val-fraction {options.ValFraction.ToString(CultureInfo.InvariantCulture)}: give a share of the volumes from 0 to below 1, e.g. 0.2.");
        if (options.KeepEmpty is < 0 or > 1 || double.IsNaN(options.KeepEmpty)) throw new SharpSegException($"--keep-empty {options.KeepEmpty.ToString(CultureInfo.InvariantCulture)}: give a share from 0 (none) to 1 (all).");
        if (options.Split == "val" && options.ValFraction > 0) throw new SharpSegException("--split val with --val-fraction: the held-out volumes are split 'val'; give the others another --split (train).");
        imagesDir = Path.GetFullPath(imagesDir); labelsDir = Path.GetFullPath(labelsDir);

        var labels = NiftiVolume.FilesIn(labelsDir).ToDictionary(f => NiftiVolume.Stem(f), StringComparer.Ordinal);
        if (labels.Count == 0) throw new SharpSegException($"--labels '{labelsDir}' holds no .nii or .nii.gz files.");
        var cases = Cases(imagesDir, labels);

        // Check every label (size, whole values) before anything is written, and find the values.
        var values = new SortedSet<int>();
        var sizes = new Dictionary<string, (int, int, int)>(StringComparer.Ordinal);
        int checkedCases = 0;
        foreach (var (key, imageFiles) in cases)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var label = NiftiVolume.Read(labels[key]);
            if (label.Channels != 1) throw new SharpSegException($"{label.Path}: a label volume with {label.Channels} channels (4-D); give one label value per voxel.");
            foreach (var v in LabelValues(label)) values.Add(v);
            sizes[key] = (label.Nx, label.Ny, label.Nz);
            CheckChannels(imageFiles.Select(f => (f, NiftiVolume.ReadSize(f))).ToList(), options.Channels, sizes[key], label.Path);
            progress?.Report((++checkedCases, 2 * cases.Count));
        }

        string? namesFrom = null;
        IReadOnlyList<string>? given = options.Classes;
        Dictionary<int, string>? named = null;
        if (given == null && FindDatasetJson(imagesDir, labelsDir) is { } json) { named = DatasetJsonLabels(json); namesFrom = json; }
        if (named != null)
        {
            if (values.FirstOrDefault(v => v != 0 && !named.ContainsKey(v)) is var unnamed and > 0)
                throw new SharpSegException($"{namesFrom}: its 'labels' do not name value {unnamed}, which label volumes hold; add it, or name the classes with --classes.");
            foreach (var v in named.Keys) values.Add(v);
        }
        values.Add(0);
        var valueList = values.ToList();
        if (valueList.Count > 255) throw new SharpSegException($"'{labelsDir}': the labels hold {valueList.Count} values; SharpSeg's masks hold at most 254 classes besides background.");
        string[] classes = given != null
            ? given.Count == valueList.Count - 1 ? given.ToArray()
                : throw new SharpSegException($"--classes names {given.Count} classes, the labels hold {valueList.Count - 1} values besides 0 ({string.Join(", ", valueList.Skip(1))}); name each, in value order.")
            : valueList.Skip(1).Select(v => named?[v] ?? $"class_{v}").ToArray();
        var toMask = new Dictionary<int, byte>();
        for (int i = 0; i < valueList.Count; i++) toMask[valueList[i]] = (byte)i;

        // Whole volumes to val: evenly spaced over the sorted cases, at least one when a share is asked for.
        var keys = cases.Keys.ToList();
        var val = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < keys.Count; i++)
            if (Math.Floor((i + 1) * options.ValFraction) > Math.Floor(i * options.ValFraction)) val.Add(keys[i]);
        if (options.ValFraction > 0 && val.Count == 0 && keys.Count > 1) val.Add(keys[^1]);
        if (val.Count == keys.Count && val.Count > 0) throw new SharpSegException($"--val-fraction {options.ValFraction.ToString(CultureInfo.InvariantCulture)} of {keys.Count} volumes leaves none to train on; give a smaller share.");

        var targets = new Dictionary<string, ImportedDataset>(StringComparer.Ordinal) { [options.Split] = new(outDir, options.Split, classes, options.Overwrite) };
        if (val.Count > 0) targets["val"] = new(outDir, "val", classes, options.Overwrite);
        var removed = options.Overwrite ? ImportedDataset.RemoveOtherSplitsFrom(outDir, imagesDir, targets.Keys) : [];
        foreach (var t in targets.Values) t.Begin();
        var counts = targets.Keys.ToDictionary(k => k, _ => (Volumes: 0, Slices: 0, LeftOut: 0), StringComparer.Ordinal);
        char axisName = "xyz"[options.Axis];
        int done = checkedCases;
        foreach (var (key, imageFiles) in cases)
        {
            cancellationToken.ThrowIfCancellationRequested();
            string split = val.Contains(key) ? "val" : options.Split;
            var target = targets[split];
            var label = NiftiVolume.Read(labels[key]);
            var channels = ImageChannels(imageFiles, options.Channels);
            var sources = channels.Select(c => (c.Volume, c.Channel, options.Window ?? c.Volume.DefaultWindow(c.Channel))).ToList();
            int n = label.Size(options.Axis);
            int empty = 0;
            var (cols, rows) = label.SlicePlaneWithinLimit(options.Axis);
            var c0 = counts[split];
            for (int s = 0; s < n; s++)
            {
                var mask = new byte[cols * rows];
                bool any = false;
                for (int r = 0, i = 0; r < rows; r++)
                    for (int c = 0; c < cols; c++, i++)
                    {
                        byte m = toMask[(int)label.Voxels[label.VoxelIndex(options.Axis, s, c, r)]];
                        mask[i] = m;
                        any |= m != 0;
                    }
                if (!any)
                {
                    bool keep = Math.Floor((empty + 1) * options.KeepEmpty) > Math.Floor(empty * options.KeepEmpty);
                    empty++;
                    if (!keep) { c0.LeftOut++; continue; }
                }
                string sliceKey = NiftiVolume.SliceName(key, options.Axis, s, n);
                target.WriteImage(sliceKey, NiftiVolume.SliceImage(sources, options.Axis, s, sources.Count));
                target.WriteMask(sliceKey + ".png", cols, rows, mask);
                c0.Slices++;
            }
            c0.Volumes++;
            counts[split] = c0;
            progress?.Report((++done, 2 * cases.Count));
        }

        bool renumbered = valueList.Select((v, i) => v != i).Any(b => b);
        string note = renumbered
            ? $"the label values {string.Join(", ", valueList.Select((v, i) => $"{v} as {i}"))}"
            : "mask values are the label values";
        string yaml = "";
        foreach (var (split, t) in targets)
            yaml = t.Finish(t.ImagesDir, imagesDir, "data from-nifti", $"{note}; slices across {axisName} of {Path.GetFileName(imagesDir)}",
                new VolumeSlicing { Axis = options.Axis, Window = options.Window is var (lo, hi) ? [lo, hi] : null, Channels = options.Channels?.ToArray(), LabelValues = renumbered ? valueList.ToArray() : null }.ToYamlLine()
                + "   # how the slices were cut: training keeps it, and 'predict' on a volume cuts it the same way");
        var results = targets.Select(kv => new NiftiSplitResult(kv.Key, counts[kv.Key].Volumes, counts[kv.Key].Slices, counts[kv.Key].LeftOut, kv.Value.ImagesDir, kv.Value.MasksDir)).ToList();
        return new NiftiImportResult(results, targets[options.Split].ClassNames, valueList, namesFrom, yaml) { RemovedSplits = removed };
    }

    /// <summary>The cases by key, each with its image file per channel: <c>x.nii.gz</c> for label <c>x</c>, or nnU-Net's
    /// <c>x_0000.nii.gz</c>, <c>x_0001.nii.gz</c>, …</summary>
    static SortedDictionary<string, List<string>> Cases(string imagesDir, Dictionary<string, string> labels)
    {
        var cases = new SortedDictionary<string, List<string>>(StringComparer.Ordinal);
        var files = NiftiVolume.FilesIn(imagesDir).ToList();
        if (files.Count == 0) throw new SharpSegException($"'{imagesDir}' holds no .nii or .nii.gz files; give the folder of image volumes (imagesTr).");
        foreach (var f in files)
        {
            string stem = NiftiVolume.Stem(f);
            string key = labels.ContainsKey(stem) ? stem : NiftiVolume.ChannelFileScan(stem) is { } scan && labels.ContainsKey(scan) ? scan
                : throw new SharpSegException($"{f}: no label volume '{stem}.nii.gz' (or '{stem}.nii') in --labels {Path.GetDirectoryName(labels.Values.First())}; every image volume needs its label, named alike.");
            if (!cases.TryGetValue(key, out var list)) cases[key] = list = [];
            list.Add(f);
        }
        foreach (var (stem, path) in labels)
            if (!cases.ContainsKey(stem)) throw new SharpSegException($"{path}: a label volume without an image volume '{stem}.nii.gz' (or '{stem}_0000.nii.gz') in '{imagesDir}'.");
        return cases;
    }

    /// <summary>The slicing options both imports take (<c>--axis</c>, <c>--window</c>, <c>--channels</c>), each wrong one a line.</summary>
    static void CheckSlicing(NiftiImportOptions options)
    {
        if (options.Axis is < 0 or > 2) throw new SharpSegException($"--axis {options.Axis}: give 0, 1 or 2 (2 slices across z, the axial plane of most scans).");
        if (options.Window is { } w && !(w.High > w.Low)) throw new SharpSegException($"--window {w.Low.ToString(CultureInfo.InvariantCulture)},{w.High.ToString(CultureInfo.InvariantCulture)}: the second value must be above the first, e.g. --window -160,240.");
        if (options.Channels is { } ch && (ch.Count is not (1 or 3) || ch.Any(c => c < 0)))
            throw new SharpSegException("--channels: give one channel (gray, e.g. --channels 0) or three (RGB, e.g. --channels 0,1,2).");
    }

    /// <summary>The distinct values of a label volume; not whole or negative values are one line naming the file.</summary>
    static IEnumerable<int> LabelValues(NiftiVolume label)
    {
        var seen = new HashSet<double>();
        foreach (var v in label.Voxels) seen.Add(v);
        foreach (var v in seen)
        {
            if (v < 0 || v != Math.Floor(v) || v > 65535)
                throw new SharpSegException($"{label.Path}: voxel value {v.ToString(CultureInfo.InvariantCulture)}; a label volume holds whole class values from 0 (background) up; is it an image volume?");
            if (seen.Count > 255) throw new SharpSegException($"{label.Path}: {seen.Count} distinct values; a label volume holds class values (at most 254 classes), is it an image volume?");
            yield return (int)v;
        }
    }

    /// <summary>Checks that each image file has its label's size and that <paramref name="chosen"/> picks channels it has
    /// (or that there is one channel where none is chosen): the 4th dimension of a volume, or nnU-Net's one file per channel.</summary>
    static void CheckChannels(List<(string File, (int X, int Y, int Z, int Channels) Size)> files, IReadOnlyList<int>? chosen, (int X, int Y, int Z) size, string? labelPath)
    {
        foreach (var (f, s) in files)
            if ((s.X, s.Y, s.Z) != size)
                throw new SharpSegException(labelPath != null
                    ? $"{f}: {s.X} × {s.Y} × {s.Z} voxels, its label {Path.GetFileName(labelPath)} {size.X} × {size.Y} × {size.Z}; an image and its label must have the same size."
                    : $"{f}: {s.X} × {s.Y} × {s.Z} voxels, {Path.GetFileName(files[0].File)} {size.X} × {size.Y} × {size.Z}; a scan's channel files must have one size.");
        int all = files.Sum(f => f.Size.Channels);
        if (chosen == null && all > 1)
            throw new SharpSegException($"{files[0].File}: {all} channels (modalities){(files.Count > 1 ? $" in {files.Count} files" : "")}; pick one with --channels 0, or three with --channels 0,1,2 (written as RGB).");
        if (chosen != null && chosen.Any(c => c >= all))
            throw new SharpSegException($"{files[0].File}: --channels {string.Join(",", chosen)}, but it has {all} channel{(all == 1 ? "" : "s")} (0..{all - 1}).");
    }

    /// <summary>The channels an image is written from, as (volume, channel) pairs, as <see cref="CheckChannels"/> allowed.</summary>
    static List<(NiftiVolume Volume, int Channel)> ImageChannels(List<string> files, IReadOnlyList<int>? chosen)
    {
        var all = new List<(NiftiVolume, int)>();
        foreach (var f in files)
        {
            var v = NiftiVolume.Read(f);
            for (int c = 0; c < v.Channels; c++) all.Add((v, c));
        }
        return chosen == null ? all : chosen.Select(c => all[c]).ToList();
    }

    /// <summary>A dataset.json (the Decathlon's and nnU-Net's) beside or above the images or labels folder, or null.</summary>
    static string? FindDatasetJson(string imagesDir, string labelsDir) =>
        new[] { imagesDir, labelsDir, Path.GetDirectoryName(imagesDir), Path.GetDirectoryName(labelsDir) }
            .Where(d => d != null).Select(d => Path.Combine(d!, "dataset.json")).FirstOrDefault(File.Exists);

    /// <summary>The label names of a dataset.json (<see cref="Data.Dataset.ClassList"/> reads its forms), by value.</summary>
    internal static Dictionary<int, string> DatasetJsonLabels(string path) =>
        Data.Dataset.ClassList.Read(path).Entries.ToDictionary(e => e.Value, e => e.Name);
}
