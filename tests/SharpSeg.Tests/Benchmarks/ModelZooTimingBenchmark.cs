using System.Diagnostics;
using SharpSeg.Models;
using TorchSharp;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;
using SharpSeg.Models.Encoders;

namespace SharpSeg.Tests.Benchmarks;

/// <summary>
/// Opt-in measurement: forward time of each architecture (eval, no grad) on one 3×360×480 image, one warm-up then one
/// timed run. <c>SHARPSEG_BENCH=1 dotnet test -c Release --filter ModelZooTimingBenchmark --logger "console;verbosity=detailed"</c>.
/// </summary>
public sealed class ModelZooTimingBenchmark(ITestOutputHelper output)
{
    [BenchmarkFact]
    public void ForwardOneImage480x360()
    {
        (string Arch, string Encoder)[] models =
        [
            ("unet", "unet"), ("unet", "resnet50"), ("fcn", "resnet50"), ("deeplabv3", "resnet50"), ("deeplabv3plus", "resnet50"),
            ("pspnet", "resnet50"), ("fpn", "resnet50"), ("unetplusplus", "resnet50"), ("upernet", "resnet50"), ("deeplabv3", "mobilenet_v3_large"), ("lraspp", "mobilenet_v3_large"),
            ("segformer", "mit_b0"), ("segformer", "mit_b1"), ("hrnet", "hrnet_w18_small"),
        ];
        // SHARPSEG_BENCH_THREADS=1: on a machine shared with other work, OpenMP barriers of small ops (depthwise convs)
        // stall when threads are descheduled; one thread measured MobileNetV3 30× faster than two there.
        if (int.TryParse(Environment.GetEnvironmentVariable("SHARPSEG_BENCH_THREADS"), out int threads) && threads > 0) torch.set_num_threads(threads);
        output.WriteLine($"{torch.get_num_threads()} threads; {Engine.TorchRuntime.Describe()}");
        // SHARPSEG_BENCH_MODELS=lraspp,deeplabv3/mobilenet_v3_large times only names containing one of the parts.
        var only = Environment.GetEnvironmentVariable("SHARPSEG_BENCH_MODELS")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var (arch, enc) in models)
        {
            if (only is not null && !only.Any(o => $"{arch}/{enc}".Contains(o, StringComparison.Ordinal))) continue;
            torch.manual_seed(0);
            using var model = ModelZoo.Create(new ModelConfig { Architecture = arch, Encoder = enc, NumClasses = 21 });
            model.eval();
            using var noGrad = no_grad();
            using var x = randn(1, 3, 360, 480);
            using (NewDisposeScope()) model.forward(x);
            var sw = Stopwatch.StartNew();
            using (NewDisposeScope()) model.forward(x);
            sw.Stop();
            output.WriteLine($"{arch}/{enc} (OS {model.Encoder.OutputStride}, {ModelZoo.CountParameters(model):N0} params): {sw.Elapsed.TotalMilliseconds:F0} ms (single measurement after one warm-up)");
        }
    }
}
