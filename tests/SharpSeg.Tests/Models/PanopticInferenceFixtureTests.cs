using System.Text.Json;
using SharpSeg.Models.MaskClassification;
using Xunit;
using static TorchSharp.torch;

namespace SharpSeg.Tests.Models;

/// <summary>
/// <see cref="PanopticInference"/> against Mask2Former's own panoptic_inference and instance_inference, copied as plain
/// PyTorch functions (tests/fixtures-scripts/make_panoptic_inference_fixture.py, float64): ten random cases with
/// confident, unsure and "no object" queries, stuff queries that merge and shifted copies that are dropped for overlap.
/// The panoptic map must agree pixel for pixel, the segments in id, class and thing flag, the detections in query, class
/// and score.
/// </summary>
public sealed class PanopticInferenceFixtureTests
{
    static double[] Doubles(JsonElement e) => e.EnumerateArray().Select(v => v.GetDouble()).ToArray();
    static int[] Ints(JsonElement e) => e.EnumerateArray().Select(v => v.GetInt32()).ToArray();

    [Fact]
    public void PanopticAndInstanceInferenceMatchTheOfficialCode()
    {
        var r = JsonDocument.Parse(File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "tests", "SharpSeg.Tests", "Fixtures", "maskclassification", "panoptic.json"))).RootElement;
        int k = r.GetProperty("num_classes").GetInt32(), q = r.GetProperty("queries").GetInt32(), h = r.GetProperty("height").GetInt32(), w = r.GetProperty("width").GetInt32();
        var things = Ints(r.GetProperty("thing_classes"));
        var isThing = Enumerable.Range(0, k).Select(c => things.Contains(c)).ToArray();
        var options = new PanopticInferenceOptions
        {
            ObjectMaskThreshold = r.GetProperty("object_mask_threshold").GetDouble(),
            OverlapThreshold = r.GetProperty("overlap_threshold").GetDouble(),
            TopK = r.GetProperty("topk").GetInt32(),
        };
        int overlapDropped = 0, merged = 0, segments = 0, detections = 0;
        foreach (var c in r.GetProperty("cases").EnumerateArray())
        {
            using var scope = NewDisposeScope();
            int seed = c.GetProperty("seed").GetInt32();
            var classLogits = tensor(Doubles(c.GetProperty("class_logits")), [q, k + 1]);
            var maskLogits = tensor(Doubles(c.GetProperty("mask_logits")), [q, h, w]);
            var panoptic = PanopticInference.Panoptic(classLogits, maskLogits, isThing, options);
            Assert.True(Ints(c.GetProperty("panoptic")).SequenceEqual(panoptic.SegmentIds), $"case {seed}: panoptic maps differ");
            var expected = c.GetProperty("segments").EnumerateArray()
                .Select(s => (s.GetProperty("id").GetInt32(), s.GetProperty("category_id").GetInt32(), s.GetProperty("isthing").GetBoolean())).ToList();
            Assert.Equal(expected, panoptic.Segments.Select(s => (s.Id, s.ClassIndex, s.IsThing)));

            var inst = c.GetProperty("instances");
            var found = PanopticInference.Instances(classLogits, maskLogits, options, isThing);
            Assert.Equal(Ints(inst.GetProperty("queries")), found.Select(i => i.Query));
            Assert.Equal(Ints(inst.GetProperty("classes")), found.Select(i => i.ClassIndex));
            var classScores = Doubles(inst.GetProperty("class_scores"));
            var scores = Doubles(inst.GetProperty("scores"));
            var areas = Doubles(inst.GetProperty("mask_areas"));
            for (int i = 0; i < found.Count; i++)
            {
                Assert.Equal(classScores[i], found[i].ClassScore, 12);
                // The official code counts the mask pixels in float32 ((mask_pred > 0).float()), so its "n + 1e-6" is rounded
                // to float32 (a relative error up to 6e-8) where SharpSeg counts in the logits' dtype (float64 here).
                Assert.True(Math.Abs(scores[i] - found[i].Score) <= 1e-7 * scores[i], $"case {seed}, detection {i}: score {found[i].Score} vs {scores[i]}");
                Assert.Equal(areas[i], found[i].Mask.Sum(b => (double)b));
            }
            overlapDropped += c.GetProperty("stats").GetProperty("overlap_dropped").GetInt32();
            merged += c.GetProperty("stats").GetProperty("stuff_merged").GetInt32();
            segments += panoptic.Segments.Count;
            detections += found.Count;
        }
        // The fixture exercises what it is for (measured: 4 overlap drops, 18 stuff merges, 30 segments, 44 detections).
        Assert.True(overlapDropped >= 3 && merged >= 10 && segments >= 20 && detections >= 30, $"{overlapDropped} drops, {merged} merges, {segments} segments, {detections} detections");
    }
}
