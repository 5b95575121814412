using System.Buffers.Binary;
using System.Text.Json;
using SharpSeg.Data.Checks;
using SharpSeg.Data.Dataset;
using SharpSeg.Imaging;
using SharpSeg.Checkpoints;
using SharpSeg.Import;
using SharpSeg.Inference;
using SharpSeg.Models;
using Xunit;

namespace SharpSeg.Tests.Data;

/// <summary>
/// <c>data from-nifti</c> on volumes written by an independent NIfTI writer (<c>scripts/make-nifti-fixtures.py</c>),
/// against the slices numpy gives (<c>np.rot90(vol[:, :, z])</c>, in <c>Fixtures/nifti/expected.json</c>).
/// </summary>
public sealed class NiftiImportTests
{
    static readonly string Fixtures = Path.Combine(TestPaths.RepoRoot, "tests", "SharpSeg.Tests", "Fixtures", "nifti");

    /// <summary>A copy of a fixture folder (msd or nnunet) that a test may change.</summary>
    static string Copy(string name, string test)
    {
        string root = TestPaths.NewTempDir(test);
        foreach (var f in Directory.EnumerateFiles(Path.Combine(Fixtures, name), "*", SearchOption.AllDirectories))
        {
            string to = Path.Combine(root, Path.GetRelativePath(Path.Combine(Fixtures, name), f));
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(f, to);
        }
        return root;
    }

    /// <summary>The first <paramref name="count"/> bytes of a gzip file.</summary>
    static byte[] ReadGz(string path, int count)
    {
        using var gz = new System.IO.Compression.GZipStream(File.OpenRead(path), System.IO.Compression.CompressionMode.Decompress);
        var bytes = new byte[count];
        gz.ReadExactly(bytes);
        return bytes;
    }

    /// <summary>A NIfTI-1 header's datatype, in the header's byte order (the scan's, big-endian in the nnU-Net fixture).</summary>
    static short Datatype(byte[] header) => BinaryPrimitives.ReadInt32LittleEndian(header) == 348
        ? BinaryPrimitives.ReadInt16LittleEndian(header.AsSpan(70)) : BinaryPrimitives.ReadInt16BigEndian(header.AsSpan(70));

    static JsonElement Expected(string key)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures, "expected.json")));
        return doc.RootElement.GetProperty(key).Clone();
    }

    static void AssertSlice(JsonElement rows, byte[] pixels, int width, int stride = 1, int offset = 0)
    {
        var expected = rows.EnumerateArray().SelectMany(r => r.EnumerateArray().Select(v => v.GetInt32())).ToArray();
        Assert.Equal(expected.Length, pixels.Length / stride);
        Assert.Equal(rows[0].GetArrayLength(), width);
        Assert.Equal(expected, Enumerable.Range(0, expected.Length).Select(i => (int)pixels[i * stride + offset]));
    }

    [Fact]
    public void DecathlonVolumesBecomeTheSlicesNumpyShowsWithNamesFromDatasetJsonAndWholeVolumesForVal()
    {
        string root = Copy("msd", "nifti-msd");
        string outDir = Path.Combine(root, "out");
        var r = NiftiImport.Run(Path.Combine(root, "imagesTr"), Path.Combine(root, "labelsTr"), outDir, new NiftiImportOptions { ValFraction = 0.5 });
        Assert.Equal(["background", "liver", "tumour"], r.Classes);
        Assert.EndsWith("dataset.json", r.NamesFrom);
        // One volume each: case_a to train, case_b (the second) to val; never slices of one volume in both.
        Assert.Equal([("train", 1, 3), ("val", 1, 3)], r.Splits.Select(s => (s.Split, s.Volumes, s.Slices)));
        foreach (var (split, volume) in new[] { ("train", "case_a"), ("val", "case_b") })
        {
            var expected = Expected($"msd/{volume}");
            for (int z = 0; z < 3; z++)
            {
                var image = ImageFile.Load(Path.Combine(outDir, split, "images", $"{volume}_z00{z}.png"), channels: 1);
                Assert.Equal((5, 4), (image.Width, image.Height));
                AssertSlice(expected.GetProperty("images")[z], image.Pixels, image.Width, image.Channels);
                var mask = ImageFile.ReadRaw(Path.Combine(outDir, split, "masks", $"{volume}_z00{z}.png"))!;
                AssertSlice(expected.GetProperty("masks")[z], mask.Samples.Select(p => (byte)p).ToArray(), mask.Width);
            }
        }
        var spec = DatasetSpec.Load(r.YamlPath);
        Assert.Equal(["background", "liver", "tumour"], spec.Classes.Classes.Select(c => c.Name));
        Assert.Equal("axis z, window per volume", spec.VolumeSlicing!.ToString());
        Assert.True(new DataChecker(spec).Check().IsClean);

        // Slices without a label left out: case_b's middle slice is empty.
        r = NiftiImport.Run(Path.Combine(root, "imagesTr"), Path.Combine(root, "labelsTr"), outDir, new NiftiImportOptions { KeepEmpty = 0, Overwrite = true });
        Assert.Equal((6 - 1, 1), (r.Splits[0].Slices, r.Splits[0].EmptySlicesLeftOut));
        // All volumes now in train: the old val split (case_b) is removed, not left to validate on training volumes.
        Assert.Equal(["val"], r.RemovedSplits);
        Assert.False(Directory.Exists(Path.Combine(outDir, "val")));
        Assert.Equal(["train"], DatasetSpec.Load(r.YamlPath).SplitNames);
        Assert.False(File.Exists(Path.Combine(outDir, "train", "images", "case_b_z001.png")));
    }

    [Fact]
    public void NnUnetChannelFilesBigEndianScaledIntegersAndRenumberedFloatLabels()
    {
        string root = Copy("nnunet", "nifti-nnunet");
        string outDir = Path.Combine(root, "out");
        var e = Assert.Throws<SharpSegException>(() => NiftiImport.Run(Path.Combine(root, "imagesTr"), Path.Combine(root, "labelsTr"), outDir, new NiftiImportOptions()));
        Assert.Contains("2 channels (modalities) in 2 files; pick one with --channels 0", e.Message);

        var expected = Expected("nnunet/ct_001");
        var r = NiftiImport.Run(Path.Combine(root, "imagesTr"), Path.Combine(root, "labelsTr"), outDir,
            new NiftiImportOptions { Channels = [0], Window = (-160, 240) });
        Assert.Equal(["background", "kidney", "cyst"], r.Classes);
        Assert.Equal([0, 2, 5], r.LabelValues);
        for (int z = 0; z < 3; z++)
        {
            var image = ImageFile.Load(Path.Combine(outDir, "train", "images", $"ct_001_z00{z}.png"), channels: 1);
            AssertSlice(expected.GetProperty("images")[z], image.Pixels, image.Width, image.Channels);
            var mask = ImageFile.ReadRaw(Path.Combine(outDir, "train", "masks", $"ct_001_z00{z}.png"))!;
            AssertSlice(expected.GetProperty("masks")[z], mask.Samples.Select(p => (byte)p).ToArray(), mask.Width);
        }
        Assert.Contains("the label values 0 as 0, 2 as 1, 5 as 2", File.ReadAllText(r.YamlPath));
        // The dataset remembers the values, so that training keeps them and predict writes them back.
        Assert.Contains("label_values: [0, 2, 5]", File.ReadAllText(r.YamlPath));
        Assert.Equal([0, 2, 5], DatasetSpec.Load(r.YamlPath).VolumeSlicing!.LabelValues!);
        File.WriteAllText(r.YamlPath, File.ReadAllText(r.YamlPath).Replace("label_values: [0, 2, 5]", "label_values: [0, 2]"));
        var bad = Assert.Throws<SharpSegException>(() => DatasetSpec.Load(r.YamlPath));
        Assert.Contains("volumes: label_values has 2 values for 3 classes; it says how", bad.Message);
        File.WriteAllText(r.YamlPath, File.ReadAllText(r.YamlPath).Replace("label_values: [0, 2]", "label_values: [0, 2, 2]"));
        Assert.Contains("label_values is not a list of distinct values", Assert.Throws<SharpSegException>(() => DatasetSpec.Load(r.YamlPath)).Message);

        // Three channels are RGB; slicing across x gives y × z slices.
        var volume = NiftiVolume.Read(Path.Combine(root, "imagesTr", "ct_001_0000.nii"));
        Assert.Equal((5, 4, 3, 1), (volume.Nx, volume.Ny, volume.Nz, volume.Channels));
        Assert.Equal([0.8f, 0.8f, 2.5f], volume.Spacing);
        r = NiftiImport.Run(Path.Combine(root, "imagesTr"), Path.Combine(root, "labelsTr"), outDir,
            new NiftiImportOptions { Channels = [0, 1, 0], Axis = 0, Overwrite = true });
        var rgb = ImageFile.ReadRaw(Path.Combine(outDir, "train", "images", "ct_001_x000.png"))!;
        Assert.Equal((4, 3, 3), (rgb.Width, rgb.Height, rgb.Channels));
        Assert.Equal(5, r.Splits[0].Slices);
    }

    [Fact]
    public void EveryBrokenVolumeIsOneLineNamingItsFileBeforeAnythingIsWritten()
    {
        void Refused(Action<string> damage, string expected, NiftiImportOptions? options = null)
        {
            string root = Copy("nnunet", "nifti-broken");
            damage(root);
            string outDir = Path.Combine(root, "out");
            var e = Assert.Throws<SharpSegException>(() => NiftiImport.Run(Path.Combine(root, "imagesTr"), Path.Combine(root, "labelsTr"), outDir,
                options ?? new NiftiImportOptions { Channels = [0] }));
            Assert.Contains(expected, e.Message);
            Assert.DoesNotContain('\n', e.Message);
            Assert.False(Directory.Exists(Path.Combine(outDir, "train", "masks")), "nothing is written");
        }
        string Label(string root) => Path.Combine(root, "labelsTr", "ct_001.nii");
        void Edit(string path, Action<byte[]> change) { var b = File.ReadAllBytes(path); change(b); File.WriteAllBytes(path, b); }

        Refused(root => Edit(Label(root), b => BinaryPrimitives.WriteInt16LittleEndian(b.AsSpan(42), 4)), "4 × 4 × 3");
        Refused(root => Edit(Label(root), b => BinaryPrimitives.WriteSingleLittleEndian(b.AsSpan(352), 0.5f)), "ct_001.nii: voxel value 0.5");
        Refused(root => Edit(Label(root), b => BinaryPrimitives.WriteInt32LittleEndian(b, 540)), "a NIfTI-2 file");
        Refused(root => Edit(Label(root), b => b[345] = (byte)'x'), "not a NIfTI-1 file (magic 'nx1', expected 'n+1')");
        Refused(root => Edit(Label(root), b => { b[344] = (byte)'n'; b[345] = (byte)'i'; b[346] = (byte)'1'; }), "Analyze-style .hdr/.img pair");
        Refused(root => File.WriteAllBytes(Label(root), File.ReadAllBytes(Label(root))[..400]), "truncated");
        Refused(root => File.Delete(Label(root)), "no .nii or .nii.gz files");
        Refused(root => File.Move(Label(root), Path.Combine(root, "labelsTr", "ct_002.nii")), "ct_001_0000.nii: no label volume 'ct_001_0000.nii.gz'");
        Refused(root => File.WriteAllText(Path.Combine(root, "dataset.json"), "{\"labels\": {\"background\": 0, \"kidney\": 2}}"), "do not name value 5");
        Refused(_ => { }, "--channels 0,3,1, but it has 2 channels (0..1)", new NiftiImportOptions { Channels = [0, 3, 1] });
        Refused(_ => { }, "--classes names 1 classes, the labels hold 2 values", new NiftiImportOptions { Channels = [0], Classes = ["kidney"] });

        string msd = Copy("msd", "nifti-broken-gz");
        string gz = Path.Combine(msd, "labelsTr", "case_b.nii.gz");
        File.WriteAllBytes(gz, File.ReadAllBytes(gz)[..40]);
        var e = Assert.Throws<SharpSegException>(() => NiftiImport.Run(Path.Combine(msd, "imagesTr"), Path.Combine(msd, "labelsTr"), Path.Combine(msd, "out"), new NiftiImportOptions()));
        Assert.Contains("case_b.nii.gz", e.Message);
    }

    [Fact]
    public void PredictingAVolumeGivesItsSlicesPredictionsInTheScansGeometry()
    {
        string root = Copy("nnunet", "nifti-predict");
        var config = new ModelConfig { Architecture = "unet", Encoder = "unet", NumClasses = 3, Depth = 2, BaseWidth = 4 };
        string ckpt = Path.Combine(root, "model.ckpt");
        string remembering = Path.Combine(root, "remembering.ckpt");
        using (var model = ModelZoo.Create(config))
        {
            var info = new CheckpointInfo
            {
                Model = JsonSerializer.SerializeToNode(config)!.AsObject(),
                Classes = new ClassTable([new ClassInfo("background", new Rgb(0, 0, 0), null), new ClassInfo("kidney", new Rgb(255, 0, 0), null), new ClassInfo("cyst", new Rgb(0, 255, 0), null)]),
                Mean = [0.5, 0.5, 0.5], Std = [0.25, 0.25, 0.25],
            };
            Checkpoint.Save(ckpt, model, info);
            // The same weights, trained (as it were) on a from-nifti dataset: the checkpoint keeps how its volumes were cut.
            Checkpoint.Save(remembering, model, info with { VolumeSlicing = new VolumeSlicing { Window = [-160, 240], Channels = [0] } });
            // Trained on renumbered labels (from-nifti made the label values 0, 2, 5 classes 0..2), or damaged.
            foreach (int[] values in new[] { new[] { 0, 2, 5 }, new[] { 0, 2, 300 }, new[] { 0, 4 } })
                Checkpoint.Save(Path.Combine(root, $"values-{string.Join("-", values)}.ckpt"), model,
                    info with { VolumeSlicing = new VolumeSlicing { Window = [-160, 240], Channels = [0], LabelValues = values } });
        }
        // ct_001_0000.nii and ct_001_0001.nii are one scan's two channels (nnU-Net's naming): one label volume, ct_001_mask.
        string volume = Path.Combine(root, "imagesTr", "ct_001_0000.nii"), outDir = Path.Combine(root, "pred");
        var r = CliRunner.Run("predict", "--checkpoint", ckpt, "--input", Path.Combine(root, "imagesTr"), "--out", outDir, "--window", "-160,240", "--channels", "0");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("ct_001: 3 slices", r.StdOut);
        Assert.Contains("does not say how its training volumes were cut", r.StdOut + r.StdErr);
        Assert.Equal(["ct_001_mask.nii.gz"], Directory.GetFiles(outDir).Select(Path.GetFileName));

        // The label volume: the scan's size and spacing, 8-bit, and slice by slice what the model says of the slices
        // data from-nifti writes with the same window.
        var labels = NiftiVolume.Read(Path.Combine(outDir, "ct_001_mask.nii.gz"));
        Assert.Equal((5, 4, 3, 1), (labels.Nx, labels.Ny, labels.Nz, labels.Channels));
        Assert.Equal([0.8f, 0.8f, 2.5f], labels.Spacing);
        Assert.True(labels.IsIntegral);
        NiftiImport.Run(Path.Combine(root, "imagesTr"), Path.Combine(root, "labelsTr"), Path.Combine(root, "ds"), new NiftiImportOptions { Channels = [0], Window = (-160, 240) });
        using var predictor = Predictor.Load(ckpt);
        for (int z = 0; z < 3; z++)
        {
            var mask = predictor.Predict(predictor.LoadImage(Path.Combine(root, "ds", "train", "images", $"ct_001_z00{z}.png")));
            var fromVolume = Enumerable.Range(0, 4).SelectMany(row => Enumerable.Range(0, 5).Select(col => (byte)labels.Voxels[labels.VoxelIndex(2, z, col, row)]));
            Assert.Equal(mask.Labels, fromVolume);
        }

        // Without --window and --channels, the remembering checkpoint cuts the scan as its training volumes were: the same masks.
        string again = Path.Combine(root, "again");
        r = CliRunner.Run("predict", "--checkpoint", remembering, "--input", volume, "--out", again);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("slicing axis z, window -160..240, channel 0, as the model was trained", r.StdOut);
        Assert.Equal(labels.Voxels, NiftiVolume.Read(Path.Combine(again, "ct_001_mask.nii.gz")).Voxels);
        r = CliRunner.Run("predict", "--checkpoint", remembering, "--input", volume, "--out", again, "--window", "0,100");
        Assert.Contains("where the model was trained on axis z, window -160..240", r.StdOut + r.StdErr);

        // A model trained on renumbered labels writes the labels' values back (0, 2 and 5 for classes 0..2), in 8 bits;
        // values above 255 in 16 bits.
        foreach (int[] values in new[] { new[] { 0, 2, 5 }, new[] { 0, 2, 300 } })
        {
            string valued = Path.Combine(root, $"values-{string.Join("-", values)}.ckpt"), to = Path.Combine(root, $"values-{values[2]}");
            r = CliRunner.Run("predict", "--checkpoint", valued, "--input", volume, "--out", to);
            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.Contains($"the training labels' values {string.Join(", ", values)}", r.StdOut);
            var written = NiftiVolume.Read(Path.Combine(to, "ct_001_mask.nii.gz"));
            Assert.Equal(labels.Voxels.Select(k => (float)values[(int)k]), written.Voxels);
            byte[] header = ReadGz(Path.Combine(to, "ct_001_mask.nii.gz"), 76);
            Assert.Equal(values[2] > 255 ? 512 : 2, Datatype(header));   // uint16 / uint8
        }
        Assert.Equal(2, Datatype(ReadGz(Path.Combine(again, "ct_001_mask.nii.gz"), 76)));   // no values given: class indices, uint8
        CliRunner.Run("predict", "--checkpoint", Path.Combine(root, "values-0-4.ckpt"), "--input", volume, "--out", Path.Combine(root, "b"))
            .AssertOneLineError("volume_slicing: label_values has 2 values for 3 classes");

        CliRunner.Run("predict", "--checkpoint", ckpt, "--input", volume, "--out", outDir, "--channels", "0,1")
            .AssertOneLineError("channels is not one or three channel numbers");
        CliRunner.Run("predict", "--checkpoint", ckpt, "--input", volume, "--out", outDir, "--channels", "0,1,4")
            .AssertOneLineError("--channels 0,1,4, but it has 2 channels (0..1)");
        CliRunner.Run("predict", "--checkpoint", ckpt, "--input", volume, "--out", outDir, "--probabilities")
            .AssertOneLineError("a NIfTI volume gets its label volume");
    }

    [Fact]
    public void TheCommandWritesADatasetThatTrainsAndSaysWhatItDid()
    {
        string root = Copy("msd", "nifti-cli");
        string outDir = Path.Combine(root, "ds");
        var r = CliRunner.Run("data", "from-nifti", Path.Combine(root, "imagesTr"), "--labels", Path.Combine(root, "labelsTr"), "--out", outDir, "--val-fraction", "0.5");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("split 'val': 1 volumes, 3 slices", r.StdOut);
        Assert.Contains("classes: 0 background, 1 liver, 2 tumour", r.StdOut);
        CliRunner.Run("data", "from-nifti", Path.Combine(root, "imagesTr"), "--labels", Path.Combine(root, "labelsTr"), "--out", outDir, "--window", "5")
            .AssertOneLineError("--window '5': give two numbers LOW,HIGH");
        CliRunner.Run("data", "from-nifti", Path.Combine(root, "imagesTr"), "--out", outDir, "--val-fraction", "0.5").AssertOneLineError("--val-fraction needs --labels DIR");
        CliRunner.Run("data", "from-nifti", Path.Combine(root, "imagesTr"), "--labels", Path.Combine(root, "labelsTr"), "--out", outDir)
            .AssertOneLineError("already holds masks; pass --force");

        // Without labels: every slice alone (for curate and pretrain), the same pictures the labelled import writes.
        string slices = Path.Combine(root, "slices");
        r = CliRunner.Run("data", "from-nifti", Path.Combine(root, "imagesTr"), "--out", slices);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("2 volumes, 6 slices to", r.StdOut);
        Assert.Contains("next: sharpseg curate --images", r.StdOut);
        var written = Directory.GetFiles(slices, "*.png").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        var labelled = Directory.GetFiles(Path.Combine(outDir, "train", "images")).Concat(Directory.GetFiles(Path.Combine(outDir, "val", "images"))).ToList();
        Assert.Equal(labelled.Select(Path.GetFileName).Order(StringComparer.Ordinal), written);
        foreach (var f in labelled) Assert.Equal(ImageFile.Load(f).Pixels, ImageFile.Load(Path.Combine(slices, Path.GetFileName(f))).Pixels);
        CliRunner.Run("data", "from-nifti", Path.Combine(root, "imagesTr"), "--out", slices).AssertOneLineError("already holds images; pass --force");
    }
}
