using System.Text;
using SharpSeg.Data.Dataset;
using SharpSeg.Data.Masks;
using SharpSeg.Imaging;
using SharpSeg.Tests.Data;
using Xunit;

namespace SharpSeg.Tests.Imaging;

/// <summary>NumPy .npy arrays as masks and images (<see cref="NpyCodec"/>, docs/DATASETS.md "Image and mask file formats").</summary>
public sealed class NpyCodecTests
{
    /// <summary>The bytes numpy.save writes (format 1.0): magic, version, header length, the header dict padded with
    /// spaces to a multiple of 64 and ending in a newline, then the values.</summary>
    internal static byte[] Npy(string descr, string shape, byte[] values, bool fortran = false)
    {
        string dict = $"{{'descr': '{descr}', 'fortran_order': {(fortran ? "True" : "False")}, 'shape': {shape}, }}";
        int total = 10 + dict.Length + 1;
        dict += new string(' ', (64 - total % 64) % 64) + "\n";
        var head = new List<byte> { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0, (byte)(dict.Length & 0xFF), (byte)(dict.Length >> 8) };
        head.AddRange(Encoding.ASCII.GetBytes(dict));
        return [.. head, .. values];
    }

    static byte[] Int64s(params long[] v) => v.SelectMany(BitConverter.GetBytes).ToArray();
    static byte[] Floats(params float[] v) => v.SelectMany(BitConverter.GetBytes).ToArray();
    static byte[] Doubles(params double[] v) => v.SelectMany(BitConverter.GetBytes).ToArray();

    [Fact]
    public void IntegerArraysKeepTheirValues()
    {
        var u8 = NpyCodec.Decode(Npy("|u1", "(2, 3)", [0, 1, 2, 3, 4, 255]), "u8.npy");
        Assert.Equal((3, 2, 8, PngColorType.Gray), (u8.Width, u8.Height, u8.BitDepth, u8.ColorType));
        Assert.Equal(new ushort[] { 0, 1, 2, 3, 4, 255 }, u8.Samples);

        var i64 = NpyCodec.Decode(Npy("<i8", "(2, 2)", Int64s(0, 7, 300, 65535)), "i64.npy");
        Assert.Equal(16, i64.BitDepth);
        Assert.Equal(new ushort[] { 0, 7, 300, 65535 }, i64.Samples);
        Assert.Equal(16, NpyCodec.Decode(Npy("<i8", "(1, 2)", Int64s(0, 11)), "labels.npy").BitDepth); // the type decides, not the values

        Assert.Equal(16, NpyCodec.Decode(Npy("<u2", "(1, 2)", [1, 0, 2, 0]), "u16.npy").BitDepth);   // a 16-bit image stays 16-bit
        Assert.Equal(new ushort[] { 0x0102, 3 }, NpyCodec.Decode(Npy(">u2", "(1, 2)", [1, 2, 0, 3]), "big.npy").Samples);
        Assert.Equal(new ushort[] { 255, 0, 255 }, NpyCodec.Decode(Npy("|b1", "(1, 3)", [1, 0, 1]), "bool.npy").Samples); // as a black-and-white PNG
        Assert.Equal(new ushort[] { 2, 5, 0 }, NpyCodec.Decode(Npy("<f4", "(1, 3)", Floats(2, 5, 0)), "whole.npy").Samples);
        // Floats of whole numbers are those integers, 0.0 and 1.0 too: a multi-class mask that holds only classes 0 and 1
        // reads as the others of its dataset (0, 1, 2, 255) do, not as 0/255 (a new-user audit lost half a class so).
        // Other floats within [0, 1] are intensities.
        Assert.Equal(new ushort[] { 0, 128, 255 }, NpyCodec.Decode(Npy("<f4", "(1, 3)", Floats(0, 0.5f, 1)), "soft.npy").Samples);
        Assert.Equal(new ushort[] { 0, 1, 1 }, NpyCodec.Decode(Npy("<f4", "(1, 3)", Floats(0, 1, 1)), "hard.npy").Samples);
        Assert.Equal(new ushort[] { 0, 1, 255 }, NpyCodec.Decode(Npy("<f8", "(1, 3)", Doubles(0, 1, 255)), "with-void.npy").Samples);
        Assert.Equal(8, NpyCodec.Decode(Npy("<f8", "(1, 3)", Doubles(0, 1, 255)), "with-void.npy").BitDepth);   // a whole float image of 0..255 too
        Assert.Equal(16, NpyCodec.Decode(Npy("<f4", "(1, 2)", Floats(0, 4095)), "raw12.npy").BitDepth);
    }

    [Fact]
    public void LayoutsAreReadInTheirOrder()
    {
        // Fortran order: [[1, 2, 3], [4, 5, 6]] stored column by column.
        Assert.Equal(new ushort[] { 1, 2, 3, 4, 5, 6 }, NpyCodec.Decode(Npy("|u1", "(2, 3)", [1, 4, 2, 5, 3, 6], fortran: true), "f.npy").Samples);
        // Channels last and channels first give the same RGB pixels.
        var hwc = NpyCodec.Decode(Npy("|u1", "(1, 2, 3)", [10, 20, 30, 40, 50, 60]), "hwc.npy");
        var chw = NpyCodec.Decode(Npy("|u1", "(3, 1, 2)", [10, 40, 20, 50, 30, 60]), "chw.npy");
        Assert.Equal(PngColorType.Rgb, hwc.ColorType);
        Assert.Equal(hwc.Samples, chw.Samples);
        Assert.Equal(new ushort[] { 7, 8 }, NpyCodec.Decode(Npy("|u1", "(1, 2, 1)", [7, 8]), "hw1.npy").Samples);
    }

    [Theory]
    [InlineData("<i8", "(1, 2)", "neg", "values run from -1 to 3; SharpSeg reads .npy values 0..65535 (for an ignore label of -1, save it as 255")]
    [InlineData("<f4", "(1, 2)", "float", "a float array whose values run from 0.5 to 2.5")]
    [InlineData("|u1", "(2, 2, 2, 2)", "4d", "array shape (2, 2, 2, 2) is not an image")]
    [InlineData("|O", "(1, 2)", "object", "names no plain number type")]
    [InlineData("<c8", "(1, 2)", "complex", "names no plain number type")]
    [InlineData("|u1", "(4, 4)", "short", "the .npy file is truncated")]
    public void WhatItCannotReadIsOneLineNamingTheFile(string descr, string shape, string name, string expected)
    {
        byte[] values = name switch { "neg" => Int64s(-1, 3), "float" => Floats(0.5f, 2.5f), _ => [1, 2, 3, 4] };
        var e = Assert.Throws<SharpSegException>(() => NpyCodec.Decode(Npy(descr, shape, values), name + ".npy"));
        Assert.StartsWith(name + ".npy: ", e.Message);
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void WhereTheFileHoldsIntensitiesAHardFloatArrayReadsAsItsSoftNeighbours()
    {
        // A binary dataset saved as float probabilities: most files soft, one that happens to be all 0.0 and 1.0.
        var hard = Npy("<f4", "(1, 4)", Floats(0, 1, 1, 0));
        var soft = Npy("<f4", "(1, 4)", Floats(0, 0.98f, 1, 0.02f));
        Assert.Equal(new ushort[] { 0, 255, 255, 0 }, NpyCodec.Decode(hard, "hard.npy", intensities: true).Samples);
        Assert.Equal(new ushort[] { 0, 250, 255, 5 }, NpyCodec.Decode(soft, "soft.npy", intensities: true).Samples);
        Assert.Equal(new ushort[] { 0, 1, 1, 0 }, NpyCodec.Decode(hard, "hard.npy").Samples); // class values, as before
        // Whole floats beyond 1 and integer types are values either way.
        Assert.Equal(new ushort[] { 0, 255 }, NpyCodec.Decode(Npy("<f4", "(1, 2)", Floats(0, 255)), "x.npy", intensities: true).Samples);
        Assert.Equal(new ushort[] { 0, 1 }, NpyCodec.Decode(Npy("|u1", "(1, 2)", [0, 1]), "x.npy", intensities: true).Samples);

        var dir = Directory.CreateTempSubdirectory("sharpseg-npy-").FullName;
        try
        {
            string hardPath = Path.Combine(dir, "hard.npy"), rgbPath = Path.Combine(dir, "rgb.npy");
            File.WriteAllBytes(hardPath, hard);
            // encoding: threshold reads by brightness: the hard file's foreground is the second class, not background
            // (before, its 1s fell below the threshold of 128 and the file's foreground was lost without a word).
            var binary = new ClassTable([new ClassInfo("background", new Rgb(0, 0, 0), 0), new ClassInfo("lesion", new Rgb(255, 255, 255), 255)]);
            var threshold = new MaskDecoder(binary, new MaskEncoding(MaskEncodingKind.Threshold, [], [], 0) { Threshold = 128 });
            Assert.Equal(new byte[] { 0, 1, 1, 0 }, threshold.Decode(hardPath).Labels);
            // Index encoding reads class values: 0.0 and 1.0 are the classes 0 and 1.
            var indexed = new ClassTable([new ClassInfo("background", new Rgb(0, 0, 0), 0), new ClassInfo("road", new Rgb(128, 64, 128), 1)]);
            Assert.Equal(new byte[] { 0, 1, 1, 0 }, new MaskDecoder(indexed, MaskEncoding.Default).Decode(hardPath).Labels);
            // rgb encoding reads colours: a float (H, W, 3) array of pure colours within [0, 1] is 0..255 per channel.
            File.WriteAllBytes(rgbPath, Npy("<f4", "(1, 2, 3)", Floats(1, 0, 0, 0, 0, 1)));
            var colours = new ClassTable([new ClassInfo("red", new Rgb(255, 0, 0), 0), new ClassInfo("blue", new Rgb(0, 0, 255), 1)]);
            Assert.Equal(new byte[] { 0, 1 }, new MaskDecoder(colours, new MaskEncoding(MaskEncodingKind.Rgb, [], [], 0)).Decode(rgbPath).Labels);
            // An image is intensities: a binary float image is black and white, not black and almost black.
            Assert.Equal(new byte[] { 0, 255, 255, 0 }, ImageFile.Load(hardPath, 1).Pixels);
            Assert.Equal(new byte[] { 0, 255, 255, 0 }, ImageFile.Decode(hard, "upload", 1).Pixels);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void DataInitCountsAHardFloatMaskAmongSoftOnesAsTrainingReadsIt()
    {
        // Five soft-edged discs saved as float probabilities, and one hard disc of only 0.0 and 1.0.
        var d = new TinyDataset("npy-soft");
        Directory.CreateDirectory(d.PathOf("masks"));
        const int size = 24;
        for (int i = 0; i < 6; i++)
        {
            d.Image($"images/m{i}.png", size, size);
            var m = new float[size * size];
            for (int y = 0; y < size; y++)
                for (int x = 0; x < size; x++)
                {
                    double r = Math.Sqrt((x - 8 - i) * (x - 8 - i) + (y - 12) * (y - 12));
                    m[y * size + x] = i == 5 ? (r < 6 ? 1 : 0) : (float)Math.Clamp(6.5 - r, 0, 1);
                }
            File.WriteAllBytes(d.PathOf($"masks/m{i}.npy"), Npy("<f4", $"({size}, {size})", Floats(m)));
        }
        var draft = SharpSeg.Data.Dataset.DatasetDraft.Inspect(d.PathOf("images"), d.PathOf("masks"));
        Assert.Equal(SharpSeg.Data.Dataset.DraftMaskKind.GrayThreshold, draft.MaskKind);
        var encoding = draft.ThresholdEncoding!;
        // What 'data check' and training read: the hard disc's pixels are the second class.
        var decoder = new MaskDecoder(new ClassTable([new ClassInfo("background", new Rgb(0, 0, 0), draft.Labels[0].Value), new ClassInfo("disc", new Rgb(255, 255, 255), draft.Labels[1].Value)]), encoding);
        long second = 0, total = 0;
        for (int i = 0; i < 6; i++)
        {
            var labels = decoder.Decode(d.PathOf($"masks/m{i}.npy")).Labels;
            second += labels.Count(l => l == 1);
            total += labels.Length;
        }
        Assert.Equal(second, draft.Labels[1].Pixels);   // before: the hard disc counted below the threshold
        Assert.Equal(6, draft.Labels[1].Masks);
        Assert.True(second > 0 && total == 6 * size * size);
    }

    [Fact]
    public void NpyMasksPairCheckAndDecodeLikePngs()
    {
        var d = new TinyDataset("npy-masks");
        d.Image("images/a.png", 3, 2);
        d.Image("images/b.png", 3, 2);
        Directory.CreateDirectory(d.PathOf("masks"));
        File.WriteAllBytes(d.PathOf("masks/a.npy"), Npy("<i8", "(2, 3)", Int64s(0, 1, 1, 2, 2, 0)));
        File.WriteAllBytes(d.PathOf("masks/b.npy"), Npy("<i8", "(2, 3)", Int64s(1, 1, 1, 1, 1, 1)));
        Assert.Equal((3, 2), ImageFile.ReadSize(d.PathOf("masks/a.npy")));
        Assert.Equal(new ushort[] { 0, 1, 1, 2, 2, 0 }, ImageFile.ReadRaw(d.PathOf("masks/a.npy"))!.Samples);
        var init = CliRunner.Run(["data", "init", "--images", d.PathOf("images"), "--masks", d.PathOf("masks"), "--out", d.PathOf("d.yaml")]);
        Assert.True(init.ExitCode == 0, init.ToString());
        Assert.Contains("value: 2", File.ReadAllText(d.PathOf("d.yaml")));
        var check = CliRunner.Run(["data", "check", d.PathOf("d.yaml")]);
        Assert.True(check.ExitCode == 0, check.ToString());
        Assert.Contains("checked 2 pairs", check.StdOut);

        // A mask in a format SharpSeg does not read (np.savez) is not drafted as a missing mask to fill with background.
        d.Image("images/c.png", 3, 2);
        File.WriteAllBytes(d.PathOf("masks/c.npz"), "PK\u0003\u0004"u8.ToArray());
        var npz = CliRunner.Run(["data", "init", "--images", d.PathOf("images"), "--masks", d.PathOf("masks"), "--out", d.PathOf("d2.yaml")]);
        Assert.True(npz.ExitCode == 0, npz.ToString());
        string draft = File.ReadAllText(d.PathOf("d2.yaml"));
        Assert.Contains("1 image has its mask in a format SharpSeg does not read (e.g. \"c.npz\")", draft);
        Assert.DoesNotContain("missing:", draft);
        File.Delete(d.PathOf("images/c.png"));

        // A file named .npy that is none is told as such, not as an undecodable image.
        File.WriteAllText(d.PathOf("notes.npy"), "not numpy at all");
        Assert.Contains("notes.npy: not a NumPy .npy file (it does not start with \\x93NUMPY)", Assert.Throws<SharpSegException>(() => ImageFile.Load(d.PathOf("notes.npy"))).Message);

        File.WriteAllBytes(d.PathOf("masks/b.npy"), Npy("<i8", "(3, 3)", Int64s(1, 1, 1, 1, 1, 1, 1, 1, 1)));
        var wrongSize = CliRunner.Run(["data", "check", d.PathOf("d.yaml")]);
        Assert.Equal(1, wrongSize.ExitCode);
        Assert.Contains("b.npy", wrongSize.All);
    }
}
