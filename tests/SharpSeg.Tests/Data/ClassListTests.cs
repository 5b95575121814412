using SharpSeg.Data.Dataset;
using SharpSeg.Data.Checks;
using SharpSeg.Imaging;
using Xunit;

namespace SharpSeg.Tests.Data;

/// <summary>Class names from the lists annotation tools ship beside the masks (<see cref="ClassList"/>), drafted by
/// <c>data init</c>.</summary>
public sealed class ClassListTests
{
    static readonly Rgb Sky = new(128, 128, 128), Road = new(128, 64, 128), Car = new(64, 0, 128), Void = new(0, 0, 0);

    [Fact]
    public void RoboflowExportMasksBesideImagesAreNamedFromClassesCsvAndVoidIsIgnored()
    {
        // Roboflow's "semantic segmentation masks" export: train/x.jpg beside train/x_mask.png, and train/_classes.csv.
        var d = new TinyDataset("classlist-roboflow");
        foreach (var split in new[] { "train", "valid" })
        {
            for (int i = 0; i < 3; i++) { d.Image($"{split}/img{i}.png"); d.GrayMask($"{split}/img{i}_mask.png", 6, 4, 0, 1, 2, 3); }
            File.WriteAllText(d.PathOf($"{split}/_classes.csv"), "Pixel Value, Class\n0, background\n1, crack\n2, rust\n3, unlabeled\n4, dent\n");
        }
        var draft = DatasetDraft.Inspect(d.PathOf("train"), masksDir: null);
        Assert.Equal(0, draft.ImagesWithoutMask);
        Assert.Equal(0, draft.MasksWithoutImage);
        Assert.Equal(0, draft.FilesOfOtherKinds);
        Assert.EndsWith("_classes.csv", draft.ClassNames!.Source);
        string yaml = d.PathOf("draft.yaml");
        draft.Write(yaml);
        string text = File.ReadAllText(yaml);
        Assert.DoesNotContain("missing:", text);
        Assert.Contains("named 'unlabeled' in _classes.csv", text);
        Assert.Contains("- { name: dent, value: 4 }   # listed in _classes.csv; in none of the 3 inspected masks", text);
        var spec = DatasetSpec.Load(yaml);
        Assert.Equal([("background", 0), ("crack", 1), ("rust", 2), ("dent", 4)], spec.Classes.Classes.Select(c => (c.Name, c.Value!.Value)));
        Assert.Equal([3], spec.Mask.IgnoreValues);
        Assert.Equal(3, spec.ResolvePairs("train").Count);

        // From the export's root: the split folders, named from the train split's list.
        draft = DatasetDraft.Inspect(d.PathOf("."), masksDir: null);
        Assert.Equal(["train", "val"], draft.SplitsFromFolders.Select(f => f.Split));
        Assert.Equal("crack", draft.Classes[1].Name);
    }

    [Fact]
    public void ColourMasksAreNamedFromClassDictCsvInItsOrder()
    {
        // Kaggle's CamVid layout: train/, train_labels/ (x_L.png colour masks), class_dict.csv at the root.
        var d = new TinyDataset("classlist-kaggle");
        for (int i = 0; i < 3; i++) { d.Image($"train/f{i}.png"); d.ColorMask($"train_labels/f{i}_L.png", 6, 4, Car, Road, Road, Sky, Void); }
        File.WriteAllText(d.PathOf("class_dict.csv"), "name,r,g,b\nSky,128,128,128\nBicyclist,0,128,192\nRoad,128,64,128\nCar,64,0,128\nVoid,0,0,0\n");
        var draft = DatasetDraft.Inspect(d.PathOf("train"), d.PathOf("train_labels"));
        Assert.Equal(DraftMaskKind.RgbColors, draft.MaskKind);
        string yaml = d.PathOf("draft.yaml");
        draft.Write(yaml);
        var spec = DatasetSpec.Load(yaml);
        // The list's order (the labelling tool's class order), not the drafted order by pixel count.
        Assert.Equal([("Sky", Sky), ("Bicyclist", new Rgb(0, 128, 192)), ("Road", Road), ("Car", Car)], spec.Classes.Classes.Select(c => (c.Name, c.Color!)));
        Assert.Equal([Void], spec.Mask.IgnoreColors);
        Assert.True(new DataChecker(spec).Check().IsClean);

        // A names-only list cannot name colour masks: placeholders, and the draft says why.
        File.Delete(d.PathOf("class_dict.csv"));
        File.WriteAllText(d.PathOf("classes.txt"), "Sky\nRoad\nCar\n");
        draft = DatasetDraft.Inspect(d.PathOf("train"), d.PathOf("train_labels"));
        Assert.Null(draft.ClassNames);
        Assert.Contains("gives no colours", draft.ClassListNote);
        Assert.All(draft.Classes, c => Assert.StartsWith("class_", c.Name));
    }

    [Fact]
    public void CvatLabelmapNamesPaletteMasksByItsOrder()
    {
        var d = new TinyDataset("classlist-cvat");
        Rgb[] palette = [Void, Sky, Road, Car, .. Enumerable.Repeat(Void, 252)];
        for (int i = 0; i < 3; i++)
        {
            d.Image($"JPEGImages/{i}.png");
            PngCodec.SavePalette8(d.PathOf($"SegmentationClass/{i}.png"), 6, 4, Enumerable.Range(0, 24).Select(p => (byte)(p % 3)).ToArray(), palette);
        }
        File.WriteAllText(d.PathOf("labelmap.txt"), "# label:color_rgb:parts:actions\nbackground:0,0,0::\nsky:128,128,128::\nroad:128,64,128::\ncar:64,0,128::\n");
        var draft = DatasetDraft.Inspect(d.PathOf("JPEGImages"), d.PathOf("SegmentationClass"));
        string yaml = d.PathOf("draft.yaml");
        draft.Write(yaml);
        var spec = DatasetSpec.Load(yaml);
        Assert.Equal([("background", 0), ("sky", 1), ("road", 2), ("car", 3)], spec.Classes.Classes.Select(c => (c.Name, c.Value!.Value)));
        Assert.Contains("check the class names, taken from labelmap.txt", File.ReadAllText(yaml));
    }

    [Fact]
    public void PaletteMasksAreNamedByTheirPaletteColoursWhateverOrderTheListIsIn()
    {
        // A new-user audit: palette masks (sky, road, car at indices 0..2, 255 void) and a class_dict.csv in alphabetical
        // order. Named by row, every class was misnamed; the palette's colour says which row each index is.
        var d = new TinyDataset("classlist-palette-order");
        Rgb[] palette = [Sky, Road, Car, .. Enumerable.Repeat(new Rgb(224, 224, 192), 253)];
        for (int i = 0; i < 3; i++)
        {
            d.Image($"JPEGImages/{i}.png");
            PngCodec.SavePalette8(d.PathOf($"SegmentationClass/{i}.png"), 6, 4, Enumerable.Range(0, 24).Select(p => (byte)(p % 4 == 3 ? 255 : p % 4)).ToArray(), palette);
        }
        // The same list as Kaggle's class_dict.csv and as a JSON map of names and colours (which the audit found ignored).
        foreach (var (file, text) in new[] { ("class_dict.csv", "name,r,g,b\ncar,64,0,128\npole,192,192,128\nroad,128,64,128\nsky,128,128,128\n"),
            ("classes.json", "{\"car\": [64, 0, 128], \"pole\": [192, 192, 128], \"road\": [128, 64, 128], \"sky\": [128, 128, 128]}") })
        {
            foreach (var old in new[] { "class_dict.csv", "classes.json" }) File.Delete(d.PathOf(old));
            File.WriteAllText(d.PathOf(file), text);
            var draft = DatasetDraft.Inspect(d.PathOf("JPEGImages"), d.PathOf("SegmentationClass"));
            string yaml = d.PathOf("draft.yaml");
            draft.Write(yaml);
            var spec = DatasetSpec.Load(yaml);
            Assert.Equal([("sky", 0), ("road", 1), ("car", 2)], spec.Classes.Classes.Select(c => (c.Name, c.Value!.Value)));
            Assert.Equal([255], spec.Mask.IgnoreValues);
            // pole is listed but in no mask: its palette index is unknown, and the draft says so rather than guess one.
            Assert.Contains("pole is in no inspected mask, so its palette index is not known", File.ReadAllText(yaml));
        }
    }

    [Fact]
    public void BinaryMasksAreNamedByOrderAndAListThatDoesNotFitIsNotUsed()
    {
        var d = new TinyDataset("classlist-binary");
        for (int i = 0; i < 3; i++) { d.Image($"data/train/images/{i}.png"); d.GrayMask($"data/train/masks/{i}.png", 6, 4, 0, 255); }
        // At the dataset's root, above train/ and data/.
        File.WriteAllText(d.PathOf("classes.txt"), "membrane\ncell\n");
        var draft = DatasetDraft.Inspect(d.PathOf("data/train/images"), d.PathOf("data/train/masks"));
        Assert.Equal([("membrane", 0), ("cell", 255)], draft.Classes.Select(c => (c.Name, c.Value!.Value)));

        File.WriteAllText(d.PathOf("classes.txt"), "background\nmembrane\ncell\n");
        draft = DatasetDraft.Inspect(d.PathOf("data/train/images"), d.PathOf("data/train/masks"));
        Assert.Null(draft.ClassNames);
        Assert.Contains("the masks hold value 255, which it does not name (it names 0, 1, 2)", draft.ClassListNote);
        Assert.Equal(["class_0", "class_255"], draft.Classes.Select(c => c.Name));

        // Given by the user, a list that does not fit is an error.
        var e = Assert.Throws<SharpSegException>(() => DatasetDraft.Inspect(d.PathOf("data/train/images"), d.PathOf("data/train/masks"),
            classes: ClassList.FromNames(["a", "b", "c"])));
        Assert.Contains("--classes: the masks hold value 255", e.Message);
    }

    [Fact]
    public void MasksScaledToBeSeenKeep255AsAClassAndTakeNamesInOrder()
    {
        // Three classes saved as 0/128/255 (to be seen in a viewer): 255 is the third class, not VOC's void.
        var d = new TinyDataset("classlist-scaled");
        for (int i = 0; i < 3; i++) { d.Image($"images/{i}.png"); d.GrayMask($"masks/{i}.png", 6, 4, 0, 0, 128, 255); }
        var draft = DatasetDraft.Inspect(d.PathOf("images"), d.PathOf("masks"));
        Assert.True(draft.ScaledForVisibility);
        Assert.Empty(draft.SuggestedIgnoreValues);
        File.WriteAllText(d.PathOf("classes.txt"), "background\nboundary\npet\n");
        draft = DatasetDraft.Inspect(d.PathOf("images"), d.PathOf("masks"));
        Assert.Equal([("background", 0), ("boundary", 128), ("pet", 255)], draft.Classes.Select(c => (c.Name, c.Value!.Value)));
        Assert.All(draft.Classes, c => Assert.False(c.Ignore));

        // VOC's small indices beside 255 still draft 255 as void; a few values spread over 0..255 do not.
        foreach (var (values, ignored) in new[] { (new byte[] { 0, 1, 2, 255 }, true), (new byte[] { 0, 1, 15, 255 }, true), (new byte[] { 0, 100, 200, 255 }, false) })
        {
            var v = new TinyDataset("classlist-voc-or-not");
            for (int i = 0; i < 2; i++) { v.Image($"images/{i}.png"); v.GrayMask($"masks/{i}.png", 6, 4, values); }
            Assert.Equal(ignored, DatasetDraft.Inspect(v.PathOf("images"), v.PathOf("masks")).SuggestedIgnoreValues.Count == 1);
        }
    }

    [Fact]
    public void TheFormsAClassListComesIn()
    {
        var d = new TinyDataset("classlist-forms");
        ClassList Read(string name, string text) { File.WriteAllText(d.PathOf(name), text); return ClassList.Read(d.PathOf(name)); }

        var camvid = Read("label_colors.txt", "64 128 64\tAnimal\n192 0 128\tArchway\n");
        Assert.Equal([("Animal", 0, new Rgb(64, 128, 64)), ("Archway", 1, new Rgb(192, 0, 128))], camvid.Entries.Select(e => (e.Name, e.Value, e.Color!.Value)));
        var ids = Read("ids.txt", "0: background\n7: road\n26 car\n");
        Assert.True(ids.ValuesGiven);
        Assert.Equal([("background", 0), ("road", 7), ("car", 26)], ids.Entries.Select(e => (e.Name, e.Value)));
        var csv = Read("classes.csv", "\uFEFFid,\"name\"\n0,\"traffic light, red\"\n5,person\n");
        Assert.Equal([("traffic light, red", 0), ("person", 5)], csv.Entries.Select(e => (e.Name, e.Value)));
        // ADE20K's objectInfo150.csv: values from 1 (0 is "other"), names with commas in quotes.
        var ade = Read("objectInfo150.csv", "Idx,Ratio,Train,Val,Name\n1,0.1576,11664,1172,wall\n2,0.1072,6046,612,\"building, edifice\"\n");
        Assert.Equal([("wall", 1), ("building, edifice", 2)], ade.Entries.Select(e => (e.Name, e.Value)));
        var plain = Read("names.txt", "\nbackground\ntraffic light\n\n");
        Assert.Equal([("background", 0), ("traffic light", 1)], plain.Entries.Select(e => (e.Name, e.Value)));
        // JSON: Supervisely's machine colours, Mapillary's config, the Decathlon's and nnU-Net's dataset.json, Supervisely's meta.json.
        var machine = Read("obj_class_to_machine_color.json", "{\"__bg__\": [0, 0, 0], \"car\": [1, 1, 1], \"road\": [2, 2, 2]}");
        Assert.True(machine.ValuesGiven);
        Assert.Equal([("background", 0), ("car", 1), ("road", 2)], machine.Entries.Select(e => (e.Name, e.Value)));
        var vistas = Read("config_v2.0.json", "{\"labels\": [{\"name\": \"animal--bird\", \"readable\": \"Bird\", \"color\": [165, 42, 42]}, {\"name\": \"construction--flat--road\", \"readable\": \"Road\", \"color\": [128, 64, 128]}]}");
        Assert.Equal([("Bird", 0, new Rgb(165, 42, 42)), ("Road", 1, new Rgb(128, 64, 128))], vistas.Entries.Select(e => (e.Name, e.Value, e.Color!.Value)));
        var twice = Read("config.json", "{\"labels\": [{\"name\": \"marking--a\", \"readable\": \"Lane Marking\", \"color\": [1, 2, 3]}, {\"name\": \"marking--b\", \"readable\": \"Lane Marking\", \"color\": [4, 5, 6]}]}");
        Assert.Equal(["marking--a", "marking--b"], twice.Entries.Select(e => e.Name));
        Assert.Equal([("background", 0), ("edema", 1), ("enhancing", 4)], Read("msd.json", "{\"labels\": {\"0\": \"background\", \"1\": \"edema\", \"4\": \"enhancing\"}}").Entries.Select(e => (e.Name, e.Value)));
        Assert.Equal([("background", 0), ("liver", 1)], Read("nnunet.json", "{\"channel_names\": {\"0\": \"CT\"}, \"labels\": {\"background\": 0, \"liver\": 1}}").Entries.Select(e => (e.Name, e.Value)));
        Assert.Equal([("car", 0, new Rgb(255, 0, 0))], Read("meta.json", "{\"classes\": [{\"title\": \"car\", \"shape\": \"bitmap\", \"color\": \"#FF0000\"}]}").Entries.Select(e => (e.Name, e.Value, e.Color!.Value)));
        Assert.True(ClassList.MeansIgnore("Unlabelled") && ClassList.MeansIgnore("void") && ClassList.MeansIgnore("don't care") && !ClassList.MeansIgnore("background"));

        void Refused(string name, string text, string expected)
        {
            File.WriteAllText(d.PathOf(name), text);
            var e = Assert.Throws<SharpSegException>(() => ClassList.Read(d.PathOf(name)));
            Assert.Contains(expected, e.Message);
            Assert.DoesNotContain('\n', e.Message);
        }
        Refused("a.csv", "r,g,b\n1,2,3\n", "no class name column");
        Refused("b.csv", "name,value\ncar,x\n", "b.csv:2: 'x' is not a whole number");
        Refused("c.txt", "car\nbus\ncar\n", "'car' is there twice");
        Refused("d.txt", "0 car\n0 bus\n", "value 0 is given to two classes");
        Refused("e.txt", "car\nbus: 3,4\n", "e.txt:2: 'bus: 3,4' is not a class name");
        Refused("f.txt", "car\n\nbus\n", "f.txt:2: a blank line between class names");
        Refused("g.json", "{\"labels\": {\"background\": 0, \"tumour\": [1, 2, 3]}}", "is a region of several values");
        Refused("h.json", "{\"labels\": [1, 2]}", "neither a name nor an object");
        Refused("i.json", "{\"classes\": [{\"title\": \"car\", \"color\": \"red\"}]}", "colour \"red\" is neither");
        // Malformed JSON is said as the importers say it (IO.JsonFile): the file, the parser's reason, the fix; a trailing
        // comma, as hand-edited lists have, is no fault.
        Refused("j.json", "{\"labels\": [\"car\",", "j.json: not valid JSON (");
        Refused("j.json", "{\"labels\": [\"car\",", "); fix the file (a JSON class list is a list of names");
        Assert.Equal(["car", "bus"], Read("k.json", "[\"car\", \"bus\",]").Entries.Select(e => e.Name));
    }

    [Fact]
    public void DataInitTakesClassesAndSaysWhenNoMasksAreBesideTheImages()
    {
        var d = new TinyDataset("classlist-cli");
        for (int i = 0; i < 3; i++) { d.Image($"images/{i}.png"); d.GrayMask($"masks/{i}.png", 6, 4, 0, 1); }
        string outPath = d.PathOf("draft.yaml");
        var r = CliRunner.Run("data", "init", "--images", d.PathOf("images"), "--masks", d.PathOf("masks"), "--out", outPath, "--classes", "background, scratch");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("value 1 (scratch)", r.StdOut);
        Assert.Equal(["background", "scratch"], DatasetSpec.Load(outPath).Classes.Classes.Select(c => c.Name));

        CliRunner.Run("data", "init", "--images", d.PathOf("images"), "--masks", d.PathOf("masks"), "--out", outPath, "--force", "--classes", "scratch")
            .AssertOneLineError("--classes: the masks hold value 1, which it does not name (it names 0)");
        CliRunner.Run("data", "init", "--images", d.PathOf("images"), "--out", outPath, "--force")
            .AssertOneLineError("no masks beside the images");
        CliRunner.Run("data", "init", "--images", d.PathOf("images"), "--masks", d.PathOf("masks"), "--out", outPath, "--force", "--classes", "clases.txt")
            .AssertOneLineError("--classes 'clases.txt': no such file");
    }
}
