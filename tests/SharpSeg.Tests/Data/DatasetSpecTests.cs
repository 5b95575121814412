using SharpSeg.Data;
using SharpSeg.Imaging;
using Xunit;
using SharpSeg.Data.Dataset;
using SharpSeg.Data.Masks;

namespace SharpSeg.Tests.Data;

public sealed class DatasetSpecTests
{
    static SharpSegException Fails(string yaml, string file = "camvid.yaml")
    {
        var d = new TinyDataset("spec");
        string path = d.Yaml(yaml, file);
        return Assert.Throws<SharpSegException>(() => DatasetSpec.Load(path));
    }

    [Fact]
    public void ReadsEveryDocumentedKeyOfAnIndexDataset()
    {
        var d = new TinyDataset("spec-index");
        Directory.CreateDirectory(d.PathOf("cfg/data/train/images"));
        string yaml = d.Yaml("""
            name: mine
            root: data
            splits:
              train: { images: train/images, masks: train/masks }
              extra: { list: extra.txt }
              unlabelled: { images: test/images }
            pairing:
              mask_suffix: "_L"
              mask_prefix: "m_"
            image_channels: 1
            mask:
              encoding: index
              ignore_values: [11, 12]
            classes:
              - { name: Sky, color: [128, 128, 128] }
              - { name: cell, color: [255, 255, 255], value: 255 }
              - { name: third }
            """, "cfg/mine.yaml");
        var spec = DatasetSpec.Load(yaml);
        Assert.Equal("mine", spec.Name);
        Assert.Equal(Path.GetFullPath(d.PathOf("cfg/data")), spec.Root);
        Assert.Equal(yaml, spec.SourcePath);
        Assert.Equal(1, spec.ImageChannels);
        Assert.Equal(new PairingRule("m_", "_L"), spec.Pairing);
        Assert.Equal("m_foo_L", spec.Pairing.MaskStemFor("foo"));
        Assert.Equal(MaskEncodingKind.Index, spec.Mask.Kind);
        Assert.Equal([11, 12], spec.Mask.IgnoreValues);
        Assert.Equal(["train", "extra", "unlabelled"], spec.SplitNames);
        Assert.Equal(new SplitSource("train", "train/images", "train/masks", null), spec.GetSplit("train"));
        Assert.Equal(new SplitSource("extra", null, null, "extra.txt"), spec.GetSplit("extra"));
        Assert.True(spec.GetSplit("unlabelled").IsUnlabelled);
        Assert.Equal(3, spec.Classes.Count);
        Assert.Equal(new ClassInfo("Sky", new Rgb(128, 128, 128), 0), spec.Classes[0]);
        Assert.Equal(new ClassInfo("cell", new Rgb(255, 255, 255), 255), spec.Classes[1]);
        Assert.Equal(2, spec.Classes[2].Value); // value defaults to the position
        Assert.Equal(ClassTable.DefaultColor(2), spec.Classes[2].Color);
        Assert.Equal(1, spec.Classes.IndexOf("cell"));
        Assert.Equal(-1, spec.Classes.IndexOf("Cell"));
    }

    [Fact]
    public void ReadsAnRgbDatasetAndDefaults()
    {
        var d = new TinyDataset("spec-rgb");
        string yaml = d.Yaml("""
            splits:
              train: { images: i, masks: m }
            mask:
              encoding: rgb
              ignore_colors: [[0, 0, 0], [255, 255, 255]]
              color_tolerance: 8
            classes:
              - { name: road, color: [128, 64, 128] }
              - { name: car, color: [0, 0, 142] }
            """, "rgbset.yaml");
        var spec = DatasetSpec.Load(yaml);
        Assert.Equal("rgbset", spec.Name);          // default: the file stem
        Assert.Equal(Path.GetFullPath(d.Root), spec.Root);     // default: the yaml's folder
        Assert.Equal(3, spec.ImageChannels);
        Assert.Equal(PairingRule.SameStem, spec.Pairing);
        Assert.Equal(MaskEncodingKind.Rgb, spec.Mask.Kind);
        Assert.Equal([new Rgb(0, 0, 0), new Rgb(255, 255, 255)], spec.Mask.IgnoreColors);
        Assert.Empty(spec.Mask.IgnoreValues);
        Assert.Equal(8, spec.Mask.ColorTolerance);
        Assert.Null(spec.Classes[0].Value);
    }

    [Fact]
    public void ClassTableRoundTripsThroughJson()
    {
        // A 16-bit value (past 255) and several values for one class (value: [7, 8]) survive too: a checkpoint trained on
        // such masks must load again.
        var table = new ClassTable([new ClassInfo("Sky", new Rgb(128, 128, 128), 0), new ClassInfo("cell", new Rgb(255, 255, 255), 255), new ClassInfo("road", new Rgb(1, 2, 3), null),
            new ClassInfo("deep", new Rgb(4, 5, 6), 1000), new ClassInfo("flat", new Rgb(7, 8, 9), 7) { MoreValues = [8, 65535] }]);
        string json = System.Text.Json.JsonSerializer.Serialize(table);
        var back = System.Text.Json.JsonSerializer.Deserialize<ClassTable>(json)!;
        Assert.Equal(table.Classes, back.Classes);
        Assert.Equal([8, 65535], back.Classes[4].MoreValues);
        Assert.Equal(2, back.IndexOf("road"));
        Assert.Contains("\"more_values\":[8,65535]", json);
        Assert.DoesNotContain("Count", json);
        Assert.StartsWith("""[{"name":"Sky","color":[128,128,128],"value":0}""", json);
    }

    [Fact]
    public void ClassTableReadsTheColoursOfSharpSeg10CheckpointsAndRefusesBadOnes()
    {
        // SharpSeg 1.0 wrote each colour as base64 of its three bytes ("gICA" is 128, 128, 128).
        var old = System.Text.Json.JsonSerializer.Deserialize<ClassTable>("""[{"name": "Sky", "color": "gICA"}, {"name": "Road", "color": [128, 64, 128]}]""")!;
        Assert.Equal([new ClassInfo("Sky", new Rgb(128, 128, 128), null), new ClassInfo("Road", new Rgb(128, 64, 128), null)], old.Classes);
        foreach (var (bad, message) in new[]
        {
            ("""[{"name": "a", "color": [1, 2]}]""", "class 0: color must be 3 values 0..255"),
            ("""[{"name": "a", "color": [1, 2, 300]}]""", "class 0: color must be 3 values 0..255"),
            ("""[{"name": "a", "color": "gIA="}]""", "class 0: color must be 3 values 0..255"),
            ("""[{"name": "a", "color": [1, 2, 3]}, {"color": [1, 2, 3]}]""", "class 1 needs a name and a colour"),
            ("""[{"name": "a", "color": [1, 2, 3], "value": 65536}]""", "class 0: value must be a mask file value 0..65535"),
            ("""[{"name": "a", "color": [1, 2, 3], "value": 1, "more_values": [-1]}]""", "class 0: value must be a mask file value 0..65535"),
            ("""[{"name": "a", "color": [1, 2, 3], "more_values": [2]}]""", "class 0: more_values without a value"),
            ("""{"classes": []}""", "classes must be an array"),
        })
            Assert.Contains(message, Assert.Throws<System.Text.Json.JsonException>(() => System.Text.Json.JsonSerializer.Deserialize<ClassTable>(bad)).Message);
    }

    [Fact]
    public void IndexDefaultsIgnoreTo255()
    {
        var d = new TinyDataset("spec-default");
        var spec = DatasetSpec.Load(d.Yaml(TinyDataset.CleanYaml));
        Assert.Equal([255], spec.Mask.IgnoreValues);
        Assert.Equal([0, 1, 2], spec.Classes.Classes.Select(c => c.Value!.Value));
    }

    [Fact]
    public void TypoInTopLevelKeySuggestsTheNearest()
    {
        var e = Fails("""
            splits:
              train: { images: i, masks: m }
            clases:
              - { name: a }
            """);
        Assert.Contains("camvid.yaml:3: unknown key 'clases' (did you mean 'classes'?)", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void TypoInNestedKeysSuggestsTheNearest()
    {
        Assert.Contains("unknown key 'mask.encodng' (did you mean 'mask.encoding'?)", Fails("""
            splits: { train: { images: i, masks: m } }
            mask: { encodng: index }
            classes: [{ name: a }]
            """).Message);
        Assert.Contains("unknown key 'splits.train.mask' (did you mean 'splits.train.masks'?)", Fails("""
            splits: { train: { images: i, mask: m } }
            classes: [{ name: a }]
            """).Message);
        Assert.Contains("did you mean 'classes[].color'?", Fails("""
            splits: { train: { images: i, masks: m } }
            classes: [{ name: a, colour: [1, 2, 3] }]
            """).Message);
        Assert.Contains("unknown key 'zzzzzz' (valid: name, root", Fails("""
            zzzzzz: 1
            """).Message);
    }

    [Fact]
    public void ClassListedTwiceIsAnError()
    {
        Assert.Contains("class 'cat' is listed twice", Fails("""
            splits: { train: { images: i, masks: m } }
            classes: [{ name: cat }, { name: dog }, { name: cat }]
            """).Message);
        Assert.Contains("classes 'Car' (position 1) and 'car' (position 2) differ only in letter case", Fails("""
            splits: { train: { images: i, masks: m } }
            classes: [{ name: road }, { name: Car }, { name: car }]
            """).Message);
        Assert.Contains("value 1 is listed twice (classes 'dog' and 'cow'); each value belongs to one class. Class 'dog' has no 'value', so it takes its position in classes (1): give it its own value.", Fails("""
            splits: { train: { images: i, masks: m } }
            classes: [{ name: cat }, { name: dog }, { name: cow, value: 1 }]
            """).Message);
        Assert.Contains("value 2 is listed twice (classes 'a' and 'c'); each value belongs to one class. Class 'c' has no 'value', so it takes its position in classes (2)", Fails("""
            splits: { train: { images: i, masks: m } }
            classes: [{ name: bg }, { name: a, value: 2 }, { name: c }]
            """).Message);
        Assert.Contains("colour (1, 2, 3) is listed twice", Fails("""
            splits: { train: { images: i, masks: m } }
            mask: { encoding: rgb }
            classes: [{ name: cat, color: [1, 2, 3] }, { name: dog, color: [1, 2, 3] }]
            """).Message);
    }

    [Fact]
    public void ValueThatIsBothClassAndIgnoreTellsToFixIgnoreValues()
    {
        var e = Fails("""
            splits: { train: { images: i, masks: m } }
            classes:
              - { name: membrane, value: 0 }
              - { name: cell, value: 255 }
            """, "isbi.yaml");
        Assert.Contains("isbi.yaml:4: value 255 is both class 'cell' and an ignore value", e.Message);
        Assert.Contains("ignore_values", e.Message);
    }

    [Fact]
    public void OtherInvalidValuesAreOneLineErrors()
    {
        Assert.Contains("image_channels must be 1 (grayscale) or 3", Fails("splits: { t: { images: i } }\nimage_channels: 4\nclasses: [{ name: a }]").Message);
        Assert.Contains("mask.encoding must be 'index'", Fails("splits: { t: { images: i } }\nmask: { encoding: rbg }\nclasses: [{ name: a }]").Message);
        Assert.Contains("did you mean 'rgb'", Fails("splits: { t: { images: i } }\nmask: { encoding: rbg }\nclasses: [{ name: a }]").Message);
        Assert.Contains("each value belongs to one class", Fails("splits: { t: { images: i } }\nclasses: [{ name: a, value: 1 }, { name: b }]").Message);
        Assert.Contains("[r, g, b]", Fails("splits: { t: { images: i } }\nclasses: [{ name: a, color: [1, 2] }]").Message);
        Assert.Contains("'classes' is missing", Fails("splits: { t: { images: i } }").Message);
        Assert.Contains("'splits' is missing", Fails("classes: [{ name: a }]").Message);
        Assert.Contains("has no 'color'", Fails("splits: { t: { images: i } }\nmask: { encoding: rgb }\nclasses: [{ name: a }]").Message);
        Assert.Contains("YAML syntax error", Fails("splits: { t: { images: i }\nclasses: [").Message);
        var many = "splits: { t: { images: i } }\nmask: { ignore_values: [] }\nclasses:\n" + string.Concat(Enumerable.Range(0, 256).Select(i => $"  - {{ name: c{i} }}\n"));
        Assert.Contains("at most 255", Fails(many).Message);
    }

    [Fact]
    public void MissingRootAndFileAreClearErrors()
    {
        var e = Fails("root: nowhere\nsplits: { t: { images: i } }\nclasses: [{ name: a }]");
        Assert.Contains("dataset root", e.Message);
        Assert.Contains("nowhere", e.Message);
        Assert.Contains("--data-root", e.Message);
        Assert.Contains("dataset file not found", Assert.Throws<SharpSegException>(() => DatasetSpec.Load("/no/such/file.yaml")).Message);
    }

    [Fact]
    public void DataRootOverridesRoot()
    {
        var d = TinyDataset.Clean("spec-dataroot");
        var other = TinyDataset.Clean("spec-dataroot-other");
        var spec = DatasetSpec.Load(d.PathOf("dataset.yaml"), other.Root);
        Assert.Equal(Path.GetFullPath(other.Root), spec.Root);
        Assert.All(spec.ResolvePairs("train"), p => Assert.StartsWith(other.Root, p.ImagePath));
    }

    [Fact]
    public void UnknownSplitListsTheValidOnes()
    {
        var d = TinyDataset.Clean("spec-split");
        var spec = DatasetSpec.Load(d.PathOf("dataset.yaml"));
        var e = Assert.Throws<SharpSegException>(() => spec.ResolvePairs("tarin"));
        Assert.Contains("no split 'tarin' (did you mean 'train'?)", e.Message);
        Assert.Contains("the splits are: train", e.Message);
    }

    [Fact]
    public void PairsByStemWithSuffixAndReportsOrphans()
    {
        var d = new TinyDataset("spec-pairing");
        d.Image("img/a.png"); d.Image("img/b.jpg.png"); d.Image("img/c.png");
        d.GrayMask("lbl/a_L.png", 6, 4, 0); d.GrayMask("lbl/b.jpg_L.png", 6, 4, 0); d.GrayMask("lbl/z_L.png", 6, 4, 0);
        File.WriteAllText(d.PathOf("img/notes.txt"), "not an image");
        var spec = DatasetSpec.Load(d.Yaml("""
            splits: { train: { images: img, masks: lbl } }
            pairing: { mask_suffix: _L }
            classes: [{ name: a }]
            """));
        var listing = spec.ListSplit("train");
        Assert.Equal(["a", "b.jpg"], listing.Pairs.Select(p => p.Id));
        Assert.Equal(d.PathOf("lbl/a_L.png"), listing.Pairs[0].MaskPath);
        Assert.Equal(2, listing.Problems.Count);
        var missingMask = Assert.Single(listing.Problems, p => p.Kind == PairingProblemKind.MissingMask);
        Assert.Equal(d.PathOf("img/c.png"), missingMask.File);
        Assert.Contains("no mask 'c_L.*'", missingMask.Message);
        var missingImage = Assert.Single(listing.Problems, p => p.Kind == PairingProblemKind.MissingImage);
        Assert.Equal(d.PathOf("lbl/z_L.png"), missingImage.File);
        var e = Assert.Throws<SharpSegException>(() => spec.ResolvePairs("train"));
        Assert.Contains("(1 more problem in split 'train'", e.Message);
    }

    [Fact]
    public void ListFileSplitsAndUnlabelledSplits()
    {
        var d = new TinyDataset("spec-list");
        d.Image("images/0.png"); d.Image("images/1.png"); d.Image("test/9.png");
        d.GrayMask("masks/0.png", 6, 4, 0); d.GrayMask("masks/1.png", 6, 4, 0);
        File.WriteAllText(d.PathOf("lists.txt"), "# comment\n\nimages/0.png masks/0.png\n  images/1.png   masks/1.png  \nimages/2.png masks/2.png\na b c\n");
        var spec = DatasetSpec.Load(d.Yaml("""
            splits:
              train: { list: lists.txt }
              unlabelled: { images: test }
            classes: [{ name: a }]
            """));
        var listing = spec.ListSplit("train");
        Assert.Equal([("0", d.PathOf("images/0.png"), d.PathOf("masks/0.png")), ("1", d.PathOf("images/1.png"), d.PathOf("masks/1.png"))],
            listing.Pairs.Select(p => (p.Id, p.ImagePath, p.MaskPath!)));
        Assert.Equal([PairingProblemKind.MissingImage, PairingProblemKind.MissingMask, PairingProblemKind.BadListLine], listing.Problems.Select(p => p.Kind));
        Assert.Contains("line 5", listing.Problems[0].Message);
        var unlabelled = spec.ResolvePairs("unlabelled");
        Assert.Equal(new SamplePair("9", d.PathOf("test/9.png"), null), Assert.Single(unlabelled));
    }

    [Fact]
    public void MissingOrEmptySplitFolderIsAnError()
    {
        var d = new TinyDataset("spec-empty");
        Directory.CreateDirectory(d.PathOf("empty"));
        var spec = DatasetSpec.Load(d.Yaml("splits: { a: { images: empty }, b: { images: gone } }\nclasses: [{ name: x }]"));
        Assert.Contains("no images", Assert.Throws<SharpSegException>(() => spec.ListSplit("a")).Message);
        var e = Assert.Throws<SharpSegException>(() => spec.ListSplit("b"));
        Assert.Contains("images folder", e.Message);
        Assert.Contains("does not exist", e.Message);
    }
}
