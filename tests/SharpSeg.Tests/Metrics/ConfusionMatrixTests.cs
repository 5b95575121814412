using System.Text.Json;
using SharpSeg.Metrics;
using TorchSharp;
using Xunit;

namespace SharpSeg.Tests.Metrics;

public sealed class ConfusionMatrixTests
{
    // Hand-worked example, 4 classes, 12 pixels of which 2 are ignored (255):
    //   target:     0 0 0 0 1 1 1 1 1 1 255 255
    //   prediction: 0 0 0 1 1 1 1 2 0 2   1   3
    // Counted pixels (10), rows = truth, columns = prediction:
    //        p0 p1 p2 p3
    //   t0 [  3  1  0  0 ]   GT0 = 4
    //   t1 [  1  3  2  0 ]   GT1 = 6
    //   t2 [  0  0  0  0 ]   GT2 = 0 (class 2 is predicted only)
    //   t3 [  0  0  0  0 ]   GT3 = 0 (class 3 only "predicted" on ignored pixels: n/a)
    // Pred0 = 4, Pred1 = 4, Pred2 = 2, Pred3 = 0.
    // IoU0 = 3/(4+4-3) = 3/5 = 0.6      Dice0 = 2·3/(4+4) = 0.75   Acc0 = 3/4 = 0.75
    // IoU1 = 3/(6+4-3) = 3/7            Dice1 = 2·3/(6+4) = 0.6    Acc1 = 3/6 = 0.5
    // IoU2 = 0/(0+2-0) = 0              Dice2 = 0/2 = 0            Acc2 = n/a (no ground truth)
    // IoU3 = n/a                        Dice3 = n/a                Acc3 = n/a
    // pixel accuracy = (3+3)/10 = 0.6; mean class accuracy = (0.75+0.5)/2 = 0.625
    // mIoU = (0.6 + 3/7 + 0)/3 = 12/35; mean Dice = (0.75 + 0.6 + 0)/3 = 0.45
    // FWIoU = (4·0.6 + 6·3/7)/10 = 87/175
    private static readonly byte[] Target = [0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 255, 255];
    private static readonly byte[] Prediction = [0, 0, 0, 1, 1, 1, 1, 2, 0, 2, 1, 3];

    private static ConfusionMatrix FromTensors()
    {
        var cm = new ConfusionMatrix(4);
        using var t = torch.tensor(Target.Select(b => (long)b).ToArray()).reshape(1, 3, 4);
        using var p = torch.tensor(Prediction.Select(b => (long)b).ToArray()).reshape(1, 3, 4);
        cm.Update(p, t);
        using var allIgnored = t.clone().fill_(255);
        cm.Update(p, allIgnored); // adds nothing; also checks that the first Update left its inputs alive
        return cm;
    }

    [Fact]
    public void TensorUpdateCountsValidPixelsByTruthAndPrediction()
    {
        var cm = FromTensors();
        long[,] expected = { { 3, 1, 0, 0 }, { 1, 3, 2, 0 }, { 0, 0, 0, 0 }, { 0, 0, 0, 0 } };
        Assert.Equal(expected, cm.ToArray());
        Assert.Equal(10, cm.Total);
    }

    [Fact]
    public void ByteUpdateMatchesTensorUpdate()
    {
        var cm = new ConfusionMatrix(4);
        cm.Update(Prediction, Target);
        Assert.Equal(FromTensors().ToArray(), cm.ToArray());
    }

    [Fact]
    public void MetricsMatchHandComputedValues()
    {
        var m = FromTensors().Compute(["bg", "road", "car", "sky"]);
        const double eps = 1e-12;
        Assert.Equal(0.6, m.PerClass[0].IoU!.Value, eps);
        Assert.Equal(3.0 / 7, m.PerClass[1].IoU!.Value, eps);
        Assert.Equal(0.0, m.PerClass[2].IoU!.Value, eps);          // predicted only: counts as 0
        Assert.Null(m.PerClass[3].IoU);                              // absent everywhere: n/a
        Assert.Equal(0.75, m.PerClass[0].Dice!.Value, eps);
        Assert.Equal(0.6, m.PerClass[1].Dice!.Value, eps);
        Assert.Equal(0.0, m.PerClass[2].Dice!.Value, eps);
        Assert.Null(m.PerClass[3].Dice);
        Assert.Equal(0.75, m.PerClass[0].Accuracy!.Value, eps);
        Assert.Equal(0.5, m.PerClass[1].Accuracy!.Value, eps);
        Assert.Null(m.PerClass[2].Accuracy);
        Assert.Null(m.PerClass[3].Accuracy);
        Assert.Equal(10, m.Pixels);
        Assert.Equal(0.6, m.PixelAccuracy!.Value, eps);
        Assert.Equal(0.625, m.MeanClassAccuracy!.Value, eps);
        Assert.Equal(12.0 / 35, m.MeanIoU!.Value, eps);
        Assert.Equal(0.45, m.MeanDice!.Value, eps);
        Assert.Equal(87.0 / 175, m.FrequencyWeightedIoU!.Value, eps);
        Assert.Equal("car", m.PerClass[2].Name);
        Assert.Equal(new long[] { 4, 6, 0, 0 }, m.PerClass.Select(c => c.GroundTruthPixels));
        Assert.Equal(new long[] { 4, 4, 2, 0 }, m.PerClass.Select(c => c.PredictedPixels));
    }

    [Fact]
    public void DiceIsTwoIoUOverOnePlusIoU()
    {
        foreach (var c in FromTensors().Compute().PerClass.Where(c => c.IoU.HasValue))
            Assert.Equal(2 * c.IoU!.Value / (1 + c.IoU.Value), c.Dice!.Value, 1e-12);
    }

    [Fact]
    public void MergeAddsCountsAndKeepsRatios()
    {
        var a = FromTensors();
        a.Merge(FromTensors());
        Assert.Equal(20, a.Total);
        Assert.Equal(6, a[1, 1]);
        Assert.Equal(4, a[1, 2]);
        Assert.Equal(12.0 / 35, a.Compute().MeanIoU!.Value, 1e-12);
        Assert.Throws<ArgumentException>(() => a.Merge(new ConfusionMatrix(3)));
    }

    [Fact]
    public void EmptyMatrixHasNoScoresRatherThanZeroOrNaN()
    {
        var cm = new ConfusionMatrix(2);
        cm.Update(new byte[] { 1, 0 }, new byte[] { 255, 255 });
        var m = cm.Compute();
        Assert.Null(m.MeanIoU);
        Assert.Null(m.PixelAccuracy);
        Assert.Null(m.FrequencyWeightedIoU);
        Assert.All(m.PerClass, c => Assert.Null(c.IoU));
    }

    [Fact]
    public void OutOfRangeClassesAreRejected()
    {
        var cm = new ConfusionMatrix(2);
        Assert.Throws<ArgumentOutOfRangeException>(() => cm.Update(new byte[] { 0 }, new byte[] { 2 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => cm.Update(new byte[] { 5 }, new byte[] { 1 }));
        using var p = torch.tensor(new long[] { 0, 3 });
        using var t = torch.tensor(new long[] { 0, 1 });
        Assert.Throws<ArgumentOutOfRangeException>(() => cm.Update(p, t));
        Assert.Equal(0, cm.Total);
    }

    [Fact]
    public void JsonWritesNotApplicableAsNullAndSnakeCaseNames()
    {
        string json = FromTensors().Compute().ToJson();
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        Assert.Equal(12.0 / 35, root.GetProperty("mean_iou").GetDouble(), 1e-12);
        Assert.Equal(87.0 / 175, root.GetProperty("frequency_weighted_iou").GetDouble(), 1e-12);
        var perClass = root.GetProperty("per_class");
        Assert.Equal(4, perClass.GetArrayLength());
        Assert.Equal(JsonValueKind.Null, perClass[3].GetProperty("iou").ValueKind);
        Assert.Equal(JsonValueKind.Null, perClass[2].GetProperty("accuracy").ValueKind);
        Assert.Equal(0.0, perClass[2].GetProperty("iou").GetDouble());
        Assert.Contains("\n", json);
    }

    [Fact]
    public void TableRowsHaveHeaderClassesAndMean()
    {
        var rows = FromTensors().Compute(["bg", "road", "car", "sky"]).ToTableRows(decimals: 3);
        Assert.Equal(6, rows.Count);
        Assert.Equal(new[] { "class", "iou", "dice", "accuracy", "gt_pixels", "pred_pixels" }, rows[0]);
        Assert.Equal(new[] { "bg", "0.600", "0.750", "0.750", "4", "4" }, rows[1]);
        Assert.Equal(new[] { "sky", "n/a", "n/a", "n/a", "0", "0" }, rows[4]);
        Assert.Equal("0.343", rows[5][1]);
    }

    /// <summary>Class names in the metrics JSON read as written (an umlaut, a CJK name), not as \u escapes.</summary>
    [Fact]
    public void MetricsJsonKeepsClassNamesReadable()
    {
        var m = new ConfusionMatrix(2);
        m.Update(new byte[] { 0, 1 }, new byte[] { 0, 1 });
        string json = SegmentationMetrics.From(m, ["fond ü", "核"]).ToJson();
        Assert.Contains("fond ü", json);
        Assert.Contains("核", json);
        Assert.DoesNotContain("\\u", json);
        Assert.Equal("核", JsonDocument.Parse(json).RootElement.GetProperty("per_class")[1].GetProperty("name").GetString());
    }
}
