using SharpSeg.Data;
using SharpSeg.Imaging;
using SharpSeg.Tests.Fuzz;
using Xunit;
using SharpSeg.Data.Dataset;
using SharpSeg.Data.Masks;
using SharpSeg.Data.Checks;

namespace SharpSeg.Tests.Data;

/// <summary>
/// Mask folders that are not one clean encoding: a colour mask among index masks, palette PNGs among colour masks (as
/// a real satellite dataset has), and binary masks with soft edges, which get their own encoding (threshold).
/// </summary>
public sealed class MixedMaskTests
{
    [Fact]
    public void OneColourMaskAmongIndexMasksIsNamedAndFailsTheCheck()
    {
        var d = new TinyDataset("mixed-index");
        for (int i = 0; i < 5; i++) { d.Image($"img/{i}.png"); d.GrayMask($"lbl/{i}.png", 6, 4, 0, 1, 2); }
        d.Image("img/odd.png");
        string odd = d.ColorMask("lbl/odd.png", 6, 4, new Rgb(0, 0, 0), new Rgb(128, 64, 128));

        var draft = DatasetDraft.Inspect(d.PathOf("img"), d.PathOf("lbl"));
        Assert.Equal(DraftMaskKind.GrayIndex, draft.MaskKind);
        Assert.Equal([0, 1, 2], draft.Labels.Select(l => l.Value!.Value)); // not (k, k, k) colours beside the real ones
        var note = Assert.Single(draft.DifferingMasks);
        Assert.Equal(odd, note.Path);
        Assert.False(note.DecodesCleanly);
        Assert.Equal("8-bit RGB colour PNG", note.Encoding);

        string yaml = d.PathOf("d.yaml");
        draft.Write(yaml);
        Assert.Contains($"#   {odd}: 8-bit RGB colour PNG; 2 colours in a dataset of index masks", File.ReadAllText(yaml));
        var report = new DataChecker(DatasetSpec.Load(yaml)).Check();
        var problem = Assert.Single(report.Problems);
        Assert.Equal(odd, problem.File);
        Assert.Contains("mask has colours", problem.Message);
    }

    [Fact]
    public void PalettePngsAmongColourMasksAreReadAsTheirPaletteColours()
    {
        // The satellite dataset's shape: most masks 8-bit RGB, some 2- or 4-bit palette PNGs whose palette holds the class colours.
        (byte, byte, byte)[] classes = [(60, 16, 152), (132, 41, 246), (110, 193, 228), (254, 221, 58), (226, 169, 41), (155, 155, 155)];
        var d = new TinyDataset("mixed-satellite");
        for (int i = 0; i < 4; i++)
        {
            d.Image($"img/rgb{i}.png", 8, 4);
            d.ColorMask($"lbl/rgb{i}.png", 8, 4, classes.Select(c => new Rgb(c.Item1, c.Item2, c.Item3)).ToArray());
        }
        d.Image("img/pal2.png", 8, 4);
        File.WriteAllBytes(d.PathOf("lbl/pal2.png"), HandPng.Build(8, 4, 2, 3, false, (x, y, _) => (x + y) % 4, classes[..4]));
        d.Image("img/pal4.png", 8, 4);
        File.WriteAllBytes(d.PathOf("lbl/pal4.png"), HandPng.Build(8, 4, 4, 3, false, (x, y, _) => (x + 2 * y) % 6, classes));

        var draft = DatasetDraft.Inspect(d.PathOf("img"), d.PathOf("lbl"));
        Assert.Equal(DraftMaskKind.RgbColors, draft.MaskKind);
        Assert.Equal(classes.Select(c => new Rgb(c.Item1, c.Item2, c.Item3).Packed).Order(), draft.Labels.Select(l => l.Color!.Value.Packed).Order()); // 6 colours, no (0,0,0)…(5,5,5)
        Assert.Equal([d.PathOf("lbl/pal2.png"), d.PathOf("lbl/pal4.png")], draft.DifferingMasks.Select(n => n.Path));
        Assert.Equal(["2-bit palette PNG", "4-bit palette PNG"], draft.DifferingMasks.Select(n => n.Encoding));
        Assert.All(draft.DifferingMasks, n => Assert.True(n.DecodesCleanly));

        string yaml = d.PathOf("d.yaml");
        draft.Write(yaml);
        Assert.True(new DataChecker(DatasetSpec.Load(yaml)).Check().IsClean);
        var cli = CliRunner.Run("data", "init", "--images", d.PathOf("img"), "--masks", d.PathOf("lbl"), "--out", d.PathOf("cli.yaml"));
        Assert.True(cli.ExitCode == 0, cli.ToString());
        Assert.Contains("note: 2 of 6 masks are encoded differently from the rest:", cli.StdOut);
        Assert.Contains($"{d.PathOf("lbl/pal2.png")}: 2-bit palette PNG; read as its palette colours", cli.StdOut);
    }

    /// <summary>0/255 masks with a disc whose edge was anti-aliased: every value from 0 to 255 occurs along the edge.</summary>
    static TinyDataset SoftEdgedMasks(string name)
    {
        var d = new TinyDataset(name);
        for (int i = 0; i < 3; i++)
        {
            d.Image($"img/{i}.png", 64, 64);
            var px = new byte[64 * 64];
            for (int y = 0; y < 64; y++)
                for (int x = 0; x < 64; x++)
                {
                    double r = Math.Sqrt((x - 32) * (x - 32) + (y - 32) * (y - 32)), edge = 18 + 4 * i;
                    px[y * 64 + x] = (byte)Math.Clamp(Math.Round(255 * (edge + 1 - r) / 2), 0, 255); // a 2-pixel ramp
                }
            PngCodec.SaveGray8(d.PathOf($"lbl/{i}.png"), 64, 64, px);
        }
        return d;
    }

    [Fact]
    public void SoftEdgedBinaryMasksAreDraftedAsAThresholdWithAnIgnoreBand()
    {
        var d = SoftEdgedMasks("soft-binary");
        var draft = DatasetDraft.Inspect(d.PathOf("img"), d.PathOf("lbl"));
        Assert.Equal(DraftMaskKind.GrayThreshold, draft.MaskKind);
        Assert.Equal(128, draft.ThresholdEncoding!.Threshold);
        Assert.Equal((64, 191), draft.ThresholdEncoding.IgnoreBand);
        Assert.Equal([0, 255], draft.Labels.Select(l => l.Value!.Value));
        Assert.True(draft.BandPixels > 0);

        string yaml = d.PathOf("soft.yaml");
        draft.Write(yaml);
        var spec = DatasetSpec.Load(yaml);
        Assert.Equal(MaskEncodingKind.Threshold, spec.Mask.Kind);
        Assert.Equal(2, spec.Classes.Count);
        Assert.True(new DataChecker(spec).Check().IsClean);

        var stats = CliRunner.Run("data", "stats", yaml, "--out", d.PathOf("stats.json"));
        Assert.True(stats.ExitCode == 0, stats.ToString());
        long band = DataStats.Compute(spec, "train").Splits[0].IgnorePixels;
        Assert.Equal(draft.BandPixels, band); // all masks inspected: the same pixels
        Assert.Contains($"train: the ignore band 64..191 ignores {band:N0} pixels", stats.StdOut);
    }

    [Fact]
    public void ThresholdEncodingSplitsValuesAndIgnoresTheBand()
    {
        var encoding = new MaskEncoding(MaskEncodingKind.Threshold, [], [], 0) { Threshold = 128, IgnoreBand = (64, 192) };
        var decoder = new MaskDecoder(new ClassTable([new ClassInfo("bg", new Rgb(0, 0, 0), null), new ClassInfo("fg", new Rgb(255, 255, 255), null)]), encoding);
        var d = new TinyDataset("threshold-decode");
        string mask = d.GrayMask("m.png", 7, 1, 0, 63, 64, 127, 128, 192, 193);
        Assert.Equal(new byte[] { 0, 0, 255, 255, 255, 255, 1 }, decoder.Decode(mask).Labels);
        Assert.Equal(new byte[] { 0, 0, 0, 0, 1, 1, 1 }, new MaskDecoder(decoder.Classes, encoding with { IgnoreBand = null }).Decode(mask).Labels);
    }

    [Theory]
    [InlineData("mask: { encoding: threshold }\nclasses: [{ name: a }, { name: b }, { name: c }]", "encoding: threshold has two classes")]
    [InlineData("mask: { encoding: threshold }\nclasses: [{ name: a, value: 0 }, { name: b }]", "remove 'value'")]
    [InlineData("mask: { encoding: threshold, ignore_band: [192, 64] }\nclasses: [{ name: a }, { name: b }]", "mask.ignore_band must be [low, high] with low <= high")]
    [InlineData("mask: { encoding: index, threshold: 100 }\nclasses: [{ name: a }, { name: b }]", "mask.threshold is for encoding: threshold")]
    [InlineData("mask: { encoding: threshold, threshold: 0 }\nclasses: [{ name: a }, { name: b }]", "mask.threshold is a mask file value 1..65535")]
    public void ThresholdEncodingErrorsAreOneLine(string body, string expected)
    {
        var d = new TinyDataset("threshold-yaml");
        d.Image("img/a.png");
        string yaml = d.Yaml("splits:\n  train: { images: img }\n" + body);
        Assert.Contains(expected, Assert.Throws<SharpSegException>(() => DatasetSpec.Load(yaml)).Message);
    }
}
