using SharpSeg.Data;
using SharpSeg.Imaging;
using Xunit;
using SharpSeg.Data.Dataset;
using SharpSeg.Data.Masks;

namespace SharpSeg.Tests.Data;

public sealed class MaskDecoderTests
{
    static DatasetSpec Spec(TinyDataset d, string yaml) => DatasetSpec.Load(d.Yaml(yaml));

    [Fact]
    public void IndexValueMapTurns0And255IntoClasses()
    {
        var d = new TinyDataset("mask-isbi");
        string mask = d.GrayMask("m.png", 4, 2, 0, 255, 255, 0);
        var spec = Spec(d, """
            splits: { t: { images: . } }
            mask: { ignore_values: [] }
            classes: [{ name: membrane, value: 0 }, { name: cell, value: 255 }]
            """);
        var m = new MaskDecoder(spec).Decode(mask);
        Assert.Equal(new byte[] { 0, 1, 1, 0, 0, 1, 1, 0 }, m.Labels);
    }

    [Fact]
    public void IgnoreValuesMapToIgnoreAndUndefinedValuesAreReported()
    {
        var d = new TinyDataset("mask-ignore");
        string mask = d.GrayMask("m.png", 5, 2, 0, 1, 11, 7, 7);
        var spec = Spec(d, """
            splits: { t: { images: . } }
            mask: { ignore_values: [11] }
            classes: [{ name: a }, { name: b }]
            """);
        var decoder = new MaskDecoder(spec);
        var reading = decoder.Read(mask);
        Assert.Equal(new byte[] { 0, 1, LabelMask.Ignore, LabelMask.Ignore, LabelMask.Ignore, 0, 1, LabelMask.Ignore, LabelMask.Ignore, LabelMask.Ignore }, reading.Mask.Labels);
        Assert.Equal(new UndefinedLabel(7, null, 4), Assert.Single(reading.Undefined));
        var e = Assert.Throws<SharpSegException>(() => decoder.Decode(mask));
        Assert.Contains($"{mask}: mask value 7 (4 pixels) not defined in", e.Message);
        Assert.Contains("mask.ignore_values", e.Message);
    }

    [Fact]
    public void SeveralValuesCanBeOneClass()
    {
        // Cityscapes' labelIds merged into categories: road 7 and sidewalk 8 are 'flat', building 11 'construction'.
        var d = new TinyDataset("mask-many-to-one");
        string mask = d.GrayMask("m.png", 6, 1, 0, 7, 8, 11, 26, 9);
        var spec = Spec(d, """
            splits: { t: { images: . } }
            mask: { ignore_values: [0, 255] }
            classes: [{ name: flat, value: [7, 8] }, { name: construction, value: 11 }, { name: vehicle, value: [26] }]
            """);
        Assert.Equal([8], spec.Classes[0].MoreValues);
        Assert.Equal(7, spec.Classes[0].Value);
        var reading = new MaskDecoder(spec).Read(mask);
        Assert.Equal(new byte[] { LabelMask.Ignore, 0, 0, 1, 2, LabelMask.Ignore }, reading.Mask.Labels);
        Assert.Equal(new UndefinedLabel(9, null, 1), Assert.Single(reading.Undefined));
        // Masks SharpSeg writes use each class's first value.
        Assert.Equal(new[] { 7, 11, 26 }, spec.Classes.Classes.Select(c => c.Value!.Value));

        static string Fails(TinyDataset d, string yaml) => Assert.Throws<SharpSegException>(() => DatasetSpec.Load(d.Yaml(yaml, "bad.yaml"))).Message;
        Assert.Contains("value 8 is listed twice (classes 'flat' and 'construction'); each value belongs to one class", Fails(d, """
            splits: { t: { images: . } }
            classes: [{ name: flat, value: [7, 8] }, { name: construction, value: [11, 8] }]
            """));
        Assert.Contains("value 7 is listed twice for class 'flat'", Fails(d, """
            splits: { t: { images: . } }
            classes: [{ name: flat, value: [7, 7] }]
            """));
        Assert.Contains("value 255 is both class 'flat' and an ignore value", Fails(d, """
            splits: { t: { images: . } }
            classes: [{ name: flat, value: [7, 255] }]
            """));
        Assert.Contains("is an empty list", Fails(d, """
            splits: { t: { images: . } }
            classes: [{ name: flat, value: [] }]
            """));
    }

    [Fact]
    public void PaletteIndexIsTheValueWhateverThePaletteColours()
    {
        var d = new TinyDataset("mask-palette");
        string mask = d.PathOf("voc.png");
        PngCodec.SavePalette8(mask, 3, 2, [0, 1, 2, 255, 0, 1], Enumerable.Range(0, 256).Select(i => new Rgb((byte)i, 0, (byte)(255 - i))).ToArray());
        var spec = Spec(d, """
            splits: { t: { images: . } }
            classes: [{ name: background }, { name: aeroplane }, { name: bicycle }]
            """);
        Assert.Equal(new byte[] { 0, 1, 2, LabelMask.Ignore, 0, 1 }, new MaskDecoder(spec).Decode(mask).Labels);
    }

    [Fact]
    public void SixteenBitValuesAreKept()
    {
        var d = new TinyDataset("mask-16");
        string mask = d.PathOf("m16.png");
        PngCodec.Save(new PngRaster(2, 2, PngColorType.Gray, 16, [1000, 2000, 1000, 65535]), mask);
        var spec = Spec(d, """
            splits: { t: { images: . } }
            mask: { ignore_values: [65535] }
            classes: [{ name: a, value: 1000 }, { name: b, value: 2000 }]
            """);
        Assert.Equal(new byte[] { 0, 1, 0, LabelMask.Ignore }, new MaskDecoder(spec).Decode(mask).Labels);
    }

    [Fact]
    public void NonPngIndexMaskIsReadAsGray()
    {
        var d = new TinyDataset("mask-bmp");
        string mask = d.PathOf("m.bmp");
        WriteBmp(mask, 3, 2, [new Rgb(0, 0, 0), new Rgb(1, 1, 1), new Rgb(2, 2, 2), new Rgb(1, 1, 1), new Rgb(0, 0, 0), new Rgb(255, 255, 255)]);
        var spec = Spec(d, "splits: { t: { images: . } }\nclasses: [{ name: a }, { name: b }, { name: c }]");
        Assert.Equal(new byte[] { 0, 1, 2, 1, 0, LabelMask.Ignore }, new MaskDecoder(spec).Decode(mask).Labels);
    }

    [Fact]
    public void ColourMaskInIndexDatasetSuggestsRgbEncoding()
    {
        var d = new TinyDataset("mask-wrongenc");
        string mask = d.ColorMask("m.png", 3, 2, new Rgb(0, 0, 0), new Rgb(128, 64, 128));
        var spec = Spec(d, "splits: { t: { images: . } }\nclasses: [{ name: a }]");
        var e = Assert.Throws<SharpSegException>(() => new MaskDecoder(spec).Decode(mask));
        Assert.Contains($"{mask}: mask has colours (pixel (1, 0) is (128, 64, 128))", e.Message);
        Assert.Contains("mask.encoding: rgb", e.Message);
    }

    [Fact]
    public void RgbEncodingMatchesWithinToleranceAndMapsIgnoreColours()
    {
        var d = new TinyDataset("mask-rgb");
        // JPEG-like damage: colours a few levels off.
        string mask = d.ColorMask("m.png", 4, 1, new Rgb(130, 62, 129), new Rgb(0, 0, 140), new Rgb(2, 1, 0), new Rgb(128, 64, 128));
        const string yaml = """
            splits: { t: { images: . } }
            mask:
              encoding: rgb
              ignore_colors: [[0, 0, 0]]
              color_tolerance: TOL
            classes: [{ name: road, color: [128, 64, 128] }, { name: car, color: [0, 0, 142] }]
            """;
        var tolerant = new MaskDecoder(Spec(d, yaml.Replace("TOL", "3")));
        Assert.Equal(new byte[] { 0, 1, LabelMask.Ignore, 0 }, tolerant.Decode(mask).Labels);

        var exact = new MaskDecoder(Spec(d, yaml.Replace("TOL", "0")));
        var reading = exact.Read(mask);
        Assert.Equal(new byte[] { LabelMask.Ignore, LabelMask.Ignore, LabelMask.Ignore, 0 }, reading.Mask.Labels);
        Assert.Equal(3, reading.Undefined.Count);
    }

    [Fact]
    public void UndefinedColourErrorNamesFileColourAndPixels()
    {
        var d = new TinyDataset("mask-undef");
        string mask = d.ColorMask("cat.png", 3, 3, new Rgb(128, 64, 128), new Rgb(1, 2, 3), new Rgb(1, 2, 3));
        var spec = Spec(d, """
            splits: { t: { images: . } }
            mask: { encoding: rgb }
            classes: [{ name: road, color: [128, 64, 128] }]
            """);
        var e = Assert.Throws<SharpSegException>(() => new MaskDecoder(spec).Decode(mask));
        Assert.Contains($"{mask}: mask colour (1, 2, 3) (6 pixels) not a class colour", e.Message);
        Assert.Contains("color_tolerance", e.Message);
    }

    [Fact]
    public void RgbEncodingReadsPaletteColours()
    {
        var d = new TinyDataset("mask-rgbpal");
        string mask = d.PathOf("p.png");
        PngCodec.SavePalette8(mask, 2, 1, [1, 0], [new Rgb(0, 0, 142), new Rgb(128, 64, 128)]);
        var spec = Spec(d, """
            splits: { t: { images: . } }
            mask: { encoding: rgb }
            classes: [{ name: road, color: [128, 64, 128] }, { name: car, color: [0, 0, 142] }]
            """);
        Assert.Equal(new byte[] { 0, 1 }, new MaskDecoder(spec).Decode(mask).Labels);
    }

    [Fact]
    public void SampleDecoderChecksSizesAndReadsImageChannels()
    {
        var d = new TinyDataset("sample");
        string img = d.Image("a.png", 6, 4);
        string good = d.GrayMask("a_ok.png", 6, 4, 0, 1);
        string bad = d.GrayMask("a_bad.png", 3, 2, 0);
        var spec = Spec(d, "splits: { t: { images: . } }\nimage_channels: 1\nclasses: [{ name: a }, { name: b }]");
        var decoder = new SampleDecoder(spec);
        var s = decoder.Decode(new SamplePair("a", img, good));
        Assert.Equal((1, 6, 4), (s.Image.Channels, s.Mask.Width, s.Mask.Height));
        var e = Assert.Throws<SharpSegException>(() => decoder.Decode(new SamplePair("a", img, bad)));
        Assert.Contains($"mask 3x2 does not match image 6x4: {bad}", e.Message);
        Assert.Contains("has no mask", Assert.Throws<SharpSegException>(() => decoder.Decode(new SamplePair("a", img, null))).Message);
    }

    /// <summary>A 24-bit bottom-up BMP, written by hand.</summary>
    static void WriteBmp(string path, int w, int h, Rgb[] pixels)
    {
        int rowBytes = (w * 3 + 3) / 4 * 4;
        var bytes = new byte[54 + rowBytes * h];
        void U32(int at, int v) => BitConverter.GetBytes(v).CopyTo(bytes, at);
        bytes[0] = (byte)'B'; bytes[1] = (byte)'M';
        U32(2, bytes.Length); U32(10, 54); U32(14, 40); U32(18, w); U32(22, h);
        bytes[26] = 1; bytes[28] = 24; U32(34, rowBytes * h);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                var c = pixels[y * w + x];
                int at = 54 + (h - 1 - y) * rowBytes + 3 * x;
                bytes[at] = c.B; bytes[at + 1] = c.G; bytes[at + 2] = c.R;
            }
        File.WriteAllBytes(path, bytes);
    }
}
