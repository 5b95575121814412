using SharpSeg.Engine;
using TorchSharp;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace SharpSeg.Tests.Benchmarks;

/// <summary>
/// Opt-in measurement behind docs/TRAINING.md "Determinism": which libtorch ops give different bits with 1, 2 and 4 CPU
/// threads. Each op runs once forward and backward (a fixed random upstream gradient) per thread count on the same
/// inputs; the table gives the largest difference of the output and of each input's gradient, relative to the largest
/// value, or "identical".
/// <c>SHARPSEG_BENCH=1 dotnet test -c Release --filter ThreadCountDifferencesBenchmark --logger "console;verbosity=detailed"</c>.
/// </summary>
[Collection(SequentialCollection.Name)]
public sealed class ThreadCountDifferencesBenchmark(ITestOutputHelper output)
{
    [BenchmarkFact]
    public void OpsAcrossThreadCounts()
    {
        int before = get_num_threads();
        output.WriteLine(TorchRuntime.Describe());
        try
        {
            manual_seed(1);
            Compare("conv 1x1, batch 4, 64→32, 48×64", a => F.conv2d(a[0], a[1], a[2]), randn(4, 64, 48, 64), randn(32, 64, 1, 1) * 0.1, randn(32));
            Compare("conv 3x3, batch 4, 16→32, 48×64", a => F.conv2d(a[0], a[1], a[2], padding: [1, 1]), randn(4, 16, 48, 64), randn(32, 16, 3, 3) * 0.1, randn(32));
            Compare("conv 7x7 stride 2, batch 4, 3→16", a => F.conv2d(a[0], a[1], strides: [2, 2], padding: [3, 3]), randn(4, 3, 96, 128), randn(16, 3, 7, 7) * 0.1);
            Compare("depthwise conv 3x3, 128 groups", a => F.conv2d(a[0], a[1], padding: [1, 1], groups: 128), randn(4, 128, 48, 64), randn(128, 1, 3, 3));
            Compare("batch_norm (training)", a => F.batch_norm(a[0], null, null, a[1], a[2], training: true), randn(8, 16, 48, 64), ones(16), zeros(16));
            Compare("max_pool2d 3x3 stride 2", a => F.max_pool2d(a[0], [3, 3], [2, 2], [1, 1]), randn(4, 16, 48, 64));
            Compare("bilinear resize ×2", a => F.interpolate(a[0], scale_factor: [2, 2], mode: InterpolationMode.Bilinear, align_corners: false), randn(4, 16, 48, 64));
            Compare("linear [4, 3072, 32] → 128", a => F.linear(a[0], a[1], a[2]), randn(4, 3072, 32), randn(128, 32), randn(128));
            Compare("batched matmul [4,1,3072,32]·[4,1,32,48]", a => a[0].matmul(a[1]), randn(4, 1, 3072, 32), randn(4, 1, 32, 48));
            Compare("softmax, last dim", a => F.softmax(a[0], -1), randn(4, 1, 3072, 48));
            Compare("layer_norm", a => F.layer_norm(a[0], [32]), randn(4, 3072, 32));
            Compare("mean over (0, 2, 3)", a => a[0].mean([0, 2, 3]), randn(8, 16, 48, 64));
            Compare("sum() of 1.5 M elements", a => a[0].sum().reshape(1), randn(4, 16, 144, 160));
            Compare("ThreadInvariant.Sum of 1.5 M elements", a => ThreadInvariant.Sum(a[0]).reshape(1), randn(4, 16, 144, 160));
        }
        finally { set_num_threads(before); }
    }

    void Compare(string name, Func<Tensor[], Tensor> op, params Tensor[] inputs)
    {
        var results = new[] { 1, 2, 4 }.ToDictionary(t => t, t => Run(t, op, inputs));
        string D(Tensor a, Tensor b)
        {
            float d = (a - b).abs().max().item<float>();
            return d == 0 ? "identical" : $"{d / a.abs().max().item<float>():G2}";
        }
        string Row(int ta, int tb) => $"out {D(results[ta].Y, results[tb].Y)}, grads {string.Join(" / ", results[ta].Grads.Zip(results[tb].Grads).Select(p => D(p.First, p.Second)))}";
        output.WriteLine($"| {name} | {Row(1, 2)} | {Row(2, 4)} |");
    }

    static (Tensor Y, Tensor[] Grads) Run(int threads, Func<Tensor[], Tensor> op, Tensor[] inputs)
    {
        set_num_threads(threads);
        var ins = inputs.Select(t => t.detach().clone().requires_grad_(true)).ToArray();
        var y = op(ins);
        manual_seed(3);
        using var g = y.detach().clone().normal_();
        y.backward([g]);
        return (y.detach(), ins.Select(t => t.grad!.clone()).ToArray());
    }
}
