using SharpSeg.Imaging;
using SharpSeg.Metrics;
using SharpSeg.Reports;
using Xunit;

namespace SharpSeg.Tests.Reports;

public sealed class ReportPiecesTests
{
    static ConfusionMatrix Matrix(int classes, params (int Truth, int Predicted, int Pixels)[] cells)
    {
        var m = new ConfusionMatrix(classes);
        var t = new List<byte>(); var p = new List<byte>();
        foreach (var (truth, predicted, pixels) in cells)
            for (int i = 0; i < pixels; i++) { t.Add((byte)truth); p.Add((byte)predicted); }
        m.Update(p.ToArray(), t.ToArray());
        return m;
    }

    [Fact]
    public void RowNormalisationDividesEachRowByItsGroundTruthPixels()
    {
        // class 0: 6 right, 2 as class 1, 2 as class 2; class 1: 3 right, 1 as class 0; class 2: never in the ground truth.
        var m = Matrix(3, (0, 0, 6), (0, 1, 2), (0, 2, 2), (1, 1, 3), (1, 0, 1), (2, 2, 0));
        var r = ConfusionAnalysis.RowNormalized(m);
        Assert.Equal([0.6, 0.2, 0.2], new[] { r[0, 0]!.Value, r[0, 1]!.Value, r[0, 2]!.Value });
        Assert.Equal([0.25, 0.75, 0.0], new[] { r[1, 0]!.Value, r[1, 1]!.Value, r[1, 2]!.Value });
        Assert.All(new[] { r[2, 0], r[2, 1], r[2, 2] }, v => Assert.Null(v));
    }

    [Fact]
    public void LargestConfusionsAreOffDiagonalByShareOfTheTrueClass()
    {
        var m = Matrix(3, (0, 0, 60), (0, 1, 30), (0, 2, 10), (1, 1, 5), (1, 0, 5), (2, 2, 99), (2, 0, 1));
        var top = ConfusionAnalysis.Largest(m, 2);
        Assert.Equal(2, top.Count);
        Assert.Equal(new Confusion(1, 0, 5, 0.5), top[0]);
        Assert.Equal(new Confusion(0, 1, 30, 0.3), top[1]);
        Assert.Empty(ConfusionAnalysis.Largest(Matrix(2, (0, 0, 4), (1, 1, 4)), 5));
        Assert.Equal([(0, 1), (0, 2)], ConfusionAnalysis.Largest(m, 10, minPixels: 6).Select(c => (c.Truth, c.Predicted)));
    }

    [Fact]
    public void ErrorMapMarksWrongPixelsRedIgnoredNeutralAndFadesCorrectOnes()
    {
        var image = new RgbImage(4, 1, 3, [0, 0, 0, 255, 255, 255, 10, 20, 30, 200, 100, 50]);
        var truth = new LabelMask(4, 1, [0, 1, LabelMask.Ignore, 2]);
        var prediction = new LabelMask(4, 1, [0, 1, 1, 0]);
        var map = ErrorMap.Render(image, truth, prediction);
        Rgb Px(int i) => new(map.Pixels[3 * i], map.Pixels[3 * i + 1], map.Pixels[3 * i + 2]);
        Assert.Equal(new Rgb(160, 160, 160), Px(0));           // right, black pixel: 160 + 0
        Assert.Equal(new Rgb(255, 255, 255), Px(1));           // right, white pixel: 160 + 95
        Assert.Equal(ErrorMap.Ignored, Px(2));                 // ignore: neutral, whatever was predicted
        Assert.Equal(ErrorMap.Wrong, Px(3));                   // wrong
        Assert.Equal(1 / 3.0, ErrorMap.WrongShare(truth, prediction)!.Value, 12);
        Assert.Null(ErrorMap.WrongShare(new LabelMask(1, 1, [LabelMask.Ignore]), new LabelMask(1, 1, [0])));
        Assert.Throws<ArgumentException>(() => ErrorMap.Render(image, new LabelMask(2, 2), prediction));
    }

    [Fact]
    public void WorstCasesKeepTheLowestScoresFirstComeOnTiesAndCaptureOnlyWhatTheyKeep()
    {
        var worst = new WorstCases<string>(3);
        int captured = 0;
        string Capture(string s) { captured++; return s; }
        foreach (var (score, name) in new[] { (0.5, "a"), (0.9, "b"), (0.2, "c"), (0.5, "d"), (double.NaN, "nan"), (0.95, "e"), (0.1, "f"), (0.5, "g") })
            worst.Offer(score, () => Capture(name));
        Assert.Equal(["f", "c", "a"], worst.Items.Select(x => x.Item));
        Assert.Equal([0.1, 0.2, 0.5], worst.Items.Select(x => x.Score));
        Assert.Equal(5, captured); // a, b, c, d and f were kept at some point; e, g (a tie with a, which came first) and NaN never
        Assert.Empty(new WorstCases<int>(0).Items);
    }

    [Fact]
    public void WorstCasesAgreeWithSortingEverything()
    {
        var random = new Random(7);
        var scores = Enumerable.Range(0, 500).Select(_ => Math.Round(random.NextDouble(), 2)).ToArray();
        var worst = new WorstCases<int>(12);
        for (int i = 0; i < scores.Length; i++) { int j = i; worst.Offer(scores[i], () => j); }
        var expected = scores.Select((s, i) => (s, i)).OrderBy(x => x.s).ThenBy(x => x.i).Take(12).Select(x => x.i);
        Assert.Equal(expected, worst.Items.Select(x => x.Item));
    }

    [Fact]
    public void SamplesAreSpreadEvenlyOverASplit()
    {
        Assert.Equal([0, 25, 50, 75], DatasetReport.Pick(100, 4));
        Assert.Equal([0, 1, 2], DatasetReport.Pick(3, 12));
        Assert.Empty(DatasetReport.Pick(10, 0));
    }
}
