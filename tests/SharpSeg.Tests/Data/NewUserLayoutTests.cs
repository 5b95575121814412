using SharpSeg.Data.Checks;
using SharpSeg.Data.Dataset;
using SharpSeg.Imaging;
using Xunit;

namespace SharpSeg.Tests.Data;

/// <summary>Public datasets' layouts as a new user brings them (found by a new-user audit, 2026-12-07): what
/// <c>data init</c> drafts and <c>data check</c> says must not lose or invent data.</summary>
public sealed class NewUserLayoutTests
{
    [Fact]
    public void ASecondMaskBesideAnImageIsNotAnImageWithoutAMask()
    {
        // BUSI: 'benign (1).png' beside 'benign (1)_mask.png', and a second lesion's 'benign (1)_mask_1.png'.
        var d = new TinyDataset("layout-busi");
        for (int i = 1; i <= 3; i++) { d.Image($"benign/benign ({i}).png"); d.GrayMask($"benign/benign ({i})_mask.png", 6, 4, 0, 255); }
        d.GrayMask("benign/benign (1)_mask_1.png", 6, 4, 255, 0);
        var draft = DatasetDraft.Inspect(d.PathOf("benign"), masksDir: null);
        Assert.Equal(3, draft.Pairs);
        Assert.Equal(0, draft.ImagesWithoutMask);
        Assert.Equal(["benign (1)_mask_1.png"], draft.ExtraFiles.Select(Path.GetFileName));
        string yaml = d.PathOf("busi.yaml");
        draft.Write(yaml);
        string text = File.ReadAllText(yaml);
        Assert.DoesNotContain("missing:", text);
        Assert.Contains("named as an image plus a suffix (e.g. \"benign (1)_mask_1.png\")", text);

        // Read as an image without a mask, it is a problem, and mask.missing does not turn it into an all-background image.
        Assert.Contains(new DataChecker(DatasetSpec.Load(yaml)).Check().Problems, p => p.File.EndsWith("benign (1)_mask_1.png"));
        File.WriteAllText(yaml, text.Replace("classes:", "  missing: class_0\nclasses:").Replace("mask:\n  encoding: index", "mask:\n  encoding: index"));
        // Another view of a part ('benign (2)_b.png', no mask) is an image like any other: read as all background.
        d.Image("benign/benign (2)_b.png");
        var spec = DatasetSpec.Load(yaml);
        var report = new DataChecker(spec).Check();
        var problem = Assert.Single(report.Problems);
        Assert.Contains("named as image 'benign (1)' plus a suffix", problem.Message);
        Assert.Equal(1, report.FilledMasks);
    }

    [Fact]
    public void SatelliteTilesBesideTheirMasksWithAnUnlabelledValidFolder()
    {
        // DeepGlobe: train/123_sat.jpg beside train/123_mask.png (colours), valid/ with images only, class_dict.csv.
        var d = new TinyDataset("layout-deepglobe");
        Rgb urban = new(0, 255, 255), water = new(0, 0, 255), unknown = new(0, 0, 0);
        for (int i = 0; i < 3; i++) { d.Image($"train/10045{i}_sat.png"); d.ColorMask($"train/10045{i}_mask.png", 6, 4, urban, water, unknown); }
        for (int i = 5; i < 7; i++) d.Image($"valid/20045{i}_sat.png");
        File.WriteAllText(d.PathOf("class_dict.csv"), "name,r,g,b\nurban_land,0,255,255\nwater,0,0,255\nunknown,0,0,0\n");
        var draft = DatasetDraft.Inspect(d.PathOf("train"), masksDir: null);
        Assert.Equal(("", "_mask", "", "_sat"), (draft.Pairing.MaskPrefix, draft.Pairing.MaskSuffix, draft.Pairing.ImagePrefix, draft.Pairing.ImageSuffix));
        Assert.Equal((0, 0), (draft.ImagesWithoutMask, draft.FilesOfOtherKinds));
        string yaml = d.PathOf("train.yaml");
        draft.Write(yaml);
        var spec = DatasetSpec.Load(yaml);
        Assert.Equal(["urban_land", "water"], spec.Classes.Names);
        Assert.Equal([unknown], spec.Mask.IgnoreColors);
        var report = new DataChecker(spec).Check();
        Assert.True(report.IsClean);
        Assert.Equal(0, report.FilesNotMatched);   // the masks beside the images are not "files left out"

        // From the root: valid/ has no masks, so it is drafted unlabelled, not as a val split whose masks are missing.
        draft = DatasetDraft.Inspect(d.PathOf("."), masksDir: null);
        var valid = Assert.Single(draft.SplitsFromFolders, f => f.Split == "val");
        Assert.Null(valid.Masks);
    }

    [Fact]
    public void ANameMacOsWroteDecomposedIsToldAsTheTwinOfTheSameNameComposed()
    {
        // A new-user audit: image 'Café crème 04' (é one character) and mask 'Café crème 04' written by macOS (e and a
        // combining accent). They look alike everywhere; both were told missing, with fixes that did not help. SharpSeg
        // runs without ICU, so it cannot normalise names; it says what differs.
        var d = new TinyDataset("layout-nfd");
        d.Image("images/Caf\u00e9 cr\u00e8me 04.png");
        d.GrayMask("masks/Cafe\u0301 cre\u0300me 04.png", 6, 4, 0, 1);
        d.Image("images/plain.png");
        d.GrayMask("masks/plain.png", 6, 4, 1, 0);
        string yaml = d.Yaml("name: nfd\nsplits:\n  train: { images: images, masks: masks }\nclasses:\n  - { name: a }\n  - { name: b }\n");
        var problems = new DataChecker(DatasetSpec.Load(yaml)).Check().Problems;
        Assert.Equal(2, problems.Count);
        Assert.All(problems, p => Assert.Contains("only in how an accented letter is stored (one character, or a letter and a combining accent, as macOS writes names", p.Message));
        // Names in another script, or with another accent, are not twins: two plain missing files.
        foreach (var f in Directory.GetFiles(d.PathOf("masks"), "Caf*")) File.Delete(f);
        d.Image("images/\u043a\u043e\u0442_01.png");
        d.GrayMask("masks/\u043f\u0451\u0441_01.png", 6, 4, 0, 1);
        d.GrayMask("masks/Caf\u00e8 cr\u00e8me 04.png", 6, 4, 0, 1);
        Assert.All(new DataChecker(DatasetSpec.Load(yaml)).Check().Problems, p => Assert.DoesNotContain("differs from it", p.Message));

        // Letter case keeps its own words.
        File.Move(d.PathOf("masks/plain.png"), d.PathOf("masks/Plain.png"));
        Assert.Contains(new DataChecker(DatasetSpec.Load(yaml)).Check().Problems, p => p.Message.Contains("differs from it only in letter case; names are case-sensitive"));
    }

    [Fact]
    public void ImagesAndMasksByTheSameNameInOneFolderAreOneLineNotAGuessedPairing()
    {
        // A new-user audit: x.png beside x.npy (its mask). A suffix rule was guessed from the frame numbers and paired
        // frame 04740 with frame 00990; now it is one line saying what to do.
        var d = new TinyDataset("layout-same-name");
        foreach (var id in new[] { "0016E5_00990", "0016E5_04740", "0001TP_006690" })
        {
            d.Image($"train/{id}.png");
            File.WriteAllBytes(d.PathOf($"train/{id}.npy"), [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y']);
        }
        foreach (var masks in new[] { null, d.PathOf("train") })
        {
            var e = Assert.Throws<SharpSegException>(() => DatasetDraft.Inspect(d.PathOf("train"), masks));
            Assert.Contains("holds images and masks by the same name (0001TP_006690.npy and 0001TP_006690.png, and 2 more such pairs)", e.Message);
            Assert.Contains("move the masks (likely the .npy files) into a folder of their own and give it with --masks DIR", e.Message);
        }
    }

    [Fact]
    public void ValFractionHoldsOutAValSplitAsIdListsTheSameEveryTime()
    {
        // The most common new-user layout: one folder of images, one of masks, no val. --val-fraction drafts one.
        var d = new TinyDataset("layout-val-fraction");
        for (int i = 0; i < 10; i++) { d.Image($"images/img {i}.png"); d.GrayMask($"masks/img {i}.png", 6, 4, 0, (byte)(i % 2 + 1)); }
        string yaml = d.PathOf("out/dataset.yaml");
        var r = CliRunner.Run("data", "init", "--images", d.PathOf("images"), "--masks", d.PathOf("masks"), "--out", yaml, "--val-fraction", "0.2");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("splits: train 8, val 2 held out at random (--val-fraction 0.2)", r.StdOut);
        var train = File.ReadAllLines(d.PathOf("out/dataset.train.txt"));
        var val = File.ReadAllLines(d.PathOf("out/dataset.val.txt"));
        Assert.Equal((8, 2), (train.Length, val.Length));
        Assert.Empty(train.Intersect(val));
        var spec = DatasetSpec.Load(yaml);
        Assert.Equal(["train", "val"], spec.SplitNames);
        Assert.Equal(val.Order(StringComparer.Ordinal), spec.ResolvePairs("val").Select(p => p.Id).Order(StringComparer.Ordinal));   // names with spaces too
        Assert.Equal(8, spec.ResolvePairs("train").Count);
        Assert.True(new DataChecker(spec).Check().IsClean);

        // The same folder gives the same split; the lists, like the yaml, are only overwritten with --force.
        r = CliRunner.Run("data", "init", "--images", d.PathOf("images"), "--masks", d.PathOf("masks"), "--out", yaml, "--val-fraction", "0.2", "--force");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal(val, File.ReadAllLines(d.PathOf("out/dataset.val.txt")));
        File.Delete(yaml);
        CliRunner.Run("data", "init", "--images", d.PathOf("images"), "--masks", d.PathOf("masks"), "--out", yaml, "--val-fraction", "0.2")
            .AssertOneLineError("dataset.train.txt: already exists (--val-fraction writes it); pass --force");

        // A name an id list cannot hold back (a leading '#' reads as a comment) is refused, not dropped from both splits.
        d.Image("images/#7.png"); d.GrayMask("masks/#7.png", 6, 4, 0, 1);
        CliRunner.Run("data", "init", "--images", d.PathOf("images"), "--masks", d.PathOf("masks"), "--out", d.PathOf("hash.yaml"), "--val-fraction", "0.2")
            .AssertOneLineError("image '#7' has a name an id list cannot hold");
        File.Delete(d.PathOf("images/#7.png")); File.Delete(d.PathOf("masks/#7.png"));

        // A dataset that is split already, or a fraction out of range, is one line.
        foreach (var split in new[] { "train", "val" })
            for (int i = 0; i < 2; i++) { d.Image($"{split}/images/{i}.png"); d.GrayMask($"{split}/masks/{i}.png", 6, 4, 0, 1); }
        CliRunner.Run("data", "init", "--images", d.PathOf("train/images"), "--masks", d.PathOf("train/masks"), "--out", d.PathOf("a.yaml"), "--val-fraction", "0.2")
            .AssertOneLineError("already split it; leave it out");
        CliRunner.Run("data", "init", "--images", d.PathOf("images"), "--masks", d.PathOf("masks"), "--out", d.PathOf("b.yaml"), "--val-fraction", "1.5")
            .AssertOneLineError("--val-fraction must be between 0 and 1");
    }

    [Fact]
    public void ShortNumberIdsWithASuffixOnBothSidesArePaired()
    {
        // DRIVE: training/images/21_training.tif ↔ training/1st_manual/21_manual1.gif.
        var d = new TinyDataset("layout-drive");
        foreach (int i in new[] { 2, 21, 22, 3, 40 })
        {
            d.Image($"images/{i}_training.png"); d.GrayMask($"1st_manual/{i}_manual1.png", 6, 4, 0, 255);
            d.GrayMask($"mask/{i}_training_mask.png", 6, 4, 0, 255);
        }
        var draft = DatasetDraft.Inspect(d.PathOf("images"), d.PathOf("1st_manual"));
        Assert.Equal(("_training", "_manual1"), (draft.Pairing.ImageSuffix, draft.Pairing.MaskSuffix));
        Assert.Equal((5, 0), (draft.Pairs, draft.ImagesWithoutMask));
        // Its field-of-view masks are suggested as the split's region of interest.
        Assert.Equal((d.PathOf("mask"), "_mask"), draft.RoiFolder);
        draft.Write(d.PathOf("drive.yaml"));
        Assert.Contains("add 'roi: mask' to the split and 'roi_suffix: \"_mask\"' to pairing", File.ReadAllText(d.PathOf("drive.yaml")));
    }

    [Fact]
    public void PredictSaysWhenAFolderOfInputsHoldsMasks()
    {
        string[] files = ["/d/benign (1).png", "/d/benign (1)_mask.png", "/d/benign (1)_mask_1.png", "/d/x.jpg", "/d/x_sat.jpg", "/d/y_gt.png"];
        Assert.Equal(["/d/benign (1)_mask.png", "/d/benign (1)_mask_1.png"], SharpSeg.Inference.ImageInputs.LooksLikeMasks(files));
    }

    [Fact]
    public void NamesInValueOrderNameMasksThatStartAtOne()
    {
        // Oxford-IIIT Pets' trimaps: 1 pet, 2 background, 3 border.
        var d = new TinyDataset("layout-pets");
        for (int i = 0; i < 3; i++) { d.Image($"images/{i}.png"); d.GrayMask($"trimaps/{i}.png", 6, 4, 1, 2, 2, 3); }
        var draft = DatasetDraft.Inspect(d.PathOf("images"), d.PathOf("trimaps"), classes: ClassList.FromNames(["pet", "background", "edge"]));
        Assert.Equal([("pet", 1), ("background", 2), ("edge", 3)], draft.Classes.Select(c => (c.Name, c.Value!.Value)));
    }

    [Fact]
    public void TheSameImageInTwoSplitsIsAWarning()
    {
        var d = TinyDataset.Clean("layout-shared");
        string yaml = File.ReadAllText(d.PathOf("dataset.yaml"));
        var spec = DatasetSpec.Load(d.PathOf("dataset.yaml"));
        var train = spec.ListSplit("train").Pairs;
        // A val split that holds a copy of a train image (a split imported twice, a copied folder).
        Directory.CreateDirectory(d.PathOf("val/images")); Directory.CreateDirectory(d.PathOf("val/masks"));
        File.Copy(train[0].ImagePath, d.PathOf("val/images/copy.png"));
        File.Copy(train[0].MaskPath!, d.PathOf("val/masks/copy.png"));
        var image = new RgbImage(6, 4, 3); new Random(3).NextBytes(image.Pixels);
        ImageFile.SavePng(image, d.PathOf("val/images/other.png"));
        File.Copy(train[0].MaskPath!, d.PathOf("val/masks/other.png"));
        File.WriteAllText(d.PathOf("dataset.yaml"), yaml.Replace("splits:", "splits:\n  val: { images: val/images, masks: val/masks }"));
        var report = new DataChecker(DatasetSpec.Load(d.PathOf("dataset.yaml"))).Check();
        Assert.Equal(1, report.SharedImages);
        var warning = Assert.Single(report.Warnings, w => w.Contains("in two splits"));
        Assert.Contains("copy.png (val) = ", warning);
        Assert.DoesNotContain(new DataChecker(DatasetSpec.Load(d.PathOf("dataset.yaml"))).Check("train").Warnings, w => w.Contains("two splits"));
    }

    [Fact]
    public void PixelsOutsideTheRegionOfInterestAreIgnored()
    {
        // DRIVE's field-of-view masks: training/mask/21_training_mask.gif beside images/21_training.tif.
        var d = new TinyDataset("layout-roi");
        foreach (int i in new[] { 21, 22 })
        {
            d.Image($"images/{i}_training.png");
            d.GrayMask($"1st_manual/{i}_manual1.png", 6, 4, 0, 255, 255);
            d.GrayMask($"mask/{i}_training_mask.png", 6, 4, 0, 255, 255, 255);   // pixel 0, 4, 8, ... outside
        }
        string yaml = d.Yaml("""
            name: drive
            splits:
              train: { images: images, masks: 1st_manual, roi: mask }
            pairing: { image_suffix: _training, mask_suffix: _manual1, roi_suffix: _training_mask }
            mask: { ignore_values: [] }
            classes: [{ name: background, value: 0 }, { name: vessel, value: 255 }]
            """);
        // roi_suffix goes after the image's stem: "21_training" + "_mask".
        File.WriteAllText(yaml, File.ReadAllText(yaml).Replace("roi_suffix: _training_mask", "roi_suffix: _mask"));
        var spec = DatasetSpec.Load(yaml);
        var pairs = spec.ResolvePairs("train");
        Assert.All(pairs, p => Assert.EndsWith("_training_mask.png", p.RoiPath));
        var sample = new SharpSeg.Data.Masks.SampleDecoder(spec).Decode(pairs[0]);
        for (int i = 0; i < 24; i++)
            Assert.Equal(i % 4 == 0 ? LabelMask.Ignore : i % 3 == 0 ? (byte)0 : (byte)1, sample.Mask.Labels[i]);
        Assert.True(new DataChecker(spec).Check().IsClean);

        // A missing ROI file, or one of another size: one line each naming the file.
        File.Delete(d.PathOf("mask/22_training_mask.png"));
        d.GrayMask("mask/21_training_mask.png", 5, 4, 255);
        var problems = new DataChecker(DatasetSpec.Load(yaml)).Check().Problems;
        Assert.Contains(problems, p => p.Message.Contains("no region-of-interest file '22_training_mask.*'"));
        Assert.Contains(problems, p => p.Message.Contains("region of interest 5x4 does not match mask 6x4"));
        var e = Assert.Throws<SharpSegException>(() => DatasetSpec.Load(d.Yaml("name: x\nsplits:\n  train: { list: l.txt, roi: mask }\nclasses: [{ name: a }]\n", "bad.yaml")));
        Assert.Contains("'roi' without 'images' and 'masks' folders", e.Message);
    }

    [Fact]
    public void InstanceIdMasksAreRefusedWithTheClassIdMasksNamed()
    {
        // Cityscapes' *_gtFine_instanceIds.png alone: road 7, two cars 26000 and 26001, a person 24000.
        var d = new TinyDataset("layout-instance-ids");
        for (int i = 0; i < 2; i++)
        {
            d.Image($"images/a{i}.png");
            var values = new ushort[24];
            for (int k = 0; k < 24; k++) values[k] = k < 8 ? (ushort)7 : k < 14 ? (ushort)26000 : k < 20 ? (ushort)26001 : (ushort)24000;
            PngCodec.Save(new PngRaster(6, 4, PngColorType.Gray, 16, values), d.PathOf($"masks/a{i}.png"));
        }
        var e = Assert.Throws<SharpSegException>(() => DatasetDraft.Inspect(d.PathOf("images"), d.PathOf("masks")));
        Assert.Contains("a class × 1000 plus an instance number", e.Message);
        Assert.Contains("_gtFine_labelIds.png", e.Message);
    }

    [Fact]
    public void WithoutMasksBesideTheImagesTheMaskFolderNearThemIsSuggested()
    {
        // Supervisely's "export as masks": img/, masks_machine/ (class ids) and masks_human/ (colour renderings).
        var d = new TinyDataset("layout-supervisely");
        for (int i = 0; i < 2; i++)
        {
            d.Image($"ds0/img/x{i}.png");
            d.GrayMask($"ds0/masks_machine/x{i}.png", 6, 4, 0, 1, 2);
            d.ColorMask($"ds0/masks_human/x{i}.png", 6, 4, new Rgb(9, 200, 7));
        }
        var e = Assert.Throws<SharpSegException>(() => DatasetDraft.Inspect(d.PathOf("ds0/img"), masksDir: null));
        Assert.Contains($"e.g. --masks {d.PathOf("ds0/masks_machine")}", e.Message);
        File.WriteAllText(d.PathOf("obj_class_to_machine_color.json"), "{\"crack\": [1, 1, 1], \"rust\": [2, 2, 2]}");
        var draft = DatasetDraft.Inspect(d.PathOf("ds0/img"), d.PathOf("ds0/masks_machine"));
        Assert.Equal([("background", 0), ("crack", 1), ("rust", 2)], draft.Classes.Select(c => (c.Name, c.Value!.Value)));
    }

    [Fact]
    public void TheOtherSplitsAreFoundWhereTheirFoldersAreNamedAsTrainsWithTheirName()
    {
        // Kaggle's CamVid: train/, train_labels/, val/, val_labels/, test/ (no labels).
        var d = new TinyDataset("layout-sibling-splits");
        foreach (var (images, masks) in new[] { ("train", "train_labels"), ("val", "val_labels") })
            for (int i = 0; i < 2; i++) { d.Image($"{images}/{images}{i}.png"); d.GrayMask($"{masks}/{images}{i}.png", 6, 4, 0, 1); }
        d.Image("test/t0.png");
        var draft = DatasetDraft.Inspect(d.PathOf("train"), d.PathOf("train_labels"));
        draft.Write(d.PathOf("kaggle.yaml"));
        var spec = DatasetSpec.Load(d.PathOf("kaggle.yaml"));
        Assert.Equal(["train", "val", "test"], spec.SplitNames);
        Assert.Equal(2, spec.ResolvePairs("val").Count(p => p.MaskPath != null));
        Assert.True(spec.GetSplit("test").IsUnlabelled);

        // Mapillary: training/images with training/v2.0/labels, validation/images with validation/v2.0/labels.
        var m = new TinyDataset("layout-sibling-vistas");
        foreach (var split in new[] { "training", "validation" })
            for (int i = 0; i < 2; i++) { m.Image($"{split}/images/{split}{i}.png"); m.GrayMask($"{split}/v2.0/labels/{split}{i}.png", 6, 4, 0, 1); }
        draft = DatasetDraft.Inspect(m.PathOf("training/images"), m.PathOf("training/v2.0/labels"));
        draft.Write(m.PathOf("vistas.yaml"));
        spec = DatasetSpec.Load(m.PathOf("vistas.yaml"));
        Assert.Equal(["train", "val"], spec.SplitNames);
        Assert.Equal(2, spec.ResolvePairs("val").Count);
        Assert.True(new DataChecker(spec).Check().IsClean);
    }
}
