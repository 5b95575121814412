using System.Globalization;
using SharpSeg.Imaging;

namespace SharpSeg.Inference;

/// <summary>What <see cref="VolumePrediction.Run"/> wrote for one volume.</summary>
/// <param name="VoxelsPerClass">Voxels predicted as each class.</param>
/// <param name="VoxelMillilitres">One voxel's volume in millilitres (the header's spacing, in mm), for class volumes.</param>
public sealed record VolumePredictionResult(string Input, string MaskPath, int Slices, long[] VoxelsPerClass, double VoxelMillilitres);

/// <summary>
/// Predicts a NIfTI volume slice by slice with a 2-D model and writes the label volume beside it:
/// <c>{out}/{volume}_mask.nii.gz</c>, the class of each voxel with the scan's geometry (spacing, qform, sform), so that
/// it overlays the scan in ITK-SNAP or 3D Slicer. Classes are written as their class indices, or as the training label
/// volumes' values where <c>data from-nifti</c> renumbered them (<see cref="VolumeSlicing.LabelValues"/>). The slices are cut and windowed as <c>data from-nifti</c> cuts them
/// (<see cref="NiftiVolume.SliceImage"/>), so a model trained on its slices sees the same pictures.
/// </summary>
public static class VolumePrediction
{
    /// <summary>Whether <paramref name="input"/> (a <c>predict --input</c>) names NIfTI volumes: a .nii/.nii.gz file, or a
    /// folder that holds some and no images.</summary>
    public static bool IsVolumeInput(string input) =>
        File.Exists(input) ? NiftiVolume.IsNiftiName(input)
        : Directory.Exists(input) && Scans(input).Count > 0 && ImageFolder.List(input).Count == 0;

    /// <summary>The scans <paramref name="input"/> names (a file, or a folder's .nii/.nii.gz files, hidden ones left
    /// out), sorted, each with its files: one, or nnU-Net's one file per channel (<c>x_0000.nii.gz</c>, <c>x_0001.nii.gz</c>
    /// make scan <c>x</c>, where <c>x_0000</c> is there), in channel order.</summary>
    public static IReadOnlyList<(string Name, IReadOnlyList<string> Files)> Scans(string input)
    {
        string folder = File.Exists(input) ? Path.GetDirectoryName(Path.GetFullPath(input))! : Path.GetFullPath(input);
        var all = NiftiVolume.FilesIn(folder);
        var stems = all.ToDictionary(f => NiftiVolume.Stem(f), f => f, StringComparer.Ordinal);
        string NameOf(string f)
        {
            string stem = NiftiVolume.Stem(f);
            return NiftiVolume.ChannelFileScan(stem) is { } scan && stems.ContainsKey(scan + "_0000") ? scan : stem;
        }
        var scans = all.GroupBy(NameOf, StringComparer.Ordinal).Select(g => (g.Key, (IReadOnlyList<string>)g.Order(StringComparer.Ordinal).ToList())).ToList();
        if (File.Exists(input))
        {
            string name = NameOf(Path.GetFullPath(input));
            scans = scans.Where(s => s.Key == name).ToList();
        }
        return scans;
    }

    public static VolumePredictionResult Run(Predictor predictor, (string Name, IReadOnlyList<string> Files) scan, string outDir, VolumeSlicing slicing, InferenceOptions options,
        IProgress<(int Done, int Total)>? progress = null, CancellationToken cancellationToken = default)
    {
        if (slicing.Problem() is { } problem) throw new SharpSegException($"volume slicing: {problem}; give --axis 0, 1 or 2, --window LOW,HIGH and --channels 0 or 0,1,2.");
        string volumePath = scan.Files[0];
        var volumes = scan.Files.Select(NiftiVolume.Read).ToList();
        var volume = volumes[0];
        if (volumes.FirstOrDefault(v => (v.Nx, v.Ny, v.Nz) != (volume.Nx, volume.Ny, volume.Nz)) is { } other)
            throw new SharpSegException($"{other.Path}: {other.Nx} × {other.Ny} × {other.Nz} voxels, {Path.GetFileName(volumePath)} {volume.Nx} × {volume.Ny} × {volume.Nz}; a scan's channel files must have one size.");
        var all = volumes.SelectMany(v => Enumerable.Range(0, v.Channels).Select(c => (Volume: v, Channel: c))).ToList();
        string what = scan.Files.Count > 1 ? $"{volumePath} (and {scan.Files.Count - 1} more channel file{(scan.Files.Count == 2 ? "" : "s")})" : volumePath;
        IReadOnlyList<int> channels = slicing.Channels ?? (all.Count == 1 ? [0]
            : throw new SharpSegException($"{what}: {all.Count} channels (modalities); pick the ones the model was trained on with --channels 0 or --channels 0,1,2."));
        if (channels.Any(c => c >= all.Count))
            throw new SharpSegException($"{what}: --channels {string.Join(",", channels)}, but it has {all.Count} channel{(all.Count == 1 ? "" : "s")} (0..{all.Count - 1}).");
        int modelChannels = predictor.Info.ImageChannels;
        if (channels.Count == 3 && modelChannels == 1)
            throw new SharpSegException($"{what}: --channels picks three channels, and the model reads one-channel images; give one channel.");
        var sources = channels.Select(c => (all[c].Volume, all[c].Channel, slicing.WindowRange ?? all[c].Volume.DefaultWindow(all[c].Channel))).ToList();
        string outPath = Path.Combine(outDir, scan.Name + "_mask.nii.gz");
        if (scan.Files.Any(f => string.Equals(Path.GetFullPath(outPath), f, StringComparison.Ordinal)))
            throw new SharpSegException($"{outPath}: would replace an input volume; choose another --out.");

        var (cols, rows) = volume.SlicePlaneWithinLimit(slicing.Axis);
        int n = volume.Size(slicing.Axis);
        var labels = new byte[(long)volume.Nx * volume.Ny * volume.Nz];
        var counts = new long[predictor.ClassNames.Count];
        for (int s = 0; s < n; s++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var image = NiftiVolume.SliceImage(sources, slicing.Axis, s, modelChannels);
            var mask = predictor.Predict(image, options, cancellationToken: cancellationToken);
            for (int r = 0, i = 0; r < rows; r++)
                for (int c = 0; c < cols; c++, i++)
                {
                    byte k = mask.Labels[i];
                    labels[volume.VoxelIndex(slicing.Axis, s, c, r)] = k;
                    if (k < counts.Length) counts[k]++;
                }
            progress?.Report((s + 1, n));
        }
        Directory.CreateDirectory(outDir);
        volume.WriteLabels(outPath, labels, slicing.LabelValues);
        double ml = volume.Spacing.Aggregate(1.0, (a, b) => a * (b > 0 ? b : 1)) / 1000.0;
        return new VolumePredictionResult(volumePath, outPath, n, counts, ml);
    }

    /// <summary>"liver 1,234.5 mL, tumour 12.3 mL": the predicted classes but the first (background), by volume.</summary>
    public static string DescribeVolumes(VolumePredictionResult r, IReadOnlyList<string> classNames) =>
        string.Join(", ", Enumerable.Range(1, Math.Max(0, classNames.Count - 1)).Select(k =>
            $"{classNames[k]} {(r.VoxelsPerClass[k] * r.VoxelMillilitres).ToString("#,0.0", CultureInfo.InvariantCulture)} mL"));
}
