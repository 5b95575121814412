using SharpSeg.Data.Dataset;
using SharpSeg.Imaging;
using SharpSeg.Instances;
using Xunit;
using static SharpSeg.Tests.Instances.ConnectedComponentsTests;

namespace SharpSeg.Tests.Instances;

/// <summary>Instance matching for <c>eval --instances</c> on masks whose IoUs are known.</summary>
public sealed class InstanceMatchingTests
{
    static readonly ClassTable Table = new([
        new ClassInfo("road", new Rgb(128, 64, 128), 0), new ClassInfo("car", new Rgb(0, 0, 142), 1), new ClassInfo("tree", new Rgb(107, 142, 35), 2)]);

    [Fact]
    public void Instances_match_one_to_one_at_iou_at_least_one_half_within_their_class()
    {
        // Truth: car A (2x2 = 4 px), car B (4 px), tree C (2 px), car D (1 px, with an ignored neighbour).
        var truth = Mask("11..11..",
                         "11..11..",
                         "........",
                         "22....1x");
        // Prediction: A exact (IoU 1); B shifted by one column and grown (overlap 2, union 8: IoU 1/4, no match);
        // C predicted as car (other class: no match); a false car far away; the ignored pixel's car is masked out.
        var prediction = Mask("11...11.",
                              "11...11.",
                              "......1.",
                              "11....11");
        var matching = new InstanceMatching(new InstanceOptions { StuffClasses = ["road"] }.Resolve(Table, "test"));
        var counts = matching.Add(truth, prediction);
        Assert.Equal([0L, 3, 1], counts.True);
        // Predicted cars: A, the shifted B merged with the pixel below it and the last-row car (8-connected), the
        // car on C's place: 3. The ignored pixel (7, 3) is removed before labelling.
        Assert.Equal([0L, 3, 0], counts.Predicted);
        Assert.Equal([0L, 1, 0], counts.Matched);
        var scores = matching.ToScores();
        var car = scores.PerClass.Single(c => c.Name == "car");
        Assert.Equal((1.0 / 3, 1.0 / 3, 1.0 / 3), (car.Precision!.Value, car.Recall!.Value, car.F1!.Value));
        Assert.Equal(0.0, car.CountMeanAbsoluteError);
        var tree = scores.PerClass.Single(c => c.Name == "tree");
        Assert.Equal((null, 0.0, 0.0), (tree.Precision, tree.Recall, tree.F1));
        Assert.Equal(1.0, tree.CountMeanAbsoluteError);
        Assert.Equal(-1.0, tree.CountRelativeError);
        Assert.Equal(2, scores.PerClass.Count); // road is stuff: not scored
        Assert.Equal((1.0 / 3, 1.0 / 4), (scores.Precision!.Value, scores.Recall!.Value));
        Assert.Equal(2.0 / 7, scores.F1!.Value, 12);
    }

    [Fact]
    public void Iou_of_exactly_one_half_matches_and_each_truth_takes_at_most_one_prediction()
    {
        // One true car of two diagonal pixels (8-connected); the prediction, labelled 4-connected, is two one-pixel cars,
        // each with IoU exactly 1/2: both qualify, only one may match.
        var mask = Mask("1.",
                        ".1");
        var t = ConnectedComponents.Label(mask, Connectivity.Eight, [false, true]);
        var p = ConnectedComponents.Label(mask, Connectivity.Four, [false, true]);
        Assert.Equal((1, 2), (t.Count, p.Count));
        var counts = InstanceMatching.Match(t, p, 2);
        Assert.Equal((1L, 2L, 1L), (counts.True[1], counts.Predicted[1], counts.Matched[1]));
        // Just under one half does not match: a 3-pixel truth and a 1-pixel prediction inside it (IoU 1/3).
        var three = ConnectedComponents.Label(Mask("111"), Connectivity.Four, [false, true]);
        var one = ConnectedComponents.Label(Mask(".1."), Connectivity.Four, [false, true]);
        Assert.Equal(0, InstanceMatching.Match(three, one, 2).Matched[1]);
    }
}
