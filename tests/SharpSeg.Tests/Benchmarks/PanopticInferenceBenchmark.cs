using System.Diagnostics;
using SharpSeg.Instances;
using SharpSeg.Models.MaskClassification;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace SharpSeg.Tests.Benchmarks;

/// <summary>
/// Opt-in measurement, not a timed assertion: Mask2Former's panoptic step after the forward pass, at CamVid's size
/// (100 queries, 11 classes, 960×720 mask logits, float32, 30 confident queries, each mask a region of a random partition). Runs only with
/// SHARPSEG_BENCH=1:
/// <c>SHARPSEG_BENCH=1 dotnet test tests/SharpSeg.Tests -c Release --filter PanopticInferenceBenchmark --logger "console;verbosity=detailed"</c>.
/// Reports the median of 5 runs after one warm-up: panoptic inference, the conversion of its map into instances
/// (properties, RLE, polygons), and instance inference (top 100).
/// </summary>
public sealed class PanopticInferenceBenchmark(ITestOutputHelper output)
{
    const int Queries = 100, Classes = 11, Width = 960, Height = 720, Runs = 5;

    void Measure(string what, Func<string> work)
    {
        string info = work();
        var times = new List<double>();
        for (int r = 0; r < Runs; r++)
        {
            var sw = Stopwatch.StartNew();
            info = work();
            times.Add(sw.Elapsed.TotalMilliseconds);
        }
        times.Sort();
        output.WriteLine($"{what}: median {times[Runs / 2]:F0} ms (min {times[0]:F0}, max {times[^1]:F0}) over {Runs} runs, {get_num_threads()} torch threads; {info}");
    }

    [BenchmarkFact]
    public void PanopticStepAtCamVidSize()
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        var classLogits = randn(Queries, Classes + 1);
        classLogits[..30, 3].add_(8);   // 30 confident queries (class 3), the rest left to chance
        classLogits[30.., Classes].add_(4);
        // Each query's mask one region of a random partition (the arg-max of smooth noise), logits ±4 plus noise.
        var region = nn.functional.interpolate(randn(1, Queries, 9, 12), size: [Height, Width], mode: InterpolationMode.Bilinear, align_corners: false)[0].argmax(0);
        var maskLogits = where(region.unsqueeze(0).eq(arange(Queries).view(Queries, 1, 1)), 4f, -4f) + randn(Queries, Height, Width);
        var things = Enumerable.Range(0, Classes).Select(c => c >= 3).ToArray();
        PanopticResult? panoptic = null;
        Measure("panoptic inference", () =>
        {
            panoptic = PanopticInference.Panoptic(classLogits, maskLogits, things);
            return $"{panoptic.Segments.Count} segments";
        });
        var options = new InstanceOptions { StuffClasses = ["class0", "class1", "class2"] }.Resolve(
            new SharpSeg.Data.Dataset.ClassTable(Enumerable.Range(0, Classes).Select(i => new SharpSeg.Data.Dataset.ClassInfo($"class{i}", SharpSeg.Data.Dataset.ClassTable.DefaultColor(i), i)).ToArray()), "benchmark");
        var segments = panoptic!.Segments.Select(s => new SegmentInfo(s.Id, s.ClassIndex, s.Score)).ToList();
        Measure("segments into instances", () => $"{InstanceExtraction.FromSegments(panoptic.SegmentIds, Width, Height, segments, options).Instances.Count} instances");
        Measure("instance inference (top 100)", () => $"{PanopticInference.Instances(classLogits, maskLogits).Count} detections");
    }
}
