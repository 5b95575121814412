using SharpSeg.Data;
using Xunit;
using Xunit.Abstractions;
using SharpSeg.Data.Dataset;
using SharpSeg.Data.Checks;

namespace SharpSeg.Tests.Data;

/// <summary>
/// The dataset layer on the real shared datasets (../shared/datasets). Where they are absent the tests are reported as
/// skipped (<see cref="SharedDatasetFactAttribute"/>), not passed.
/// </summary>
public sealed class RealDatasetTests(ITestOutputHelper output)
{
    static string Datasets() => TestPaths.SharedDatasets ?? throw new InvalidOperationException("SharedDatasetFact runs the test only when the datasets exist");

    string Config(string name) => Path.Combine(TestPaths.RepoRoot, "configs", "datasets", name);

    [SharedDatasetFact("camvid/val")]
    public void CamVidValChecksClean()
    {
        var datasets = Datasets();
        var r = CliRunner.Run("data", "check", Config("camvid.yaml"), "--split", "val", "--data-root", Path.Combine(datasets, "camvid"));
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("camvid: checked 101 pairs in 1 split (val): no problems.", r.StdOut);
    }

    [SharedDatasetFact("camvid/val", NeedsTheDefaultLocation = true)]
    public void CamVidConfigRootResolvesFromTheRepository()
    {
        var spec = DatasetSpec.Load(Config("camvid.yaml"));
        Assert.Equal(11, spec.Classes.Count);
        Assert.Equal([11], spec.Mask.IgnoreValues);
        Assert.Equal(3, spec.Classes.IndexOf("Road"));
        Assert.Equal(101, spec.ResolvePairs("val").Count);
    }

    [SharedDatasetFact("camvid/train")]
    public void CamVidTrainRoadShareMatchesTheReadme()
    {
        var datasets = Datasets();
        var spec = DatasetSpec.Load(Config("camvid.yaml"), Path.Combine(datasets, "camvid"));
        var s = Assert.Single(DataStats.Compute(spec, "train").Splits);
        Assert.Equal(367, s.Images);
        var road = s.Classes[spec.Classes.IndexOf("Road")];
        output.WriteLine($"Road share {100 * road.Share:0.00} %, void share {100 * s.IgnoreShare:0.00} %");
        Assert.InRange(100 * road.Share, 30.7, 32.7);     // README: 31.7 %
        Assert.InRange(100 * s.IgnoreShare, 3.5, 4.5);    // README: void 4.0 %
        Assert.Equal(new ImageSizeCount(480, 360, 367), Assert.Single(s.ImageSizes));
        // Median-frequency weights: rare classes weigh more than the most common one.
        Assert.True(s.Classes[spec.Classes.IndexOf("Bicyclist")].MedianFrequencyWeight > 10 * road.MedianFrequencyWeight);
    }

    [SharedDatasetFact("isbi2012-membrane")]
    public void IsbiConfigChecksCleanWithSliceRangeSplits()
    {
        var datasets = Datasets();
        var spec = DatasetSpec.Load(Config("isbi2012.yaml"), Path.Combine(datasets, "isbi2012-membrane"));
        Assert.Equal((20, 5, 5, 30), (spec.ResolvePairs("train").Count, spec.ResolvePairs("val").Count, spec.ResolvePairs("test").Count, spec.ResolvePairs("unlabelled").Count));
        Assert.Equal(["20", "21", "22", "23", "24"], spec.ResolvePairs("val").Select(p => p.Id));
        var report = new DataChecker(spec).Check();
        Assert.True(report.IsClean, string.Join("\n", report.Problems.Select(p => p.Message)));
        Assert.Equal((30, 30), (report.PairsChecked, report.UnlabelledImagesChecked));
    }

    [SharedDatasetFact("isbi2012-membrane/train")]
    public void InitOnIsbiDraftsTwoValuesThatCheckCleanOnceNamed()
    {
        var datasets = Datasets();
        string isbi = Path.Combine(datasets, "isbi2012-membrane", "train");
        string dir = TestPaths.NewTempDir("isbi-init");
        string yaml = Path.Combine(dir, "isbi.yaml");
        var r = CliRunner.Run("data", "init", "--images", Path.Combine(isbi, "images"), "--masks", Path.Combine(isbi, "masks"), "--out", yaml);
        Assert.True(r.ExitCode == 0, r.ToString());
        string text = File.ReadAllText(yaml);
        output.WriteLine(text);
        Assert.Contains("value: 0", text);
        Assert.Contains("value: 255", text);
        Assert.Contains("ignore_values: []", text);
        Assert.Contains("name: \"isbi2012-membrane\"", text); // not the split folder's name 'train'

        File.WriteAllText(yaml, text.Replace("name: class_0,", "name: membrane,").Replace("name: class_255,", "name: cell,"));
        var spec = DatasetSpec.Load(yaml);
        Assert.Equal(["membrane", "cell"], spec.Classes.Names);
        r = CliRunner.Run("data", "check", yaml);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("checked 30 pairs", r.StdOut);
    }
}
