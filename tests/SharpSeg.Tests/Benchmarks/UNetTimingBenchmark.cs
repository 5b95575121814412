using System.Diagnostics;
using SharpSeg.Losses;
using SharpSeg.Models;
using TorchSharp;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace SharpSeg.Tests.Benchmarks;

/// <summary>
/// Opt-in measurement, not a timed assertion: runs only with SHARPSEG_BENCH=1, e.g.
/// <c>SHARPSEG_BENCH=1 dotnet test --filter UNetTimingBenchmark --logger "console;verbosity=detailed"</c>.
/// </summary>
public sealed class UNetTimingBenchmark(ITestOutputHelper output)
{
    [BenchmarkFact]
    public void ForwardBackwardOneBatch8x3x256x256()
    {
        torch.manual_seed(0);
        using var model = ModelZoo.Create(new ModelConfig { BaseWidth = 32, Depth = 4, NumClasses = 2 });
        using var x = randn(8, 3, 256, 256);
        using var y = randint(0, 2, [8, 256, 256], dtype: ScalarType.Int64);
        var sw = Stopwatch.StartNew();
        using (var scope = NewDisposeScope())
        {
            var loss = new CrossEntropyLoss().Compute(model.forward(x), y);
            loss.backward();
        }
        sw.Stop();
        output.WriteLine($"U-Net base 32 depth 4 BN ({ModelZoo.CountParameters(model):N0} parameters), forward+backward 8×3×256×256, one run, cold: {sw.Elapsed.TotalSeconds:F2} s; {TorchSharp.torch.get_num_threads()} threads; {Engine.TorchRuntime.Describe()}");
    }
}
