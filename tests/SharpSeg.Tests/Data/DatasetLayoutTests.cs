using SharpSeg.Data.Dataset;
using SharpSeg.Imaging;
using Xunit;

namespace SharpSeg.Tests.Data;

/// <summary>
/// The folder layouts public datasets ship in, as a new user would point SharpSeg at them (docs/DATASETS.md "Layouts"):
/// Cityscapes (a subfolder per city, image and mask suffixes, several mask kinds side by side) and Pascal VOC (one
/// images folder, one masks folder, split membership in id lists). Each is read by a hand-written dataset.yaml and
/// drafted by <c>data init</c>.
/// </summary>
public sealed class DatasetLayoutTests
{
    static readonly string[] Cities = ["aachen", "bonn"];

    /// <summary>leftImg8bit/{split}/{city}/{city}_00000{i}_000019_leftImg8bit.png and gtFine/... with _gtFine_labelIds,
    /// _gtFine_color and _gtFine_instanceIds masks, values 7 (road), 26 (car) and 0 (unlabelled).</summary>
    static TinyDataset Cityscapes(string name)
    {
        var d = new TinyDataset(name);
        foreach (var split in new[] { "train", "val" })
            foreach (var city in Cities)
                for (int i = 0; i < 2; i++)
                {
                    string id = $"{city}_00000{i}_000019";
                    Directory.CreateDirectory(d.PathOf($"leftImg8bit/{split}/{city}"));
                    Directory.CreateDirectory(d.PathOf($"gtFine/{split}/{city}"));
                    d.Image($"leftImg8bit/{split}/{city}/{id}_leftImg8bit.png");
                    d.GrayMask($"gtFine/{split}/{city}/{id}_gtFine_labelIds.png", 6, 4, 7, 7, 26, 0);
                    d.ColorMask($"gtFine/{split}/{city}/{id}_gtFine_color.png", 6, 4, new Rgb(128, 64, 128), new Rgb(0, 0, 142));
                    d.GrayMask($"gtFine/{split}/{city}/{id}_gtFine_instanceIds.png", 6, 4, 7, 26, 26, 0);
                }
        return d;
    }

    const string CityscapesYaml = """
        name: cityscapes
        splits:
          train: { images: leftImg8bit/train, masks: gtFine/train, recursive: true }
          val: { images: leftImg8bit/val, masks: gtFine/val, recursive: true }
        pairing: { image_suffix: _leftImg8bit, mask_suffix: _gtFine_labelIds }
        mask: { encoding: index, ignore_values: [0] }
        classes:
          - { name: road, value: 7 }
          - { name: car, value: 26 }
        """;

    [Fact]
    public void CityscapesSubfoldersAndSuffixesPairWithinEachCity()
    {
        var d = Cityscapes("layout-cityscapes");
        var spec = DatasetSpec.Load(d.Yaml(CityscapesYaml));
        var listing = spec.ListSplit("train");
        Assert.Empty(listing.Problems);
        Assert.Equal(["aachen/aachen_000000_000019", "aachen/aachen_000001_000019", "bonn/bonn_000000_000019", "bonn/bonn_000001_000019"],
            listing.Pairs.Select(p => p.Id));
        foreach (var p in listing.Pairs)
        {
            Assert.EndsWith("_leftImg8bit.png", p.ImagePath);
            Assert.EndsWith("_gtFine_labelIds.png", p.MaskPath);
            Assert.Equal(Path.GetFileName(Path.GetDirectoryName(p.ImagePath)), Path.GetFileName(Path.GetDirectoryName(p.MaskPath)));
        }
        Assert.Equal(8, listing.Unmatched);   // the _gtFine_color and _gtFine_instanceIds masks

        var check = CliRunner.Run(["data", "check", d.PathOf("dataset.yaml")]);
        Assert.True(check.ExitCode == 0, check.ToString());
        Assert.Contains("cityscapes: checked 8 pairs in 2 splits (train, val): no problems.", check.StdOut);
        Assert.Contains("note: 16 files in the split folders left out", check.StdOut);
    }

    [Fact]
    public void WithoutRecursiveTheErrorSaysSo()
    {
        var d = Cityscapes("layout-cityscapes-flat");
        var yaml = d.Yaml(CityscapesYaml.Replace(", recursive: true", ""));
        var e = Assert.Throws<SharpSegException>(() => DatasetSpec.Load(yaml).ListSplit("train"));
        Assert.Contains("its subfolders hold images: add 'recursive: true' to splits.train", e.Message);
    }

    [Fact]
    public void AMaskInAnotherSubfolderIsAMissingMaskNamingTheSubfolder()
    {
        var d = Cityscapes("layout-cityscapes-moved");
        File.Move(d.PathOf("gtFine/train/bonn/bonn_000001_000019_gtFine_labelIds.png"), d.PathOf("gtFine/train/aachen/bonn_000001_000019_gtFine_labelIds.png"));
        var listing = DatasetSpec.Load(d.Yaml(CityscapesYaml)).ListSplit("train");
        Assert.Equal(3, listing.Pairs.Count);
        Assert.Equal(2, listing.Problems.Count);
        Assert.Contains(listing.Problems, p => p.Kind == PairingProblemKind.MissingMask
            && p.Message.Contains("no mask 'bonn_000001_000019_gtFine_labelIds.*' in '" + d.PathOf("gtFine/train/bonn") + "'"));
        Assert.Contains(listing.Problems, p => p.Kind == PairingProblemKind.MissingImage && p.File.EndsWith("aachen/bonn_000001_000019_gtFine_labelIds.png"));
    }

    [Fact]
    public void DataInitDraftsTheCityscapesLayout()
    {
        var d = Cityscapes("layout-cityscapes-init");
        string yaml = d.PathOf("draft.yaml");
        var r = CliRunner.Run(["data", "init", "--images", d.PathOf("leftImg8bit/train"), "--masks", d.PathOf("gtFine/train"), "--out", yaml]);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("read recursively", r.StdOut);
        Assert.Contains("pairing: image <key>_leftImg8bit <-> mask <key>_gtFine_labelIds", r.StdOut);
        Assert.Contains("<key>_gtFine_instanceIds", r.StdOut);
        Assert.Contains("<key>_gtFine_color", r.StdOut);
        var spec = DatasetSpec.Load(yaml);
        Assert.Equal(new PairingRule("", "_gtFine_labelIds", "", "_leftImg8bit"), spec.Pairing);
        Assert.True(spec.GetSplit("train").Recursive);
        Assert.Equal([0, 7, 26], spec.Classes.Classes.Select(c => c.Value ?? -1));
        Assert.Equal(4, spec.ListSplit("train").Pairs.Count);
    }

    /// <summary><c>data init</c> on the top folders (leftImg8bit, gtFine) drafts one split per split folder rather than
    /// one train split that mixes train and val; a test folder without masks is an unlabelled split.</summary>
    [Fact]
    public void DataInitOnTheTopFoldersDraftsOneSplitPerSplitFolder()
    {
        var d = Cityscapes("layout-cityscapes-init-top");
        Directory.CreateDirectory(d.PathOf("leftImg8bit/test/berlin"));
        d.Image("leftImg8bit/test/berlin/berlin_000000_000019_leftImg8bit.png");
        string yaml = d.PathOf("draft.yaml");
        var r = CliRunner.Run(["data", "init", "--images", d.PathOf("leftImg8bit"), "--masks", d.PathOf("gtFine"), "--out", yaml]);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("splits: test (test, no masks), train (train), val (val), one per subfolder of the images folder.", r.StdOut);
        var spec = DatasetSpec.Load(yaml);
        Assert.Equal(["test", "train", "val"], spec.SplitNames.Order(StringComparer.Ordinal));
        Assert.Equal(4, spec.ListSplit("train").Pairs.Count);
        Assert.Equal(4, spec.ListSplit("val").Pairs.Count);
        Assert.All(spec.ListSplit("val").Pairs, p => Assert.Contains("/val/", p.ImagePath.Replace('\\', '/')));
        Assert.Null(Assert.Single(spec.ListSplit("test").Pairs).MaskPath);
        Assert.True(spec.GetSplit("train").Recursive);
    }

    /// <summary>JPEGImages/ (more images than are segmented), SegmentationClass/ (masks of every split) and
    /// ImageSets/Segmentation/{train,val}.txt.</summary>
    static TinyDataset Voc(string name)
    {
        var d = new TinyDataset(name);
        Directory.CreateDirectory(d.PathOf("JPEGImages"));
        Directory.CreateDirectory(d.PathOf("SegmentationClass"));
        for (int i = 1; i <= 6; i++) d.Image($"JPEGImages/2007_00000{i}.png");
        for (int i = 1; i <= 5; i++) d.GrayMask($"SegmentationClass/2007_00000{i}.png", 6, 4, 0, 1, 1, 255);
        d.Yaml("2007_000001\n2007_000002\n# a comment\n\n2007_000003.jpg\n", "ImageSets/Segmentation/train.txt");
        d.Yaml("2007_000004\n2007_000005\n", "ImageSets/Segmentation/val.txt");
        return d;
    }

    const string VocYaml = """
        name: voc
        splits:
          train: { images: JPEGImages, masks: SegmentationClass, ids: ImageSets/Segmentation/train.txt }
          val: { images: JPEGImages, masks: SegmentationClass, ids: ImageSets/Segmentation/val.txt }
        classes:
          - { name: background }
          - { name: aeroplane }
        """;

    [Fact]
    public void VocIdListsChooseEachSplitsImages()
    {
        var d = Voc("layout-voc");
        var spec = DatasetSpec.Load(d.Yaml(VocYaml));
        var train = spec.ListSplit("train");
        Assert.Empty(train.Problems);   // the val masks and the unsegmented image are not train's problems
        Assert.Equal(["2007_000001", "2007_000002", "2007_000003"], train.Pairs.Select(p => p.Id));
        Assert.Equal(0, train.Unmatched);
        Assert.Equal(3, train.LeftOutByIds.Count);   // val's two images and the unsegmented one
        Assert.Equal(["2007_000004", "2007_000005"], spec.ListSplit("val").Pairs.Select(p => p.Id));
        // Checked together, only the image no split lists is left out (not each split's view of the other's).
        var clean = CliRunner.Run(["data", "check", d.PathOf("dataset.yaml")]);
        Assert.True(clean.ExitCode == 0, clean.ToString());
        Assert.Contains("note: 1 file in the split folders left out", clean.StdOut);

        File.AppendAllText(d.PathOf("ImageSets/Segmentation/val.txt"), "2007_000009\n");
        var val = spec.ListSplit("val");
        var problem = Assert.Single(val.Problems);
        Assert.Equal(d.PathOf("ImageSets/Segmentation/val.txt") + ":3: '2007_000009' has no image '2007_000009.*' in '" + d.PathOf("JPEGImages") + "'; add the image or remove the line.", problem.Message);
        var check = CliRunner.Run(["data", "check", d.PathOf("dataset.yaml")]);
        Assert.Equal(1, check.ExitCode);
        Assert.Contains("val.txt:3: '2007_000009' has no image", check.StdOut);
    }

    /// <summary>data init on VOC's JPEGImages and SegmentationClass finds ImageSets/Segmentation and drafts a split per
    /// id list (trainval left out beside train and val; a list naming none of the images, such as an unrelated
    /// notes.txt, is not a split); the draft checks clean although one image has no mask and not every mask is listed.</summary>
    [Fact]
    public void DataInitDraftsVocSplitsFromItsIdLists()
    {
        var d = Voc("layout-voc-init");
        d.Yaml("2007_000001\n2007_000002\n2007_000003\n2007_000004\n2007_000005\n", "ImageSets/Segmentation/trainval.txt");
        d.Yaml("some notes\n", "ImageSets/Segmentation/notes.txt");
        string yaml = d.PathOf("draft.yaml");
        var r = CliRunner.Run(["data", "init", "--images", d.PathOf("JPEGImages"), "--masks", d.PathOf("SegmentationClass"), "--out", yaml]);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("splits from the id lists in " + d.PathOf("ImageSets/Segmentation") + ": train, val", r.StdOut);
        var spec = DatasetSpec.Load(yaml);
        Assert.Equal(["train", "val"], spec.SplitNames);
        Assert.Equal(["2007_000001", "2007_000002", "2007_000003"], spec.ListSplit("train").Pairs.Select(p => p.Id));
        Assert.Equal(["2007_000004", "2007_000005"], spec.ListSplit("val").Pairs.Select(p => p.Id));
        Assert.Contains("only the images the id lists name form the splits", File.ReadAllText(yaml));
        // The draft's class values are the masks' (0, 1, 255 as the VOC border): named and checked clean.
        var check = CliRunner.Run(["data", "check", yaml]);
        Assert.True(check.ExitCode == 0, check.ToString());

        // Without ImageSets the draft is one train split of every pair, as before.
        Directory.Delete(d.PathOf("ImageSets"), recursive: true);
        var plain = CliRunner.Run(["data", "init", "--images", d.PathOf("JPEGImages"), "--masks", d.PathOf("SegmentationClass"), "--out", yaml, "--force"]);
        Assert.True(plain.ExitCode == 0, plain.ToString());
        Assert.Equal(["train"], DatasetSpec.Load(yaml).SplitNames);
    }

    [Theory]
    [InlineData("train: { list: l.txt, ids: ids.txt }", "has 'list' with 'ids'")]
    [InlineData("train: { images: a, masks: b, recursive: maybe }", "splits.train.recursive must be true or false, got 'maybe'")]
    [InlineData("train: { images: JPEGImages, masks: SegmentationClass, ids: nope.txt }", "ids file 'nope.txt' not found")]
    public void LayoutKeysAreCheckedWithOneLine(string split, string expected)
    {
        var d = Voc("layout-errors");
        string yaml = d.Yaml($"splits:\n  {split}\nclasses: [{{ name: a }}, {{ name: b }}]\n");
        var e = Assert.Throws<SharpSegException>(() => DatasetSpec.Load(yaml).ListSplit("train"));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void DataInitPairsImageAndMaskPrefixes()
    {
        var d = new TinyDataset("layout-prefixes");
        Directory.CreateDirectory(d.PathOf("images"));
        Directory.CreateDirectory(d.PathOf("masks"));
        for (int i = 1; i <= 4; i++)
        {
            d.Image($"images/img_{i:D3}.png");
            d.GrayMask($"masks/mask_{i:D3}.png", 6, 4, 0, 1);
        }
        string yaml = d.PathOf("draft.yaml");
        var r = CliRunner.Run(["data", "init", "--images", d.PathOf("images"), "--masks", d.PathOf("masks"), "--out", yaml]);
        Assert.True(r.ExitCode == 0, r.ToString());
        var spec = DatasetSpec.Load(yaml);
        Assert.Equal(new PairingRule("mask_", "", "img_", ""), spec.Pairing);
        Assert.Equal(["001", "002", "003", "004"], spec.ListSplit("train").Pairs.Select(p => p.Id));
    }
}
