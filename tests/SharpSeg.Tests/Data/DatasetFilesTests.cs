using SharpSeg.Data.Checks;
using SharpSeg.Data.Dataset;
using SharpSeg.Imaging;
using SharpSeg.Inference;
using Xunit;

namespace SharpSeg.Tests.Data;

/// <summary>
/// What a user's folders and list files hold beyond images and masks, found by a new-user audit: hidden files (macOS
/// <c>._a.png</c>, Jupyter's <c>.ipynb_checkpoints</c>), Windows backslash paths, CSV list files, names that differ only in
/// letter case, images in subfolders of a split that does not read them, and an output path that is a file.
/// </summary>
public sealed class DatasetFilesTests
{
    [Fact]
    public void Hidden_files_and_folders_are_not_images_of_a_folder()
    {
        var d = new TinyDataset("hidden-files");
        d.Image("a.png"); d.Image(".b.png"); d.Image("._a.png");
        Directory.CreateDirectory(d.PathOf(".ipynb_checkpoints"));
        d.Image(".ipynb_checkpoints/a-checkpoint.png");
        Directory.CreateDirectory(d.PathOf("sub"));
        d.Image("sub/c.png");
        Assert.Equal([d.PathOf("a.png")], ImageFolder.List(d.Root));
        Assert.Equal([d.PathOf("a.png"), d.PathOf("sub/c.png")], ImageFolder.List(d.Root, recursive: true));
        Assert.Equal([d.PathOf("a.png")], ImageInputs.Resolve(Path.Combine(d.Root, "*.png")));
        Assert.Equal([d.PathOf("._a.png"), d.PathOf(".b.png")], ImageInputs.Resolve(Path.Combine(d.Root, ".*.png")));   // asked for by name
        Assert.Equal([d.PathOf("sub")], ImageFolder.SubfoldersWithImages(d.Root));
        Assert.Equal([d.PathOf("sub")], ImageInputs.SubfoldersNotRead(d.Root, recursive: false));
        Assert.Empty(ImageInputs.SubfoldersNotRead(d.Root, recursive: true));
    }

    [Fact]
    public void A_split_with_images_in_unread_subfolders_warns_and_a_masks_resource_fork_is_not_a_mask()
    {
        var d = new TinyDataset("unread-subfolders");
        foreach (var n in new[] { "a", "b" }) { d.Image($"images/{n}.png"); d.GrayMask($"masks/{n}.png", 6, 4, 0, 1); }
        Directory.CreateDirectory(d.PathOf("images/more"));
        d.Image("images/more/c.png");
        File.WriteAllBytes(d.PathOf("masks/._a.png"), [0, 5, 22, 7]);   // macOS AppleDouble: not a PNG
        var spec = DatasetSpec.Load(d.Yaml("splits: { train: { images: images, masks: masks } }\nclasses: [{ name: bg }, { name: fg }]\n"));
        Assert.Equal([d.PathOf("images/more")], spec.SubfoldersNotRead("train"));
        var report = new DataChecker(spec).Check();
        Assert.True(report.IsClean, string.Join("\n", report.Problems.Select(p => p.Message)));
        var warning = Assert.Single(report.Warnings);
        Assert.Contains("split 'train': 1 subfolder of its images folder holds images that are not read", warning);
        Assert.Contains("add 'recursive: true' to splits.train", warning);
        var recursive = DatasetSpec.Load(d.Yaml("splits: { train: { images: images, masks: masks, recursive: true } }\nclasses: [{ name: bg }, { name: fg }]\n", "r.yaml"));
        Assert.Empty(recursive.SubfoldersNotRead("train"));
    }

    [Fact]
    public void Windows_backslash_paths_read_on_linux_and_a_csv_list_is_named_as_such()
    {
        var d = new TinyDataset("backslash-csv");
        Directory.CreateDirectory(d.PathOf("imgs/sub dir"));
        d.Image("imgs/sub dir/a.png"); d.GrayMask("masks/a.png", 6, 4, 0, 1);
        d.Image("imgs/b.png"); d.GrayMask("masks/b.png", 6, 4, 1, 0);
        File.WriteAllText(d.PathOf("train.txt"), "imgs\\b.png masks\\b.png\n");
        File.WriteAllText(d.PathOf("train.csv"), "image,mask\nimgs/b.png,masks/b.png\n");
        var spec = DatasetSpec.Load(d.Yaml("""
            splits:
              folder: { images: 'imgs\sub dir' }
              listed: { list: train.txt }
              csv: { list: train.csv }
            classes: [{ name: bg }, { name: fg }]
            """));
        Assert.Equal([d.PathOf("imgs/sub dir/a.png")], spec.ResolvePairs("folder").Select(p => p.ImagePath));
        var listed = Assert.Single(spec.ResolvePairs("listed"));
        Assert.Equal((d.PathOf("imgs/b.png"), d.PathOf("masks/b.png")), (listed.ImagePath, listed.MaskPath));
        var csv = spec.ListSplit("csv");
        Assert.Empty(csv.Pairs);
        Assert.Equal(2, csv.Problems.Count);
        Assert.All(csv.Problems, p => Assert.Equal(PairingProblemKind.BadListLine, p.Kind));
        Assert.Contains("train.csv:1: 'image,mask' looks like a CSV line; a list file holds 'image_path mask_path' separated by spaces: replace the comma by a space and remove any header line.", csv.Problems[0].Message);
        var report = new DataChecker(spec).Check("csv");
        Assert.All(report.Problems, p => Assert.Equal(DataProblemKind.BadListLine, p.Kind));
    }

    [Fact]
    public void Names_that_differ_only_in_letter_case_are_named()
    {
        var d = new TinyDataset("case-twins");
        d.Image("images/IMG_001.png"); d.GrayMask("masks/img_001.png", 6, 4, 0, 1);
        d.Image("images/ok.png"); d.GrayMask("masks/ok.png", 6, 4, 0, 1);
        var spec = DatasetSpec.Load(d.Yaml("splits: { train: { images: images, masks: masks } }\nclasses: [{ name: bg }, { name: fg }]\n"));
        var problems = spec.ListSplit("train").Problems;
        Assert.Equal(2, problems.Count);
        Assert.Contains(problems, p => p.Kind == PairingProblemKind.MissingMask
            && p.Message.Contains("no mask 'IMG_001.*'", StringComparison.Ordinal) && p.Message.Contains("but 'img_001.png' differs from it only in letter case", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Kind == PairingProblemKind.MissingImage && p.Message.Contains("but 'IMG_001.png' differs from it only in letter case", StringComparison.Ordinal));
    }

    [Fact]
    public void An_output_folder_that_is_a_file_is_one_line()
    {
        var d = new TinyDataset("out-is-file");
        string file = d.PathOf("f");
        File.WriteAllText(file, "x");
        Assert.Equal($"{file}: is a file, not a folder; give a folder to write into (or move the file).",
            Assert.Throws<SharpSegException>(() => SharpSeg.IO.OutputFolder.Create(file)).Message);
        Assert.Contains($"'{file}' is a file", Assert.Throws<SharpSegException>(() => SharpSeg.IO.OutputFolder.Create(Path.Combine(file, "sub"))).Message);
        string made = Path.Combine(d.Root, "new", "deeper");
        SharpSeg.IO.OutputFolder.Create(made);
        Assert.True(Directory.Exists(made));
        SharpSeg.IO.OutputFolder.Create(made);   // existing: fine

        d.Image("in/a.png");
        var r = CliRunner.Run("predict", "--checkpoint", Segmenting.SegmenterFixture.Checkpoint, "--input", d.PathOf("in"), "--out", file);
        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.Contains("is a file, not a folder", r.StdErr);
        Assert.DoesNotContain("internal error", r.StdErr);
    }

    /// <summary>A phone photo stored 64x32 with EXIF orientation 6 is read as shown, 32x64: a mask of the stored size is
    /// told apart from any other size mismatch (the tool that drew it ignored the orientation), and a mask of the shown
    /// size checks clean with a note that such images exist (a square one could not be told by size).</summary>
    [Fact]
    public void Exif_turned_images_are_named_in_the_size_check_and_noted()
    {
        var d = new TinyDataset("exif-turned");
        Directory.CreateDirectory(d.PathOf("images"));
        File.WriteAllBytes(d.PathOf("images/p.jpg"), ImageFileTests.JpegWithOrientation(6, out _));
        Assert.Equal(SkiaSharp.SKEncodedOrigin.RightTop, ImageFile.ExifOrigin(d.PathOf("images/p.jpg")));
        Assert.Equal(SkiaSharp.SKEncodedOrigin.TopLeft, ImageFile.ExifOrigin(d.Image("plain.png")));
        string yaml = d.Yaml("splits: { train: { images: images, masks: masks } }\nclasses: [{ name: bg }, { name: fg }]\n");

        d.GrayMask("masks/p.png", 64, 32, 0, 1);   // drawn on the stored pixels
        var stored = new DataChecker(DatasetSpec.Load(yaml)).Check();
        var problem = Assert.Single(stored.Problems);
        Assert.Equal(DataProblemKind.SizeMismatch, problem.Kind);
        Assert.Contains("mask 64x32 does not match image 32x64", problem.Message);
        Assert.Contains("EXIF orientation shows it turned 90° clockwise (stored 64x32)", problem.Message);

        d.GrayMask("masks/p.png", 32, 64, 0, 1);   // drawn on the shown image
        var shown = new DataChecker(DatasetSpec.Load(yaml)).Check();
        Assert.True(shown.IsClean);
        Assert.Contains(shown.Notes, n => n.StartsWith("note: 1 image carries an EXIF orientation (e.g. ", StringComparison.Ordinal) && n.Contains("p.jpg: turned 90° clockwise", StringComparison.Ordinal));
        Assert.Empty(shown.Warnings);
    }

    [Fact]
    public void A_broken_link_and_a_file_that_is_no_image_say_what_they_are()
    {
        var d = new TinyDataset("not-images");
        string link = d.PathOf("gone.png");
        File.CreateSymbolicLink(link, d.PathOf("moved-away.png"));
        var e = Assert.Throws<SharpSegException>(() => ImageFile.Load(link));
        Assert.Contains($"{link}: a symbolic link to '{d.PathOf("moved-away.png")}', which does not exist", e.Message);
        File.WriteAllText(d.PathOf("notes.txt"), "not pixels at all, just some text that is long enough to be read");
        Assert.Contains("notes.txt: not an image: SharpSeg reads .png, .jpg", Assert.Throws<SharpSegException>(() => ImageFile.Load(d.PathOf("notes.txt"))).Message);
        string good = d.Image("real.png");
        File.CreateSymbolicLink(d.PathOf("alias.png"), good);
        Assert.Equal(ImageFile.Load(good).Pixels, ImageFile.Load(d.PathOf("alias.png")).Pixels);
    }

    [Fact]
    public void An_output_file_that_is_a_folder_is_one_line_before_any_work()
    {
        var d = new TinyDataset("out-is-folder");
        Directory.CreateDirectory(d.PathOf("exp"));
        Assert.Equal($"--out {d.PathOf("exp")}: is a folder; give the name of the file to write (e.g. {d.PathOf("exp/out")}).",
            Assert.Throws<SharpSegException>(() => SharpSeg.IO.OutputFile.Check(d.PathOf("exp"))).Message);
        File.WriteAllText(d.PathOf("f"), "x");
        Assert.Contains("'" + d.PathOf("f") + "' is a file, not a folder", Assert.Throws<SharpSegException>(() => SharpSeg.IO.OutputFile.Check(d.PathOf("f/m.onnx"))).Message);
        Assert.Equal(d.PathOf("new/m.onnx"), SharpSeg.IO.OutputFile.Check(d.PathOf("new/m.onnx")));
        Assert.Contains("is a folder", Assert.Throws<SharpSegException>(() => SharpSeg.IO.AtomicFile.WriteAllText(d.PathOf("exp"), "{}")).Message);

        foreach (var args in new[]
        {
            new[] { "export", "--checkpoint", Segmenting.SegmenterFixture.Checkpoint, "--out", d.PathOf("exp") },
            new[] { "export-weights", "--checkpoint", Segmenting.SegmenterFixture.Checkpoint, "--out", d.PathOf("exp") },
            new[] { "score", "--checkpoint", Segmenting.SegmenterFixture.Checkpoint, "--images", Segmenting.SegmenterFixture.Images, "--out", d.PathOf("exp") },
        })
        {
            var r = CliRunner.Run(args);
            Assert.True(r.ExitCode == 1, r.ToString());
            Assert.Contains("is a folder; give the name of the file to write", r.StdErr);
        }
    }
}
