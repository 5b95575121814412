using SharpSeg.Models.MaskClassification;
using Xunit;
using static TorchSharp.torch;

namespace SharpSeg.Tests.Models;

/// <summary>
/// Mask2Former's panoptic and instance inference (<see cref="PanopticInference"/>) on hand-made class and mask logits whose
/// outcome is known: the object-mask threshold and "no object" filter, the per-pixel winner, the overlap-ratio drop (at and
/// below 0.8), stuff queries merged into one segment per class, thing queries one segment each, the mask score, and the
/// instance top-k scores.
/// </summary>
public sealed class PanopticInferenceTests
{
    const int Road = 0, Car = 1, Person = 2, NoObject = 3; // classes 0..2; column 3 is "no object"
    static readonly bool[] Things = [false, true, true];
    const double Sure = 10, In = 5;

    /// <summary>Class logits that put a probability of e¹⁰/(e¹⁰+3) ≈ 0.99986 on <paramref name="c"/>.</summary>
    static double[] Confident(int c) { var l = new double[4]; l[c] = Sure; return l; }

    /// <summary>A 3×5 mask of logit −5 with the given (row, col, logit) set.</summary>
    static double[] Mask(params (int Y, int X, double Logit)[] on)
    {
        var m = Enumerable.Repeat(-5.0, 15).ToArray();
        foreach (var (y, x, v) in on) m[y * 5 + x] = v;
        return m;
    }

    static (Tensor Classes, Tensor Masks) Logits(params (double[] Class, double[] Mask)[] queries) =>
        (tensor(queries.SelectMany(q => q.Class).ToArray(), [queries.Length, 4]),
         tensor(queries.SelectMany(q => q.Mask).ToArray(), [queries.Length, 3, 5]));

    static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    [Fact]
    public void ThresholdOverlapAndStuffMergingGiveTheKnownSegments()
    {
        using var scope = NewDisposeScope();
        var (classes, masks) = Logits(
            (Confident(Road), Mask((0, 0, In), (0, 1, In), (0, 2, In), (0, 3, In), (0, 4, In))),      // q0 road: row 0; loses (0,4) → 4/5 = 0.8, kept
            (Confident(Car), Mask((1, 0, In), (1, 1, 8))),                                            // q1 car
            (Confident(NoObject), Enumerable.Repeat(9.0, 15).ToArray()),                              // q2 "no object": would win everywhere
            (Confident(Road), Mask((2, 0, In), (2, 1, In))),                                          // q3 road again: merged into q0's segment
            (new double[] { 0, 2, 0, 0 }, Enumerable.Repeat(9.0, 15).ToArray()),                      // q4 car at p = 0.71 < 0.8: filtered
            (Confident(Person), Mask((1, 1, In), (1, 2, In), (1, 3, In), (1, 4, In), (2, 2, In), (2, 3, In), (2, 4, In))), // q5: loses (1,1) to q1 → 6/7
            (Confident(Person), Mask((0, 4, 7), (1, 4, 3), (2, 4, 3))));                              // q6: wins only (0,4) → 1/3 < 0.8: dropped
        var result = PanopticInference.Panoptic(classes, masks, Things);
        Assert.Equal((5, 3), (result.Width, result.Height));
        Assert.Equal(new[]
        {
            1, 1, 1, 1, 0,   // (0,4) was won by the dropped q6: void
            2, 2, 3, 3, 3,
            1, 1, 3, 3, 3,   // q3's road pixels carry q0's segment id
        }, result.SegmentIds);
        Assert.Equal(3, result.Segments.Count);
        Assert.Equal((1, Road, false, 0), (result.Segments[0].Id, result.Segments[0].ClassIndex, result.Segments[0].IsThing, result.Segments[0].Query));
        Assert.Equal((2, Car, true, 1), (result.Segments[1].Id, result.Segments[1].ClassIndex, result.Segments[1].IsThing, result.Segments[1].Query));
        Assert.Equal((3, Person, true, 5), (result.Segments[2].Id, result.Segments[2].ClassIndex, result.Segments[2].IsThing, result.Segments[2].Query));
        double p = Math.Exp(Sure) / (Math.Exp(Sure) + 3);
        Assert.Equal(p, result.Segments[1].ClassScore, 12);
        // Mask score: the mean sigmoid over the query's positive logits (5 and 8), as instance inference scores.
        Assert.Equal((Sigmoid(5) + Sigmoid(8)) / 2 * 2 / (2 + 1e-6), result.Segments[1].MaskScore, 9);
        Assert.Equal(result.Segments[1].ClassScore * result.Segments[1].MaskScore, result.Segments[1].Score, 12);

        // A slightly higher overlap threshold drops q0 (4/5 = 0.8): its road segment is then q3's alone.
        var strict = PanopticInference.Panoptic(classes, masks, Things, new PanopticInferenceOptions { OverlapThreshold = 0.81 });
        Assert.Equal(new[] { 0, 0, 0, 0, 0, 1, 1, 3, 3, 3, 2, 2, 3, 3, 3 }, strict.SegmentIds);
        Assert.Equal(new[] { Car, Road, Person }, strict.Segments.Select(s => s.ClassIndex));
        Assert.Equal(3, strict.Segments[1].Query);

        // Every class a thing: q3's road is a segment of its own.
        var allThings = PanopticInference.Panoptic(classes, masks, [true, true, true]);
        Assert.Equal(new[] { 1, 1, 1, 1, 0, 2, 2, 4, 4, 4, 3, 3, 4, 4, 4 }, allThings.SegmentIds);
        Assert.Equal(new[] { Road, Car, Road, Person }, allThings.Segments.Select(s => s.ClassIndex));

        // With no object threshold at all, q4 (p = 0.71) is kept but wins no pixel against the masks at logit ≥ 3, and q2 is
        // still out because its class is "no object" (at 0.99986 × sigmoid(9) it would win every pixel): the same map.
        var open = PanopticInference.Panoptic(classes, masks, Things, new PanopticInferenceOptions { ObjectMaskThreshold = 0 });
        Assert.Equal(result.SegmentIds, open.SegmentIds);
        // A query whose "no object" logit is high but not the highest is kept (its car probability is 0.73); a road query with
        // an empty mask is dropped (no pixel of its own).
        var (c2, m2) = Logits((new double[] { 0, Sure + 1, 0, Sure }, Enumerable.Repeat(9.0, 15).ToArray()), (Confident(Road), Mask()));
        var carWins = PanopticInference.Panoptic(c2, m2, Things, new PanopticInferenceOptions { ObjectMaskThreshold = 0.5 });
        Assert.Equal(Enumerable.Repeat(1, 15), carWins.SegmentIds);
        Assert.Equal(Car, carWins.Segments.Single().ClassIndex);
    }

    [Fact]
    public void NoConfidentQueryGivesAnAllVoidMap()
    {
        using var scope = NewDisposeScope();
        var (classes, masks) = Logits(
            (Confident(NoObject), Enumerable.Repeat(9.0, 15).ToArray()),
            (new double[] { 1, 1, 1, 0 }, Enumerable.Repeat(9.0, 15).ToArray()));
        var result = PanopticInference.Panoptic(classes, masks, Things);
        Assert.Empty(result.Segments);
        Assert.All(result.SegmentIds, id => Assert.Equal(0, id));
    }

    [Fact]
    public void InstancesAreTheTopKQueryClassPairsScoredByTheirMasks()
    {
        using var scope = NewDisposeScope();
        // Three queries, classes road/car/person + no object; probabilities known from the logits.
        var (classes, masks) = Logits(
            (new double[] { 0, 3, 1, 0 }, Mask((0, 0, 2), (0, 1, -1))),   // q0: car best
            (new double[] { 0, 0, 4, 0 }, Mask((1, 1, 1), (1, 2, 3))),    // q1: person
            (new double[] { 0, 0, 0, 6 }, Mask((2, 2, 4))));              // q2: mostly "no object"
        var softmax = classes.softmax(-1);
        var expectedPairs = Enumerable.Range(0, 3).SelectMany(q => Enumerable.Range(0, 3).Select(c => (q, c, p: softmax[q, c].item<double>())))
            .OrderByDescending(t => t.p).Take(4).ToList();
        var found = PanopticInference.Instances(classes, masks, new PanopticInferenceOptions { TopK = 4 });
        Assert.Equal(expectedPairs.Select(t => (t.q, t.c)), found.Select(i => (i.Query, i.ClassIndex)));
        Assert.Equal((1, Person), (found[0].Query, found[0].ClassIndex));
        Assert.Equal(softmax[1, Person].item<double>(), found[0].ClassScore, 12);
        // q1's binary mask: logits 1 and 3 positive → pixels (1,1), (1,2); mask score the mean of their sigmoids.
        Assert.Equal(new byte[] { 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0 }, found[0].Mask);
        Assert.Equal((Sigmoid(1) + Sigmoid(3)) / (2 + 1e-6), found[0].MaskScore, 9);
        Assert.Equal(found[0].ClassScore * found[0].MaskScore, found[0].Score, 12);
        // Only thing classes (as the official code keeps with panoptic output on): road pairs are left out.
        var thingsOnly = PanopticInference.Instances(classes, masks, new PanopticInferenceOptions { TopK = 9 }, Things);
        Assert.Equal(6, thingsOnly.Count);
        Assert.DoesNotContain(thingsOnly, i => i.ClassIndex == Road);
        // Top-k beyond Q·K is clamped.
        Assert.Equal(9, PanopticInference.Instances(classes, masks).Count);
    }

    [Fact]
    public void BadShapesAndThresholdsAreRefused()
    {
        using var scope = NewDisposeScope();
        var (classes, masks) = Logits((Confident(Car), Mask()));
        Assert.Throws<ArgumentException>(() => PanopticInference.Panoptic(classes, masks, [true, true]));
        Assert.Throws<ArgumentException>(() => PanopticInference.Panoptic(classes, masks.reshape(1, 15), Things));
        Assert.Contains("0.8", Assert.Throws<SharpSegException>(() => PanopticInference.Panoptic(classes, masks, Things, new PanopticInferenceOptions { OverlapThreshold = 1.5 })).Message);
    }
}
