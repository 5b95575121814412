using SharpSeg.Data.Dataset;
using SharpSeg.Data.Masks;
using SharpSeg.Imaging;
using SharpSeg.Tests.Data;
using SharpSeg.Tests.Segmenting;
using Xunit;

namespace SharpSeg.Tests.Inference;

/// <summary><c>predict --masks-like DATASET.yaml</c>: masks written in the dataset's own encoding read back as the same classes.</summary>
public sealed class MasksLikeTests
{
    [Fact]
    public void Masks_in_the_datasets_values_or_colours_read_back_as_the_predicted_classes()
    {
        var d = new TinyDataset("masks-like");
        string images = SegmenterFixture.Images;
        string indices = TestPaths.NewTempDir("masks-like-index");
        var plain = CliRunner.Run("predict", "--checkpoint", SegmenterFixture.Checkpoint, "--input", images, "--out", indices);
        Assert.True(plain.ExitCode == 0, plain.ToString());

        foreach (var (name, yaml) in new[]
        {
            // Values past 255 make a 16-bit mask; a class with several values is written with its first.
            ("values", "splits: { t: { images: . } }\nclasses:\n  - { name: c0, value: 10 }\n  - { name: c1, value: [20, 21] }\n  - { name: c2, value: 300 }\n"),
            ("colours", "splits: { t: { images: . } }\nmask: { encoding: rgb }\nclasses:\n  - { name: c0, color: [0, 0, 0] }\n  - { name: c1, color: [255, 0, 0] }\n  - { name: c2, color: [0, 0, 255] }\n"),
        })
        {
            string spec = d.Yaml(yaml, name + ".yaml");
            string outDir = TestPaths.NewTempDir("masks-like-" + name);
            var r = CliRunner.Run("predict", "--checkpoint", SegmenterFixture.Checkpoint, "--input", images, "--out", outDir, "--masks-like", spec);
            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.Contains("in the mask encoding of", r.StdOut);
            var decoder = new MaskDecoder(DatasetSpec.Load(spec));
            foreach (var stem in new[] { "scene", "odd" })
            {
                var expected = ImageFile.Load(Path.Combine(indices, stem + "_mask.png"), channels: 1).Pixels;
                string written = Path.Combine(outDir, stem + "_mask.png");
                Assert.Equal(expected, decoder.Decode(written).Labels);
                if (name == "values")
                {
                    var raw = ImageFile.ReadRaw(written)!;
                    Assert.Equal(16, raw.BitDepth);
                    Assert.Subset(new HashSet<int> { 10, 20, 300 }, raw.Samples.Select(v => (int)v).ToHashSet());
                }
            }
        }

        // A dataset of palette PNGs (VOC's form) gets palette PNGs back: the same values, with its palette to look at.
        Rgb[] palette = [new(0, 0, 0), new(128, 0, 0), new(0, 128, 0), .. Enumerable.Repeat(new Rgb(224, 224, 192), 253)];
        d.Image("voc/images/a.png");
        PngCodec.SavePalette8(d.PathOf("voc/masks/a.png"), 6, 4, Enumerable.Range(0, 24).Select(p => (byte)(p % 3)).ToArray(), palette);
        string vocYaml = d.Yaml("splits: { train: { images: voc/images, masks: voc/masks } }\nclasses: [{ name: c0 }, { name: c1 }, { name: c2 }]\n", "voc.yaml");
        string vocOut = TestPaths.NewTempDir("masks-like-palette");
        var v = CliRunner.Run("predict", "--checkpoint", SegmenterFixture.Checkpoint, "--input", images, "--out", vocOut, "--masks-like", vocYaml);
        Assert.True(v.ExitCode == 0, v.ToString());
        var vocDecoder = new MaskDecoder(DatasetSpec.Load(vocYaml));
        foreach (var stem in new[] { "scene", "odd" })
        {
            var raw = ImageFile.ReadRaw(Path.Combine(vocOut, stem + "_mask.png"))!;
            Assert.Equal(PngColorType.Palette, raw.ColorType);
            Assert.Equal(palette, raw.Palette!.Take(256));
            Assert.Equal(ImageFile.Load(Path.Combine(indices, stem + "_mask.png"), channels: 1).Pixels, vocDecoder.Decode(Path.Combine(vocOut, stem + "_mask.png")).Labels);
        }

        // A dataset with other classes is one line, before any image is written.
        string other = d.Yaml("splits: { t: { images: . } }\nclasses: [{ name: road }, { name: car }]\n", "other.yaml");
        string none = TestPaths.NewTempDir("masks-like-refused");
        var e = CliRunner.Run("predict", "--checkpoint", SegmenterFixture.Checkpoint, "--input", images, "--out", none, "--masks-like", other);
        Assert.True(e.ExitCode == 1, e.ToString());
        Assert.Single(e.StdErr.Trim().Split('\n'));
        Assert.Contains("its classes (road, car) are not the model's (c0, c1, c2)", e.StdErr);
        Assert.Empty(Directory.GetFiles(none, "*_mask.png"));
    }
}
