using System.Diagnostics;
using SharpSeg.Models;
using SharpSeg.Models.Encoders;
using TorchSharp;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;
using SharpSeg.Models.Encoders.MixTransformer;

namespace SharpSeg.Tests.Benchmarks;

/// <summary>
/// Opt-in measurement behind <see cref="MixTransformerEncoder.FusedAttention"/>: libtorch's fused
/// <c>scaled_dot_product_attention</c> against the plain matmul/softmax path, (1) on the attention alone at MiT-B0's
/// first-stage shapes for CamVid (inference at 480×384: 11,520 queries, 180 keys; training batch 8 at 256×192 with
/// backward: 3,072 queries, 48 keys), (2) for the whole SegFormer-B0 forward on one 480×360 image. Runs interleaved;
/// min and median of each.
/// <c>SHARPSEG_BENCH=1 [SHARPSEG_BENCH_THREADS=1] dotnet test -c Release --filter MixTransformerAttentionBenchmark --logger "console;verbosity=detailed"</c>.
/// </summary>
public sealed class MixTransformerAttentionBenchmark(ITestOutputHelper output)
{
    [BenchmarkFact]
    public void FusedAgainstPlainAttention()
    {
        if (int.TryParse(Environment.GetEnvironmentVariable("SHARPSEG_BENCH_THREADS"), out int threads) && threads > 0) torch.set_num_threads(threads);
        output.WriteLine($"{torch.get_num_threads()} threads; {Engine.TorchRuntime.Describe()}");
        torch.manual_seed(0);
        foreach (var (batch, queries, keys, channels, withGrad) in new[] { (1, 11520, 180, 32, false), (8, 3072, 48, 32, true) })
        {
            var xq = randn(batch, queries, channels);
            var xkv = randn(batch, keys, 2 * channels);
            double scale = 1.0 / Math.Sqrt(channels);
            var times = new Dictionary<string, List<double>> { ["plain"] = [], ["fused"] = [] };
            for (int rep = 0; rep < 21; rep++)
                foreach (var path in times.Keys)
                {
                    using var scope = NewDisposeScope();
                    // The layout EfficientSelfAttention produces: permuted views of the linear layers' outputs.
                    var q = xq.reshape(batch, queries, 1, channels).permute(0, 2, 1, 3);
                    var kv = xkv.reshape(batch, keys, 2, 1, channels).permute(2, 0, 3, 1, 4);
                    if (withGrad) q = q.detach().requires_grad_();
                    var sw = Stopwatch.StartNew();
                    var o = path == "plain"
                        ? torch.matmul(torch.matmul(q, kv[0].transpose(-2, -1)).mul_(scale).softmax(-1), kv[1])
                        : nn.functional.scaled_dot_product_attention(q, kv[0], kv[1]);
                    if (withGrad) o.sum().backward();
                    times[path].Add(sw.Elapsed.TotalMilliseconds);
                }
            output.WriteLine($"attention B={batch} N={queries} M={keys} C={channels}{(withGrad ? " + backward" : "")}: {Summary(times)}");
        }

        using var model = ModelZoo.Create(new ModelConfig { Architecture = "segformer", Encoder = "mit_b0", NumClasses = 11 });
        var encoder = (MixTransformerEncoder)model.Encoder;
        model.eval();
        using var noGrad = no_grad();
        using var x = randn(1, 3, 360, 480);
        var forward = new Dictionary<string, List<double>> { ["plain"] = [], ["fused"] = [] };
        for (int rep = 0; rep < 8; rep++)
            foreach (var path in forward.Keys)
            {
                encoder.FusedAttention = path == "fused";
                using var scope = NewDisposeScope();
                var sw = Stopwatch.StartNew();
                model.forward(x);
                if (rep > 0) forward[path].Add(sw.Elapsed.TotalMilliseconds); // rep 0 is the warm-up
            }
        output.WriteLine($"segformer/mit_b0 forward 480x360: {Summary(forward)}");
    }

    private static string Summary(Dictionary<string, List<double>> times) => string.Join("; ", times.Select(t =>
    {
        var sorted = t.Value.Order().ToList();
        return $"{t.Key} min {sorted[0]:F1} ms, median {sorted[sorted.Count / 2]:F1} ms";
    }));
}
