using static TorchSharp.torch;

namespace SharpSeg.Engine;

/// <summary>The outcome of one <see cref="KernelCheck"/>: null <see cref="Failure"/> when every kernel agreed.</summary>
/// <param name="Failure">What disagreed and by how much (one line), or null.</param>
public sealed record KernelCheckResult(string? Failure)
{
    public bool Passed => Failure is null;
}

/// <summary>
/// A start-up check that libtorch computes the kernels training depends on correctly on this CPU: convolutions
/// (forward, gradient of input and weight; 3×3, 1×1, a strided 7×7 stem, 40→11 channels and depthwise, at batch 2 so
/// that oneDNN runs them), a matrix product and BatchNorm's training forward, each against a double-precision reference
/// computed here in plain C#, and each run twice to the same bits. Inputs come from a fixed sequence, not from libtorch's generator, so the
/// check leaves the training RNG untouched. It takes a few milliseconds.
/// </summary>
/// <remarks>
/// Why: on an AMD Zen 5 virtual machine (AVX-512, no cache topology in CPUID) oneDNN's AVX/AVX2/AVX-512 kernels give
/// input gradients off by 10–100 % that change from run to run (most often where the output channels are not a
/// multiple of 16, hence the 40→11 check), now and then a NaN forward pass, and crash in others. Where the check fails,
/// <see cref="TorchRuntime"/> routes convolutions around oneDNN and checks again (docs/TRAINING.md, "A CPU whose
/// kernels are wrong").
/// </remarks>
public static class KernelCheck
{
    /// <summary>Largest error accepted, relative to the largest reference value (float32 rounding is ~1e-6 here).</summary>
    public const double Tolerance = 1e-3;

    /// <summary>Runs every check; the first disagreement ends it.</summary>
    public static KernelCheckResult Run() => Run(null);

    /// <summary><see cref="Run()"/>, with <paramref name="tamper"/> applied to every result libtorch gives before it is
    /// compared (so that tests can show that a wrong kernel is caught).</summary>
    internal static KernelCheckResult Run(Func<Tensor, Tensor>? tamper)
    {
        using var scope = NewDisposeScope();
        using var grad = enable_grad();
        var t = tamper ?? (x => x);
        foreach (var (name, check) in Checks(t))
        {
            string? failure = check();
            if (failure != null) return new KernelCheckResult($"{name}: {failure}");
        }
        return new KernelCheckResult(null);
    }

    static IEnumerable<(string, Func<string?>)> Checks(Func<Tensor, Tensor> t)
    {
        yield return ("conv 3x3 (batch 2, 3→4 channels, padding 1)", () => Conv(2, 3, 4, 9, 11, 3, 1, 1, t));
        yield return ("conv 1x1 (batch 2, 8→5 channels)", () => Conv(2, 8, 5, 7, 6, 1, 1, 0, t));
        yield return ("conv 7x7 stride 2 (batch 2, 3→4 channels, padding 3)", () => Conv(2, 3, 4, 16, 14, 7, 2, 3, t));
        yield return ("conv 3x3 (batch 2, 40→11 channels, padding 1)", () => Conv(2, 40, 11, 9, 7, 3, 1, 1, t));
        yield return ("conv 3x3 depthwise (batch 2, 24 channels, padding 1)", () => Conv(2, 24, 24, 8, 9, 3, 1, 1, t, groups: 24));
        yield return ("matmul (37×53 · 53×29)", () => MatMul(t));
        yield return ("batch_norm training forward", () => BatchNormForward(t));
    }

    // A fixed, well-spread sequence in [-1, 1) (a 64-bit LCG), so that the inputs do not depend on libtorch's RNG
    // (Bf16Probe's inputs too).
    internal static double[] Values(int n, ulong seed)
    {
        var v = new double[n];
        ulong s = seed * 6364136223846793005UL + 1442695040888963407UL;
        for (int i = 0; i < n; i++)
        {
            s = s * 6364136223846793005UL + 1442695040888963407UL;
            v[i] = ((s >> 11) * (1.0 / (1UL << 53))) * 2 - 1;
        }
        return v;
    }

    internal static Tensor FromValues(double[] v, params long[] shape) => tensor(v.Select(x => (float)x).ToArray()).reshape(shape);

    static string? Compare(string what, Tensor actual, double[] expected)
    {
        var a = actual.detach().to_type(ScalarType.Float64).contiguous().data<double>().ToArray();
        if (a.Length != expected.Length) return $"{what} has {a.Length} values, expected {expected.Length}";
        double scale = Math.Max(1e-12, expected.Max(Math.Abs)), worst = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double d = Math.Abs(a[i] - expected[i]);
            if (!(d <= worst)) worst = double.IsNaN(d) ? double.PositiveInfinity : d;
        }
        return worst / scale <= Tolerance ? null : $"{what} is wrong (largest error {worst:G3}, {worst / scale:G3} of the largest value)";
    }

    static string? Repeatable(string what, Func<Tensor> run)
    {
        using var a = run(); using var b = run();
        return a.eq(b).all().item<bool>() ? null : $"{what} differs between two identical runs";
    }

    static string? Conv(int n, int cin, int cout, int h, int w, int k, int stride, int pad, Func<Tensor, Tensor> t, int groups = 1)
    {
        int gin = cin / groups, gout = cout / groups;
        double[] x = Values(n * cin * h * w, 1), wt = Values(cout * gin * k * k, 2);
        int oh = (h + 2 * pad - k) / stride + 1, ow = (w + 2 * pad - k) / stride + 1;
        double[] g = Values(n * cout * oh * ow, 3);
        var y = new double[n * cout * oh * ow];
        var gx = new double[x.Length];
        var gw = new double[wt.Length];
        for (int b = 0; b < n; b++)
            for (int o = 0; o < cout; o++)
                for (int i = 0; i < oh; i++)
                    for (int j = 0; j < ow; j++)
                    {
                        int yi = ((b * cout + o) * oh + i) * ow + j;
                        double sum = 0;
                        for (int cg = 0; cg < gin; cg++)
                            for (int u = 0; u < k; u++)
                                for (int v = 0; v < k; v++)
                                {
                                    int r = i * stride + u - pad, q = j * stride + v - pad;
                                    if (r < 0 || r >= h || q < 0 || q >= w) continue;
                                    int c = o / gout * gin + cg;
                                    int xi = ((b * cin + c) * h + r) * w + q, wi = ((o * gin + cg) * k + u) * k + v;
                                    sum += x[xi] * wt[wi];
                                    gx[xi] += g[yi] * wt[wi];
                                    gw[wi] += g[yi] * x[xi];
                                }
                        y[yi] = sum;
                    }
        using var scope = NewDisposeScope();
        var xt = FromValues(x, n, cin, h, w).requires_grad_(true);
        var wtt = FromValues(wt, cout, gin, k, k).requires_grad_(true);
        Tensor Forward() => nn.functional.conv2d(xt, wtt, strides: [stride, stride], padding: [pad, pad], groups: groups);
        var yt = Forward();
        yt.backward([FromValues(g, n, cout, oh, ow)]);
        return Compare("forward", t(yt), y) ?? Compare("input gradient", t(xt.grad!), gx) ?? Compare("weight gradient", t(wtt.grad!), gw)
            ?? Repeatable("forward", () => { using var ng = no_grad(); return Forward(); });
    }

    static string? MatMul(Func<Tensor, Tensor> t)
    {
        const int m = 37, k = 53, n = 29;
        double[] a = Values(m * k, 4), b = Values(k * n, 5);
        var c = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int q = 0; q < k; q++) s += a[i * k + q] * b[q * n + j];
                c[i * n + j] = s;
            }
        using var scope = NewDisposeScope();
        var at = FromValues(a, m, k); var bt = FromValues(b, k, n);
        return Compare("product", t(at.matmul(bt)), c) ?? Repeatable("product", () => at.matmul(bt));
    }

    static string? BatchNormForward(Func<Tensor, Tensor> t)
    {
        const int n = 4, c = 6, hw = 30;
        double[] x = Values(n * c * hw, 6).Select(v => v * 3 + 0.5).ToArray();
        var y = new double[x.Length];
        for (int ch = 0; ch < c; ch++)
        {
            double mean = 0, var = 0;
            for (int b = 0; b < n; b++) for (int i = 0; i < hw; i++) mean += x[(b * c + ch) * hw + i];
            mean /= n * hw;
            for (int b = 0; b < n; b++) for (int i = 0; i < hw; i++) { double d = x[(b * c + ch) * hw + i] - mean; var += d * d; }
            var /= n * hw;
            for (int b = 0; b < n; b++) for (int i = 0; i < hw; i++) y[(b * c + ch) * hw + i] = (x[(b * c + ch) * hw + i] - mean) / Math.Sqrt(var + 1e-5);
        }
        using var scope = NewDisposeScope();
        var xt = FromValues(x, n, c, 5, 6);
        Tensor Forward() => nn.functional.batch_norm(xt, null, null, training: true, eps: 1e-5);
        return Compare("output", t(Forward()), y) ?? Repeatable("output", Forward);
    }
}
