using SharpSeg.Data;
using SharpSeg.Imaging;
using Xunit;
using SharpSeg.Data.Dataset;
using SharpSeg.Data.Masks;
using SharpSeg.Data.Checks;

namespace SharpSeg.Tests.Data;

public sealed class DatasetDraftTests
{
    [Fact]
    public void ZeroAnd255MasksBecomeTwoClassesWithNoIgnore()
    {
        var d = new TinyDataset("draft-binary");
        for (int i = 0; i < 3; i++) { d.Image($"img/{i}.png"); d.GrayMask($"lbl/{i}.png", 6, 4, 0, 255, 255, 255); }
        var draft = DatasetDraft.Inspect(d.PathOf("img"), d.PathOf("lbl"));
        Assert.Equal(DraftMaskKind.GrayIndex, draft.MaskKind);
        Assert.Equal([(0, 18L), (255, 54L)], draft.Labels.Select(l => (l.Value!.Value, l.Pixels)));
        Assert.Empty(draft.SuggestedIgnoreValues);

        string yaml = d.PathOf("cfg/draft.yaml");
        draft.Write(yaml);
        var spec = DatasetSpec.Load(yaml);
        Assert.Empty(spec.Mask.IgnoreValues);
        Assert.Equal([("class_0", 0), ("class_255", 255)], spec.Classes.Classes.Select(c => (c.Name, c.Value!.Value)));
        Assert.Equal(3, spec.ResolvePairs("train").Count);
        Assert.Contains("Inspected all 3 masks", File.ReadAllText(yaml));
    }

    [Fact]
    public void ImagesAndMasksInOneFolderArePairedByTheMaskSuffixNotEachFileWithItself()
    {
        // The layout of Kaggle's LGG MRI set: img_000.png beside img_000_mask.png.
        var d = new TinyDataset("draft-one-folder");
        for (int i = 0; i < 4; i++) { d.Image($"all/img_00{i}.png"); d.GrayMask($"all/img_00{i}_mask.png", 6, 4, 0, 255, 255, 255); }
        var draft = DatasetDraft.Inspect(d.PathOf("all"), d.PathOf("all"));
        Assert.Equal(DraftMaskKind.GrayIndex, draft.MaskKind);
        Assert.Equal([0, 255], draft.Labels.Select(l => l.Value!.Value));
        string yaml = d.PathOf("cfg/draft.yaml");
        draft.Write(yaml);
        var spec = DatasetSpec.Load(yaml);
        var pairs = spec.ResolvePairs("train");
        Assert.Equal(4, pairs.Count);
        Assert.All(pairs, p => Assert.Equal(p.ImagePath.Replace(".png", "_mask.png"), p.MaskPath));

        // Hand-written without a pairing rule: one line that says so and names the suffix to set.
        d.Yaml("name: one\nsplits:\n  train: { images: all, masks: all }\nclasses:\n  - { name: background, value: 0 }\n  - { name: tumour, value: 255 }\nmask: { ignore_values: [] }\n", "plain.yaml");
        var e = Assert.Throws<SharpSegException>(() => DatasetSpec.Load(d.PathOf("plain.yaml")).ResolvePairs("train"));
        Assert.Contains("images and masks are the same folder", e.Message);
        Assert.Contains("set pairing: { mask_suffix: '_mask' }", e.Message);
        Assert.DoesNotContain('\n', e.Message);

        // One folder with nothing to tell images from masks: data init refuses rather than pairing each file with itself.
        var flat = new TinyDataset("draft-one-folder-flat");
        for (int i = 0; i < 3; i++) flat.Image($"all/{i}.png");
        Assert.Contains("both the images and the masks folder", Assert.Throws<SharpSegException>(() => DatasetDraft.Inspect(flat.PathOf("all"), flat.PathOf("all"))).Message);
    }

    [Fact]
    public void PaletteMasksWithBorderSuggestIgnore255AndKeepPaletteColours()
    {
        var d = new TinyDataset("draft-voc");
        Rgb[] palette = Enumerable.Range(0, 256).Select(i => i == 255 ? new Rgb(224, 224, 192) : new Rgb((byte)(i * 60), 0, 0)).ToArray();
        for (int i = 0; i < 4; i++)
        {
            d.Image($"JPEGImages/{i}.png");
            PngCodec.SavePalette8(d.PathOf($"SegmentationClass/{i}.png"), 6, 4, Enumerable.Range(0, 24).Select(p => (byte)(p % 4 == 3 ? 255 : p % 4)).ToArray(), palette);
        }
        var draft = DatasetDraft.Inspect(d.PathOf("JPEGImages"), d.PathOf("SegmentationClass"), maxMasks: 2);
        Assert.Equal(DraftMaskKind.PaletteIndex, draft.MaskKind);
        Assert.Equal(2, draft.MasksInspected);
        Assert.Equal([255], draft.SuggestedIgnoreValues);
        string yaml = d.PathOf("voc.yaml");
        draft.Write(yaml);
        string text = File.ReadAllText(yaml);
        Assert.Contains("Inspected 2 of 4 masks", text);
        var spec = DatasetSpec.Load(yaml);
        Assert.Equal([255], spec.Mask.IgnoreValues);
        Assert.Equal([new Rgb(0, 0, 0), new Rgb(60, 0, 0), new Rgb(120, 0, 0)], spec.Classes.Classes.Select(c => c.Color));
        Assert.True(new DataChecker(spec).Check().IsClean);
    }

    [Fact]
    public void ColourMasksBecomeRgbAndGrayLookingRgbBecomesIndex()
    {
        var d = new TinyDataset("draft-rgb");
        d.Image("img/a.png"); d.Image("img/b.png");
        d.ColorMask("lbl/a_L.png", 6, 4, new Rgb(128, 64, 128), new Rgb(0, 0, 142));
        d.ColorMask("lbl/b_L.png", 6, 4, new Rgb(128, 64, 128));
        var draft = DatasetDraft.Inspect(d.PathOf("img"), d.PathOf("lbl"));
        Assert.Equal(DraftMaskKind.RgbColors, draft.MaskKind);
        Assert.Equal(new PairingRule("", "_L"), draft.Pairing);
        Assert.Equal([new Rgb(128, 64, 128), new Rgb(0, 0, 142)], draft.Labels.Select(l => l.Color!.Value));
        draft.Write(d.PathOf("rgb.yaml"));
        var spec = DatasetSpec.Load(d.PathOf("rgb.yaml"));
        Assert.Equal(MaskEncodingKind.Rgb, spec.Mask.Kind);
        Assert.True(new DataChecker(spec).Check().IsClean);

        var g = new TinyDataset("draft-grayrgb");
        g.Image("img/a.png");
        g.ColorMask("lbl/a.png", 6, 4, new Rgb(0, 0, 0), new Rgb(1, 1, 1), new Rgb(2, 2, 2));
        var gd = DatasetDraft.Inspect(g.PathOf("img"), g.PathOf("lbl"));
        Assert.Equal(DraftMaskKind.GrayIndex, gd.MaskKind);
        Assert.Equal([0, 1, 2], gd.Labels.Select(l => l.Value!.Value));
    }

    [Fact]
    public void NoisyColourMasksDraftOnlyTheMainColoursAndSuggestATolerance()
    {
        var d = new TinyDataset("draft-jpeg");
        d.Image("img/a.png", 50, 40);
        var colors = new Rgb[2000];
        for (int i = 0; i < colors.Length; i++) colors[i] = i < 1000 ? new Rgb(128, 64, 128) : new Rgb(0, 0, 142);
        for (int i = 0; i < 100; i++) colors[i * 20] = new Rgb((byte)(120 + i % 9), (byte)(60 + i / 9), 130); // 100 one-pixel colours
        d.ColorMask("lbl/a.png", 50, 40, colors);
        var draft = DatasetDraft.Inspect(d.PathOf("img"), d.PathOf("lbl"));
        Assert.Equal([new Rgb(128, 64, 128), new Rgb(0, 0, 142)], draft.Labels.Select(l => l.Color!.Value));   // by pixels, noise included
        // The 100 noise colours are within 40 of (128, 64, 128): counted with it, not left over.
        Assert.Equal((100, 0L), (draft.OtherLabels, draft.OtherPixels));
        Assert.Equal(950 + 100, draft.Labels.Single(l => l.Color == new Rgb(128, 64, 128)).Pixels);
        draft.Write(d.PathOf("j.yaml"));
        // Half the gap between the two class colours (128 in red), less one.
        Assert.Contains("color_tolerance: 63", File.ReadAllText(d.PathOf("j.yaml")));
        Assert.Equal(63, DatasetSpec.Load(d.PathOf("j.yaml")).Mask.ColorTolerance);
    }

    /// <summary>A mask saved as a colour JPEG (Kvasir-SEG, ISIC and many industrial sets ship them): one colour per
    /// pixel region, plus chroma and block noise at every edge.</summary>
    static void JpegMask(TinyDataset d, string relative, Func<int, int, SkiaSharp.SKColor> colour, int width = 64, int height = 48, int quality = 80)
    {
        using var bitmap = new SkiaSharp.SKBitmap(new SkiaSharp.SKImageInfo(width, height, SkiaSharp.SKColorType.Rgba8888, SkiaSharp.SKAlphaType.Opaque));
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++) bitmap.SetPixel(x, y, colour(x, y));
        using var data = bitmap.Encode(SkiaSharp.SKEncodedImageFormat.Jpeg, quality);
        Directory.CreateDirectory(Path.GetDirectoryName(d.PathOf(relative))!);
        File.WriteAllBytes(d.PathOf(relative), data.ToArray());
    }

    [Fact]
    public void BlackAndWhiteColourJpegMasksBecomeThresholdMasksReadByLuma()
    {
        var d = new TinyDataset("draft-bw-jpeg");
        for (int n = 0; n < 3; n++)
        {
            d.Image($"img/m{n}.png", 64, 48);
            // White with a faint tint (as a lossy export leaves it) on black.
            JpegMask(d, $"lbl/m{n}.jpg", (x, y) => (x - 20 - 5 * n) * (x - 20 - 5 * n) + (y - 24) * (y - 24) < 196 ? new SkiaSharp.SKColor(255, 246, 252) : SkiaSharp.SKColors.Black);
        }
        var draft = DatasetDraft.Inspect(d.PathOf("img"), d.PathOf("lbl"));
        Assert.Equal(DraftMaskKind.GrayThreshold, draft.MaskKind);
        Assert.InRange(draft.DistinctValues, 3, 256);   // gray (luma) values, not the colours they came from
        draft.Write(d.PathOf("t.yaml"));
        var spec = DatasetSpec.Load(d.PathOf("t.yaml"));
        var check = new DataChecker(spec).Check();
        Assert.True(check.IsClean, string.Join("\n", check.Problems.Select(p => p.Message)));
        var mask = new MaskDecoder(spec).Decode(d.PathOf("lbl/m0.jpg"));
        Assert.Equal(1, mask.Labels[24 * 64 + 20]);
        Assert.Equal(0, mask.Labels[5 * 64 + 60]);
    }

    [Fact]
    public void ColourJpegMasksDraftTheirColoursNotTheNoiseAroundThem()
    {
        var d = new TinyDataset("draft-colour-jpeg");
        for (int n = 0; n < 3; n++)
        {
            d.Image($"img/m{n}.png", 160, 120);
            // Slanted region edges, as drawn polygons have (a straight edge on JPEG's 8-pixel block grid repeats one blend colour).
            JpegMask(d, $"lbl/m{n}.jpg", (x, y) => x < 50 + 10 * n + y / 4 ? new SkiaSharp.SKColor(200, 30, 30) : y < 60 + x / 6 ? new SkiaSharp.SKColor(30, 160, 40) : SkiaSharp.SKColors.Black, 160, 120);
        }
        var draft = DatasetDraft.Inspect(d.PathOf("img"), d.PathOf("lbl"));
        Assert.Equal(DraftMaskKind.RgbColors, draft.MaskKind);
        Assert.True(draft.Labels.Count == 3, string.Join("; ", draft.Labels.Select(l => $"{l.Color} {l.Pixels}")));
        Assert.InRange(draft.ColorTolerance, 40, 64);
        draft.Write(d.PathOf("c.yaml"));
        var spec = DatasetSpec.Load(d.PathOf("c.yaml"));
        var mask = new MaskDecoder(spec).Read(d.PathOf("lbl/m0.jpg"));
        // Each region reads as the class drafted from its colour; the edges' noise is within the tolerance or ignored.
        int red = mask.Mask.Labels[24 * 160 + 5], green = mask.Mask.Labels[10 * 160 + 150], black = mask.Mask.Labels[110 * 160 + 150];
        Assert.Equal(3, new[] { red, green, black }.Distinct().Count());
        Assert.DoesNotContain(LabelMask.Ignore, new[] { (byte)red, (byte)green, (byte)black });
    }

    /// <summary>A thin class (a 6-pixel pole) in JPEG colour masks: JPEG scatters its colour over many near colours, so its
    /// exact colour is rare, but its cluster is a class; the edge pixels far from every class colour are ignored
    /// (unmatched: ignore), so the draft checks clean and data check counts them.</summary>
    [Fact]
    public void AThinClassInColourJpegMasksIsDraftedAndEdgePixelsAreIgnored()
    {
        var d = new TinyDataset("draft-thin-jpeg");
        var pole = new SkiaSharp.SKColor(192, 192, 128);
        const int W = 192, H = 144;
        for (int n = 0; n < 4; n++)
        {
            d.Image($"img/m{n}.png", W, H);
            // Slanted edges (as drawn polygons are), a 4-pixel pole.
            JpegMask(d, $"lbl/m{n}.jpg", (x, y) => x - 120 - n is >= 0 and < 6 ? pole : x < 50 + 9 * n + y / 3 ? new SkiaSharp.SKColor(128, 0, 0)
                : y < 60 + x / 5 ? new SkiaSharp.SKColor(64, 0, 128) : new SkiaSharp.SKColor(128, 64, 128), W, H, quality: 90);
        }
        var draft = DatasetDraft.Inspect(d.PathOf("img"), d.PathOf("lbl"));
        Assert.Equal(DraftMaskKind.RgbColors, draft.MaskKind);
        Assert.True(draft.Labels.Count == 4, string.Join("; ", draft.Labels.Select(l => $"{l.Color} {l.Pixels}")));
        // JPEG's 4:2:0 chroma averages a thin region with its neighbours: the pole is drafted as the colour it became.
        var drafted = draft.Labels.MinBy(l => l.Pixels)!;
        Assert.True(drafted.Share < 0.03, $"the pole's share {drafted.Share}");
        draft.Write(d.PathOf("p.yaml"));
        Assert.Contains("unmatched: ignore", File.ReadAllText(d.PathOf("p.yaml")));
        var spec = DatasetSpec.Load(d.PathOf("p.yaml"));
        Assert.True(spec.Mask.IgnoreUnmatched);
        var check = new DataChecker(spec).Check();
        Assert.True(check.IsClean, string.Join("\n", check.Problems.Select(p => p.Message)));
        int poleClass = spec.Classes.Colors.ToList().IndexOf(drafted.Color!.Value);
        var mask = new MaskDecoder(spec).Decode(d.PathOf("lbl/m0.jpg"));
        // JPEG (Skia, quality 90) smears a 6-pixel region's colour; its pixels read as the pole or, far from every class
        // colour, as ignore, hardly ever as another class.
        var polePixels = Enumerable.Range(0, H).SelectMany(y => Enumerable.Range(120, 6).Select(x => (int)mask.Labels[y * W + x])).ToList();
        int asPole = polePixels.Count(v => v == poleClass), asOther = polePixels.Count(v => v != poleClass && v != LabelMask.Ignore);
        Assert.True(asPole >= polePixels.Count * 3 / 10 && asOther <= polePixels.Count / 10, $"of {polePixels.Count} pole pixels {asPole} read as the pole, {asOther} as another class");

        // With unmatched: error, a mask with a pixel far from every class colour is a problem naming it.
        string strict = File.ReadAllText(d.PathOf("p.yaml")).Replace("unmatched: ignore", "unmatched: error").Replace("color_tolerance:", "color_tolerance: 2 #");
        var strictSpec = DatasetSpec.Parse(strict, d.PathOf("s.yaml"));
        Assert.False(new DataChecker(strictSpec).Check().IsClean);
    }

    [Theory]
    [InlineData("encoding: index\n  unmatched: ignore", "mask.unmatched is for encoding: rgb")]
    [InlineData("encoding: rgb\n  unmatched: drop", "mask.unmatched must be 'error'")]
    public void UnmatchedIsCheckedWithOneLine(string mask, string expected)
    {
        var d = new TinyDataset("draft-unmatched-yaml");
        Directory.CreateDirectory(d.PathOf("img"));
        var e = Assert.Throws<SharpSegException>(() => DatasetSpec.Parse($"splits:\n  train: {{ images: img, masks: img }}\nmask:\n  {mask}\nclasses:\n  - {{ name: a, color: [0, 0, 0] }}\n", d.PathOf("u.yaml")));
        Assert.Contains(expected, e.Message);
        Assert.Contains("u.yaml:5:", e.Message);
    }

    /// <summary>Folder names with a quote, a backslash, a tab, a newline and non-ASCII letters are written so that the
    /// draft reads back the same folders.</summary>
    [Fact]
    public void TheDraftQuotesAnyFolderNameSoThatItReadsBack()
    {
        var d = new TinyDataset("draft-names");
        string images = "im\"a\\ges\tß\n", masks = "mä'sks #1";
        d.Image($"{images}/a.png");
        d.GrayMask($"{masks}/a.png", 6, 4, 0, 1);
        var draft = DatasetDraft.Inspect(d.PathOf(images), d.PathOf(masks));
        draft.Write(d.PathOf("n.yaml"));
        var spec = DatasetSpec.Load(d.PathOf("n.yaml"));
        var pair = Assert.Single(spec.ResolvePairs("train"));
        Assert.Equal(d.PathOf($"{images}/a.png"), pair.ImagePath);
        Assert.Equal(d.PathOf($"{masks}/a.png"), pair.MaskPath);
        Assert.Contains("ß", File.ReadAllText(d.PathOf("n.yaml")));
    }

    [Fact]
    public void NoPairsIsAClearError()
    {
        var d = new TinyDataset("draft-nopairs");
        d.Image("img/a.png");
        d.GrayMask("lbl/zzz.png", 6, 4, 0);
        var e = Assert.Throws<SharpSegException>(() => DatasetDraft.Inspect(d.PathOf("img"), d.PathOf("lbl")));
        Assert.Contains("has a mask with the same file stem", e.Message);
        Assert.Contains("does not exist", Assert.Throws<SharpSegException>(() => DatasetDraft.Inspect(d.PathOf("nope"), d.PathOf("lbl"))).Message);
    }

    [Fact]
    public void CliInitRefusesToOverwrite()
    {
        var d = TinyDataset.Clean("draft-cli");
        string outPath = d.PathOf("draft.yaml");
        var r = CliRunner.Run("data", "init", "--images", d.PathOf("train/images"), "--masks", d.PathOf("train/masks"), "--out", outPath);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("wrote " + outPath, r.StdOut);
        r = CliRunner.Run("data", "init", "--images", d.PathOf("train/images"), "--masks", d.PathOf("train/masks"), "--out", outPath);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("already exists; pass --force", r.StdErr);
    }
}
