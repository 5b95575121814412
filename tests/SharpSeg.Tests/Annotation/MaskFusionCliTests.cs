using System.Text.Json.Nodes;
using SharpSeg.Annotation;
using SharpSeg.Data.Dataset;
using SharpSeg.Data.Masks;
using SharpSeg.Imaging;
using SharpSeg.Tests.Training;
using Xunit;

namespace SharpSeg.Tests.Annotation;

/// <summary><c>sharpseg masks simulate</c>, <c>fuse</c> and <c>agreement</c> as a user runs them, on the generated dataset.</summary>
public sealed class MaskFusionCliTests
{
    static readonly Lazy<(string Dir, string[] Annotators)> Simulated = TestPaths.SharedLazy<(string Dir, string[] Annotators)>(() =>
    {
        string dir = TestPaths.NewTempDir("masks-simulate");
        var r = CliRunner.Run("masks", "simulate", "--dataset", TrainingFixture.DatasetYaml, "--split", "val", "--seed", "3", "--out", dir,
            "--perturb", "jitter 0.2", "--perturb", "grow 1 1, jitter 0.1", "--perturb", "flip 0.3");
        Assert.True(r.ExitCode == 0, r.ToString());
        return (dir, ["annotator1", "annotator2", "annotator3"]);
    });

    static string[] Folders => Simulated.Value.Annotators.Select(a => Path.Combine(Simulated.Value.Dir, a)).ToArray();

    [Fact]
    public void FuseWritesMasksConfidenceAndADatasetToTrainOnAndStapleFindsThePoorAnnotator()
    {
        string outDir = TestPaths.NewTempDir("masks-fuse");
        var r = CliRunner.Run(["masks", "fuse", "--dataset", TrainingFixture.DatasetYaml, "--split", "val", "--annotators", .. Folders, "--method", "staple", "--out", outDir]);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("STAPLE: estimated sensitivity per class", r.StdOut);
        var spec = DatasetSpec.Load(TrainingFixture.DatasetYaml);
        var val = spec.ResolvePairs("val");
        var fused = DatasetSpec.Load(Path.Combine(outDir, "dataset.yaml"));
        var pairs = fused.ResolvePairs("val");
        Assert.Equal(val.Select(p => p.ImagePath), pairs.Select(p => p.ImagePath));
        Assert.Equal(spec.Classes.Names, fused.Classes.Names);
        // The fused masks are closer to the real masks than the poor annotator's (30 % of pixels flipped).
        var truthDecoder = new MaskDecoder(spec);
        var fusedDecoder = new MaskDecoder(fused);
        long same = 0, total = 0, poorSame = 0;
        for (int i = 0; i < val.Count; i++)
        {
            var truth = truthDecoder.Decode(val[i].MaskPath!).Labels;
            var f = fusedDecoder.Decode(pairs[i].MaskPath!).Labels;
            var poor = truthDecoder.Decode(Path.Combine(Folders[2], Path.GetFileName(val[i].MaskPath!))).Labels;
            for (int p = 0; p < truth.Length; p++) { total++; if (f[p] == truth[p]) same++; if (poor[p] == truth[p]) poorSame++; }
            Assert.True(File.Exists(Path.Combine(outDir, "confidence", "val", Path.GetFileNameWithoutExtension(val[i].ImagePath) + ".png")));
        }
        Assert.True(same > 0.97 * total, $"fused masks agree with the real ones on {same * 100.0 / total:F1} % of pixels");
        Assert.InRange(poorSame * 1.0 / total, 0.65, 0.75);
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "fusion.json")))!;
        Assert.Equal("staple", (string)json["method"]!);
        Assert.True((bool)json["staple"]!["converged"]!);
        var sensitivity = json["annotators"]!.AsArray().Select(a => a!["sensitivity"]!.AsObject().Select(kv => (double)kv.Value!).Average()).ToList();
        Assert.True(sensitivity[2] < 0.8 && sensitivity[0] > 0.9, $"mean sensitivities {string.Join(", ", sensitivity)}");
        Assert.InRange(sensitivity[2], 0.62, 0.78); // 1 - 0.3 flips
    }

    [Fact]
    public void MajorityTiesGoToIgnoreOrTheNamedClassAndLowConfidenceIsIgnored()
    {
        string ignoreDir = TestPaths.NewTempDir("masks-fuse-majority");
        var r = CliRunner.Run(["masks", "fuse", "--dataset", TrainingFixture.DatasetYaml, "--split", "val", "--annotators", string.Join(',', Folders), "--method", "majority", "--out", ignoreDir]);
        Assert.True(r.ExitCode == 0, r.ToString());
        var ignored = JsonNode.Parse(File.ReadAllText(Path.Combine(ignoreDir, "fusion.json")))!;
        long ties = (long)ignored["ignored_pixels"]!;
        Assert.True(ties > 0, "three annotators, one of them flipping 30 %: some three-way ties");
        string tieDir = TestPaths.NewTempDir("masks-fuse-tie");
        var spec = DatasetSpec.Load(TrainingFixture.DatasetYaml);
        var t = CliRunner.Run(["masks", "fuse", "--dataset", TrainingFixture.DatasetYaml, "--split", "val", "--annotators", .. Folders, "--method", "majority", "--tie", spec.Classes[0].Name, "--out", tieDir]);
        Assert.True(t.ExitCode == 0, t.ToString());
        Assert.Equal(0L, (long)JsonNode.Parse(File.ReadAllText(Path.Combine(tieDir, "fusion.json")))!["ignored_pixels"]!);
        string strictDir = TestPaths.NewTempDir("masks-fuse-strict");
        var s = CliRunner.Run(["masks", "fuse", "--dataset", TrainingFixture.DatasetYaml, "--split", "val", "--annotators", .. Folders, "--method", "majority", "--min-confidence", "0.9", "--out", strictDir]);
        Assert.True(s.ExitCode == 0, s.ToString());
        var strict = JsonNode.Parse(File.ReadAllText(Path.Combine(strictDir, "fusion.json")))!;
        Assert.True((long)strict["below_min_confidence"]! > 0 && (long)strict["ignored_pixels"]! > ties);
    }

    [Fact]
    public void AgreementWritesPerClassStatisticsAndTheMostDisputedImages()
    {
        string outDir = TestPaths.NewTempDir("masks-agreement");
        var r = CliRunner.Run(["masks", "agreement", "--dataset", TrainingFixture.DatasetYaml, "--split", "val", "--annotators", .. Folders, "--out", outDir, "--worst", "2"]);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("Krippendorff's alpha", r.StdOut);
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "agreement.json")))!;
        double alpha = (double)json["krippendorff_alpha"]!;
        Assert.InRange(alpha, 0.3, 0.9);
        Assert.Equal(DatasetSpec.Load(TrainingFixture.DatasetYaml).Classes.Count, json["classes"]!.AsArray().Count);
        Assert.Equal(3, json["classes"]![0]!["pairs"]!.AsArray().Count);
        var csv = File.ReadAllLines(Path.Combine(outDir, "disagreement.csv"));
        Assert.Equal(13, csv.Length); // header + 12 val images
        var shares = csv.Skip(1).Select(l => double.Parse(l.Split(',')[3], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(shares.OrderByDescending(v => v), shares);
        string html = File.ReadAllText(Path.Combine(outDir, "report.html"));
        Assert.Contains("The 2 most disputed images", html);
        Assert.Equal(2 * 5, System.Text.RegularExpressions.Regex.Matches(html, "<figure>").Count); // image, 3 masks, disagreement map
    }

    [Fact]
    public void UserErrorsAreOneLine()
    {
        void OneLine(CliRunner.Result r, string expected)
        {
            Assert.Equal(1, r.ExitCode);
            Assert.Single(r.StdErr.Trim().Split('\n'));
            Assert.Contains(expected, r.StdErr);
        }
        string outDir = TestPaths.NewTempDir("masks-errors");
        OneLine(CliRunner.Run("masks", "fuse", "--dataset", TrainingFixture.DatasetYaml, "--annotators", Folders[0], "--out", outDir), "at least two mask folders");
        OneLine(CliRunner.Run("masks", "fuse", "--dataset", TrainingFixture.DatasetYaml, "--annotators", Folders[0], "/nonexistent/b", "--out", outDir), "annotator folder not found");
        OneLine(CliRunner.Run(["masks", "fuse", "--dataset", TrainingFixture.DatasetYaml, "--annotators", .. Folders, "--method", "staple", "--tie", "ignore", "--out", outDir, "--min-confidence", "2"]), "--min-confidence 2 must be in [0, 1]");
        OneLine(CliRunner.Run(["masks", "fuse", "--dataset", TrainingFixture.DatasetYaml, "--annotators", .. Folders, "--method", "staple", "--tie", "0", "--out", outDir]), "--tie '0' is not a class");
        OneLine(CliRunner.Run(["masks", "fuse", "--dataset", TrainingFixture.DatasetYaml, "--annotators", .. Folders, "--method", "vote2", "--out", outDir]), "--method 'vote2' is not known");
        OneLine(CliRunner.Run(["masks", "fuse", "--dataset", TrainingFixture.DatasetYaml, "--annotators", .. Folders, "--weights", "1,1", "--out", outDir]), "--weights needs 3 positive numbers");
        OneLine(CliRunner.Run("masks", "simulate", "--dataset", TrainingFixture.DatasetYaml, "--perturb", "grow sky-blue 2", "--out", outDir), "names no class of the dataset");
        // A mask of the wrong size in one annotator's folder.
        string bad = TestPaths.NewTempDir("masks-bad-size");
        foreach (var f in Directory.GetFiles(Folders[0])) File.Copy(f, Path.Combine(bad, Path.GetFileName(f)));
        string victim = Directory.GetFiles(bad).Order().First();
        PngCodec.SaveGray8(victim, 3, 2, new byte[6]);
        OneLine(CliRunner.Run("masks", "agreement", "--dataset", TrainingFixture.DatasetYaml, "--split", "val", "--annotators", bad, Folders[1], "--out", outDir), "every annotator's mask of an image must have the image's size");
    }

    [Fact]
    public void MaskEncoderWritesWhatTheDecoderReadsBackInEveryEncoding()
    {
        var classes = new ClassTable([new ClassInfo("a", new Rgb(10, 20, 30), 7), new ClassInfo("b", new Rgb(200, 100, 0), 300), new ClassInfo("c", new Rgb(0, 0, 255), null)]);
        var mask = new LabelMask(4, 2, [0, 1, 2, LabelMask.Ignore, 2, 1, 0, 0]);
        string dir = TestPaths.NewTempDir("mask-encoder");
        foreach (var (name, table, encoding) in new (string, ClassTable, MaskEncoding)[]
        {
            ("index16", classes, new MaskEncoding(MaskEncodingKind.Index, [999], [], 0)),
            ("rgb", classes, new MaskEncoding(MaskEncodingKind.Rgb, [], [new Rgb(1, 1, 1)], 0)),
            ("threshold", new ClassTable([new("bg", new Rgb(0, 0, 0), null), new("fg", new Rgb(255, 255, 255), null)]), new MaskEncoding(MaskEncodingKind.Threshold, [], [], 0) { IgnoreBand = (100, 150) }),
        })
        {
            var m = name == "threshold" ? new LabelMask(4, 2, [0, 1, 1, LabelMask.Ignore, 0, 1, 0, 0]) : mask;
            string path = Path.Combine(dir, name + ".png");
            new MaskEncoder(table, encoding).Save(m, path);
            Assert.Equal(m.Labels, new MaskDecoder(table, encoding).Decode(path).Labels);
        }
        var noIgnore = new MaskEncoding(MaskEncodingKind.Index, [], [], 0);
        Assert.Contains("add mask.ignore_values", Assert.Throws<SharpSegException>(() => new MaskEncoder(classes, noIgnore).Save(mask, Path.Combine(dir, "x.png"))).Message);
    }
}
