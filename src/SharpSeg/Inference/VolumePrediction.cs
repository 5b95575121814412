using System.Globalization;
using SharpSeg.Imaging;

namespace SharpSeg.Inference;

/// <summary>How a NIfTI volume is sliced for a 2-D model: as <c>data from-nifti</c> sliced the training volumes.</summary>
/// <param name="Axis">The axis sliced across (2: z, the default).</param>
/// <param name="Window">The intensities mapped to black and white; null: 0..255 as it is for volumes of whole numbers in
/// that range, else the volume's 0.5th..99.5th percentile (as <c>data from-nifti</c>'s default).</param>
/// <param name="Channels">For a 4-D volume: the channel (gray) or three channels (RGB) to read; null for one channel.</param>
public sealed record VolumeSlicing(int Axis = 2, (double Low, double High)? Window = null, IReadOnlyList<int>? Channels = null);

/// <summary>What <see cref="VolumePrediction.Run"/> wrote for one volume.</summary>
/// <param name="VoxelsPerClass">Voxels predicted as each class.</param>
/// <param name="VoxelMillilitres">One voxel's volume in millilitres (the header's spacing, in mm), for class volumes.</param>
public sealed record VolumePredictionResult(string Input, string MaskPath, int Slices, long[] VoxelsPerClass, double VoxelMillilitres);

/// <summary>
/// Predicts a NIfTI volume slice by slice with a 2-D model and writes the label volume beside it:
/// <c>{out}/{volume}_mask.nii.gz</c>, 8-bit class indices with the scan's geometry (spacing, qform, sform), so that it
/// overlays the scan in ITK-SNAP or 3D Slicer. The slices are cut and windowed as <c>data from-nifti</c> cuts them
/// (<see cref="NiftiVolume.SliceImage"/>), so a model trained on its slices sees the same pictures.
/// </summary>
public static class VolumePrediction
{
    /// <summary>Whether <paramref name="input"/> (a <c>predict --input</c>) names NIfTI volumes: a .nii/.nii.gz file, or a
    /// folder that holds some and no images.</summary>
    public static bool IsVolumeInput(string input) =>
        File.Exists(input) ? NiftiVolume.IsNiftiName(input)
        : Directory.Exists(input) && Volumes(input).Count > 0 && ImageFolder.List(input).Count == 0;

    /// <summary>The NIfTI files <paramref name="input"/> names (a file, or a folder's .nii/.nii.gz files, hidden ones
    /// left out), sorted.</summary>
    public static IReadOnlyList<string> Volumes(string input) =>
        File.Exists(input) ? [Path.GetFullPath(input)]
        : Directory.EnumerateFiles(input).Where(f => NiftiVolume.IsNiftiName(f) && !ImageFolder.IsHidden(Path.GetFileName(f))).Select(Path.GetFullPath).Order(StringComparer.Ordinal).ToList();

    public static VolumePredictionResult Run(Predictor predictor, string volumePath, string outDir, VolumeSlicing slicing, InferenceOptions options,
        IProgress<(int Done, int Total)>? progress = null, CancellationToken cancellationToken = default)
    {
        if (slicing.Axis is < 0 or > 2) throw new SharpSegException($"--axis {slicing.Axis}: give 0, 1 or 2, as the volumes were sliced for training (data from-nifti --axis).");
        var volume = NiftiVolume.Read(volumePath);
        var channels = slicing.Channels ?? (volume.Channels == 1 ? [0]
            : throw new SharpSegException($"{volumePath}: {volume.Channels} channels (modalities); pick the ones the model was trained on with --channels 0 or --channels 0,1,2."));
        if (channels.Count is not (1 or 3) || channels.Any(c => c < 0 || c >= volume.Channels))
            throw new SharpSegException($"{volumePath}: --channels {string.Join(",", channels)}, but it has {volume.Channels} channel{(volume.Channels == 1 ? "" : "s")}; give one or three of 0..{volume.Channels - 1}.");
        int modelChannels = predictor.Info.ImageChannels;
        if (channels.Count == 3 && modelChannels == 1)
            throw new SharpSegException($"{volumePath}: --channels picks three channels, and the model reads one-channel images; give one channel.");
        var sources = channels.Select(c => (volume, c, slicing.Window ?? volume.DefaultWindow(c))).ToList();
        string outPath = Path.Combine(outDir, NiftiVolume.Stem(volumePath) + "_mask.nii.gz");
        if (string.Equals(Path.GetFullPath(outPath), Path.GetFullPath(volumePath), StringComparison.Ordinal))
            throw new SharpSegException($"{outPath}: would replace the input volume; choose another --out.");

        var (cols, rows) = volume.PlaneSize(slicing.Axis);
        if ((long)cols * rows > PixelLimit.MaxPixels)
            throw new PixelLimitException($"{volumePath}: slices of {cols} × {rows} voxels exceed the {PixelLimit.MaxPixels}-pixel limit; raise it with {PixelLimit.HowToRaise}.");
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
        volume.WriteLabels(outPath, labels);
        double ml = volume.Spacing.Aggregate(1.0, (a, b) => a * (b > 0 ? b : 1)) / 1000.0;
        return new VolumePredictionResult(volumePath, outPath, n, counts, ml);
    }

    /// <summary>"liver 1,234.5 mL, tumour 12.3 mL": the predicted classes but the first (background), by volume.</summary>
    public static string DescribeVolumes(VolumePredictionResult r, IReadOnlyList<string> classNames) =>
        string.Join(", ", Enumerable.Range(1, Math.Max(0, classNames.Count - 1)).Select(k =>
            $"{classNames[k]} {(r.VoxelsPerClass[k] * r.VoxelMillilitres).ToString("#,0.0", CultureInfo.InvariantCulture)} mL"));
}
