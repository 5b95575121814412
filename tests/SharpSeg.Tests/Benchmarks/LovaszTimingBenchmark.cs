using System.Diagnostics;
using SharpSeg.Losses;
using TorchSharp;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace SharpSeg.Tests.Benchmarks;

/// <summary>
/// Opt-in measurement: Lovász-softmax forward + backward on camvid-best stage 2's batch (8 × 11 classes × 256×320),
/// one warm-up then 5 timed runs, median; and the sort inside it. Measured in docs/BENCHMARKS.md ("Lovász-softmax cost"). <c>SHARPSEG_BENCH=1 dotnet test -c Release --filter LovaszTimingBenchmark
/// --logger "console;verbosity=detailed"</c>. Prints the loss and the gradient's sum so two builds can be compared.
/// </summary>
public sealed class LovaszTimingBenchmark(ITestOutputHelper output)
{
    [BenchmarkFact]
    public void CamVidStage2Batch()
    {
        output.WriteLine($"{torch.get_num_threads()} threads");
        torch.manual_seed(0);
        using var logits = randn(8, 11, 256, 320);
        using var target = randint(0, 11, [8, 256, 320]).masked_fill(randint(0, 12, [8, 256, 320]).eq(11), 255);
        var loss = new LovaszSoftmaxLoss(classWeights: Enumerable.Range(1, 11).Select(i => (float)i).ToArray());
        var times = new List<double>();
        for (int run = 0; run < 6; run++)
        {
            using var scope = NewDisposeScope();
            var x = logits.detach().clone().requires_grad_(true);
            var sw = Stopwatch.StartNew();
            var value = loss.Compute(x, target);
            value.backward();
            sw.Stop();
            if (run > 0) times.Add(sw.Elapsed.TotalMilliseconds);
            if (run == 0) output.WriteLine($"loss {value.ToSingle():R}, gradient sum {x.grad!.abs().sum().ToSingle():R}");
        }
        times.Sort();
        output.WriteLine($"forward + backward: median {times[times.Count / 2]:F0} ms (runs: {string.Join(", ", times.Select(t => t.ToString("F0")))})");
    }

    /// <summary>Eleven 1-D sorts of 655,360 floats: libtorch's float sort against <see cref="LovaszExtension.DescendingOrder"/>.</summary>
    [BenchmarkFact]
    public void FloatSortAgainstIntKeySort()
    {
        torch.manual_seed(0);
        using var errors = rand(655360);
        for (int round = 0; round < 3; round++)
        {
            var sw = Stopwatch.StartNew();
            for (int k = 0; k < 11; k++) { using var scope = NewDisposeScope(); var (s, p) = errors.sort(0, descending: true); }
            double a = sw.Elapsed.TotalMilliseconds;
            sw.Restart();
            for (int k = 0; k < 11; k++) { using var scope = NewDisposeScope(); LovaszExtension.DescendingOrder(errors); }
            double b = sw.Elapsed.TotalMilliseconds;
            using var scope2 = NewDisposeScope();
            bool same = errors.index_select(0, LovaszExtension.DescendingOrder(errors)).eq(errors.sort(0, descending: true).Values).all().item<bool>();
            output.WriteLine($"11 sorts of 655,360: float descending {a:F0} ms, int32 keys {b:F0} ms; same order of values: {same}");
        }
    }
}
