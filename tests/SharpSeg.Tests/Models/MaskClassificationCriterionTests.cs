using System.Text.Json;
using SharpSeg.Models.MaskClassification;
using Xunit;
using static TorchSharp.torch;

namespace SharpSeg.Tests.Models;

/// <summary>
/// The set criterion against a plain-PyTorch re-implementation of Mask2Former's matcher and criterion
/// (tests/fixtures-scripts/make_mask_classification_fixtures.py, float64, fixed points): matches, cost matrices, each
/// loss term of each layer, the total and its gradients w.r.t. the class and mask logits. Then point sampling against
/// its definition and importance sampling's choice of points.
/// </summary>
public sealed class MaskClassificationCriterionTests
{
    static readonly Lazy<JsonElement> Root = new(() => JsonDocument.Parse(File.ReadAllText(
        Path.Combine(TestPaths.RepoRoot, "tests", "SharpSeg.Tests", "Fixtures", "maskclassification", "criterion.json"))).RootElement);

    static double[] Doubles(JsonElement e) => e.EnumerateArray().Select(v => v.GetDouble()).ToArray();
    static long[] Longs(JsonElement e) => e.EnumerateArray().Select(v => v.GetInt64()).ToArray();

    [Fact]
    public void MatchesLossesAndGradientsAgreeWithPyTorchReference()
    {
        var r = Root.Value;
        using var scope = NewDisposeScope();
        var w = r.GetProperty("weights");
        var options = new MaskClassificationLossOptions
        {
            ClassWeight = w.GetProperty("class").GetDouble(), MaskWeight = w.GetProperty("mask").GetDouble(),
            DiceWeight = w.GetProperty("dice").GetDouble(), NoObjectWeight = w.GetProperty("no_object").GetDouble(),
            IgnoreIndex = r.GetProperty("ignore_index").GetInt64(),
        };
        int k = r.GetProperty("num_classes").GetInt32();
        var classLogits = tensor(Doubles(r.GetProperty("class_logits"))).reshape(Longs(r.GetProperty("class_logits_shape"))).requires_grad_(true);
        var maskLogits = tensor(Doubles(r.GetProperty("mask_logits"))).reshape(Longs(r.GetProperty("mask_logits_shape"))).requires_grad_(true);
        var target = tensor(Longs(r.GetProperty("target"))).reshape(Longs(r.GetProperty("target_shape")));
        var extent = Doubles(r.GetProperty("extent"));
        long layers = classLogits.shape[0];
        var output = new MaskClassificationOutput(
            Enumerable.Range(0, (int)layers).Select(l => (classLogits[l], maskLogits[l])).ToArray(), extent[0], extent[1]);
        int pm = r.GetProperty("points_for_matching").GetInt32(), pl = r.GetProperty("points_per_mask").GetInt32();
        var matchPoints = tensor(Doubles(r.GetProperty("match_points"))).reshape(-1, pm, 2);
        var lossPoints = r.GetProperty("loss_points").EnumerateArray().Select(p => tensor(Doubles(p)).reshape(-1, pl, 2)).ToArray();
        var points = new MaskClassificationCriterion.Points(
            (_, b) => matchPoints[b],
            (_, b, _, targetIndex) => lossPoints[b].index_select(0, tensor(targetIndex)));

        var loss = new MaskClassificationCriterion(k, options).Compute(output, target, points);

        var expectedLayers = r.GetProperty("layers").EnumerateArray().ToArray();
        Assert.Equal(expectedLayers.Length, loss.Layers.Count);
        for (int l = 0; l < expectedLayers.Length; l++)
        {
            var e = expectedLayers[l];
            var got = loss.Layers[l];
            var expectedMatches = e.GetProperty("matches").EnumerateArray().Select(m => m.EnumerateArray().Select(v => v.GetInt32()).ToArray()).ToArray();
            for (int b = 0; b < expectedMatches.Length; b++)
            {
                Assert.Equal(expectedMatches[b], got.Matches[b]);
                var cost = Doubles(e.GetProperty("costs")[b].GetProperty("total"));
                Assert.Equal(cost.Length, got.Costs[b].Length);
                int m = got.Costs[b].GetLength(1);
                for (int i = 0; i < cost.Length; i++) Assert.Equal(cost[i], got.Costs[b][i / m, i % m], 1e-9);
            }
            Assert.Equal(e.GetProperty("class").GetDouble(), got.Class.item<double>(), 1e-9);
            Assert.Equal(e.GetProperty("mask").GetDouble(), got.Mask.item<double>(), 1e-9);
            Assert.Equal(e.GetProperty("dice").GetDouble(), got.Dice.item<double>(), 1e-9);
        }
        Assert.Equal(r.GetProperty("total").GetDouble(), loss.Total.item<double>(), 1e-9);
        loss.Total.backward();
        AssertClose(Doubles(r.GetProperty("grad_class_logits")), classLogits.grad!.data<double>().ToArray(), "d/dclass_logits");
        AssertClose(Doubles(r.GetProperty("grad_mask_logits")), maskLogits.grad!.data<double>().ToArray(), "d/dmask_logits");
    }

    static void AssertClose(double[] expected, double[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) < 1e-9, $"{what}[{i}] = {actual[i]}, PyTorch gives {expected[i]}");
    }

    [Fact]
    public void PointSampleIsBilinearWithZeroPaddingAtPixelCentres()
    {
        using var scope = NewDisposeScope();
        var maps = arange(12, dtype: ScalarType.Float64).reshape(1, 3, 4);
        // Pixel centres give the pixel; between two centres the mean; half a pixel outside the border half the value.
        var points = tensor(new double[] { 0.125, 1.0 / 6, 0.25, 0.5, 1.0, 0.5 }).reshape(3, 2);
        var v = PointSampling.Sample(maps, points).data<double>().ToArray();
        Assert.Equal(0.0, v[0], 1e-12);
        Assert.Equal((4 + 5) / 2.0, v[1], 1e-12);
        Assert.Equal(7 / 2.0, v[2], 1e-12);
        // With an extent of 1/2 in x, x = 1 of the image is the frame's centre.
        var half = PointSampling.Sample(maps, tensor(new double[] { 1.0, 0.5 }).reshape(1, 2), extentY: 1, extentX: 0.5).data<double>()[0];
        Assert.Equal((5 + 6) / 2.0, half, 1e-12);
    }

    [Fact]
    public void PointsSharedByEveryMapSampleAsTheSamePointsGivenPerMap()
    {
        using var scope = NewDisposeScope();
        var g = new Generator(11);
        var maps = randn(new long[] { 5, 7, 9 }, dtype: ScalarType.Float64, generator: g).requires_grad_(true);
        // Inside, on the border and half a pixel beyond it (zero padding), with a padded frame (extent below 1).
        var points = cat([rand(new long[] { 40, 2 }, dtype: ScalarType.Float64, generator: g), tensor(new double[] { 0, 0, 1, 1, 0.99, 0.01 }).reshape(3, 2)], 0);
        var shared = PointSampling.Sample(maps, points, extentY: 0.9, extentX: 0.8);
        var perMap = PointSampling.Sample(maps, points.unsqueeze(0).expand(5, -1, -1), extentY: 0.9, extentX: 0.8);
        Assert.Equal(new long[] { 5, 43 }, shared.shape);
        Assert.True(shared.eq(perMap).all().item<bool>(), "shared and per-map points give the same values");
        var gradShared = autograd.grad([shared.square().sum()], [maps])[0];
        var gradPerMap = autograd.grad([perMap.square().sum()], [maps])[0];
        Assert.True(gradShared.allclose(gradPerMap, rtol: 1e-12, atol: 1e-12), "and the same gradients");
    }

    [Fact]
    public void ImportanceSamplingKeepsTheMostUncertainPointsAndAddsRandomOnes()
    {
        using var scope = NewDisposeScope();
        manual_seed(7);
        // Logits far from 0 everywhere except columns 2..5 (62 % of the image after interpolation): the 30 importance
        // points out of 120 candidates must all land where |logit| is below 10.
        var logits = tensor(Enumerable.Range(0, 64).Select(i => i % 8 is >= 2 and <= 5 ? 0f : 10f).ToArray()).reshape(1, 8, 8);
        var pts = PointSampling.Importance(logits, 40, oversample: 3, importanceRatio: 0.75);
        Assert.Equal(new long[] { 1, 40, 2 }, pts.shape);
        var values = PointSampling.Sample(logits, pts).abs().data<float>().ToArray();
        Assert.True(values.Take(30).All(v => v < 10f), "the 30 importance-sampled points are all nearer the uncertain column than the rest");
        Assert.True(pts.ge(0).all().item<bool>() && pts.le(1).all().item<bool>());
    }

    [Fact]
    public void SemanticTargetsAreOneMaskPerClassPresent()
    {
        using var scope = NewDisposeScope();
        var target = tensor(new long[] { 0, 2, 255, 2 }).reshape(2, 2);
        var t = MaskTargets.Semantic(target, 3, 255);
        Assert.Equal(new long[] { 0, 2 }, t.Labels);
        Assert.Equal(new float[] { 1, 0, 0, 0, 0, 1, 0, 1 }, t.Masks.data<float>().ToArray());
        Assert.Equal(new float[] { 1, 1, 0, 1 }, t.Valid.data<float>().ToArray());
        Assert.Throws<SharpSegException>(() => MaskTargets.Semantic(tensor(new long[] { 3 }).reshape(1, 1), 3, 255));
    }
}
