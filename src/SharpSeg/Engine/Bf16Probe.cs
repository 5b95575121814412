using System.Diagnostics;
using static TorchSharp.torch;

namespace SharpSeg.Engine;

/// <summary>
/// How much faster bfloat16 autocast trains than fp32 on this CPU, measured: a convolution probe of about two seconds,
/// once per process. A CPU flag does not tell: AMD Zen 4 runs the U-Net training step 1.6–1.9× faster in bf16, but an
/// Intel Xeon with <c>avx512_bf16</c> and no AMX (as a virtual machine exposes Sapphire and Emerald Rapids without
/// <c>amx_bf16</c>) runs it 1.3× slower, because its fp32 FMA units already match the bf16 dot products
/// (docs/BENCHMARKS.md, "bf16 on an Intel Xeon without AMX"). <c>sharpseg train --data</c> plans bf16 only where this
/// probe says it <see cref="Pays"/>, and <c>sharpseg info</c> prints the ratio.
/// </summary>
/// <remarks>
/// The probe times what dominates a convolutional network's step: two 3×3 convolutions of 64 channels on a batch of
/// 8 at 64 × 64, channels-last, forward and backward (gradients of input and weights), with and without autocast,
/// after one warm-up of each (oneDNN builds its kernels then), alternated three times; the ratio is fp32's median over
/// bf16's. Inputs come from <see cref="KernelCheck"/>'s fixed sequence, not libtorch's generator, so training's random numbers are untouched.
/// </remarks>
public static class Bf16Probe
{
    /// <summary>The speed-up below which bf16 is not worth its rounding: <c>train --data</c> plans fp32 there.</summary>
    public const double PaysFrom = 1.2;

    static readonly Lazy<double?> measured = new(() => Measure(), LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>fp32 step time over bf16 step time on this CPU (above 1: bf16 is faster); null where bf16 is not computed
    /// natively (no <c>avx512_bf16</c> or <c>amx_bf16</c>: emulated, always slower) or libtorch lacks autocast. Measured on
    /// first use, then remembered.</summary>
    public static double? SpeedUp => measured.Value;

    /// <summary>Whether bf16 training pays on this CPU (<see cref="SpeedUp"/> at least <see cref="PaysFrom"/>).</summary>
    public static bool Pays => SpeedUp >= PaysFrom;

    /// <summary>Runs the probe now (no caching), whatever the CPU reports; null where libtorch lacks autocast.</summary>
    /// <param name="rounds">Timed fp32/bf16 pairs after the warm-up.</param>
    public static double? Measure(int rounds = 3, bool evenWithoutNativeBf16 = false)
    {
        if (!Autocast.Available || (!evenWithoutNativeBf16 && CpuInfo.Current.NativeBf16 != true)) return null;
        TorchRuntime.EnsureConfigured();
        using var scope = NewDisposeScope();
        using var grad = enable_grad();
        const int batch = 8, channels = 64, size = 64;
        // The batch channels-last (made NHWC, seen as NCHW) and the weights in the default layout, as channels-last
        // training feeds them.
        var x = KernelCheck.FromValues(KernelCheck.Values(batch * size * size * channels, 1), batch, size, size, channels).mul_(0.5).permute(0, 3, 1, 2).requires_grad_();
        var w1 = KernelCheck.FromValues(KernelCheck.Values(channels * channels * 9, 2), channels, channels, 3, 3).mul_(0.05).requires_grad_();
        var w2 = KernelCheck.FromValues(KernelCheck.Values(channels * channels * 9, 3), channels, channels, 3, 3).mul_(0.05).requires_grad_();

        double Step(bool bf16)
        {
            using var step = NewDisposeScope();
            var clock = Stopwatch.StartNew();
            Tensor Forward() => nn.functional.conv2d(nn.functional.relu(nn.functional.conv2d(x, w1, padding: [1, 1])), w2, padding: [1, 1]);
            var y = bf16 ? Autocast.Fp32(Autocast.Run(TorchSharp.DeviceType.CPU, ScalarType.BFloat16, Forward)) : Forward();
            y.square().mean().backward();
            x.grad?.zero_(); w1.grad?.zero_(); w2.grad?.zero_();
            return clock.Elapsed.TotalMilliseconds;
        }

        Step(false); Step(true);
        var fp32 = new List<double>(); var bf16 = new List<double>();
        for (int i = 0; i < rounds; i++) { fp32.Add(Step(false)); bf16.Add(Step(true)); }
        return Median(fp32) / Median(bf16);
    }

    static double Median(List<double> v)
    {
        v.Sort();
        return v.Count % 2 == 1 ? v[v.Count / 2] : (v[v.Count / 2 - 1] + v[v.Count / 2]) / 2;
    }
}
