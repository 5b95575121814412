// oneDNN probe (docs/TRAINING.md, "A CPU whose kernels are wrong"): which convolutions libtorch's oneDNN computes right
// on this CPU, which crash it, and how fast it is against libtorch's native kernels. Run through scripts/onednn-probe.sh;
// set ONEDNN_MAX_CPU_ISA (e.g. SSE41, AVX, AVX2) in the environment to probe one instruction-set level, and
// PROBE_CACHE_FIX=1 to give oneDNN SharpSeg's cache sizes first (SharpSeg.Engine.OneDnnCacheSizes).
//   check nchw|cl [1x1|transposed]   float32 forward and both gradients against float64 (native kernels), 5 repeats each
//   crash nchw|cl N CIN COUT H W K STRIDE GROUPS [DILATION]   one forward+backward; prints "ok" (a crash kills the process)
//   speed                            fwd+bwd ms of training-sized convolutions: native, oneDNN NCHW, oneDNN channels-last
using System.Diagnostics;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

torch.set_num_threads(2);
Ctx.NNPACK(false);
// PROBE_CACHE_FIX=1: SharpSeg's fix for CPUs that do not report their caches (SharpSeg.Engine.OneDnnCacheSizes).
if (Environment.GetEnvironmentVariable("PROBE_CACHE_FIX") == "1")
{
    SharpSeg.Engine.OneDnnCacheSizes.Apply();
    Console.Error.WriteLine($"oneDNN cache sizes: {SharpSeg.Engine.OneDnnCacheSizes.Outcome}");
}
static Tensor CL(Tensor x) => x.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2);
string mode = args.Length > 0 ? args[0] : "check";
bool cl = args.Length > 1 && args[1] == "cl";

if (mode == "crash")
{
    var a = args.Skip(2).Select(int.Parse).ToArray();
    int d = a.Length > 8 ? a[8] : 1;
    var x0 = randn(a[0], a[1], a[3], a[4]);
    var x = (cl ? CL(x0) : x0).requires_grad_(true);
    var w = randn(a[2], a[1] / a[7], a[5], a[5]).requires_grad_(true);
    var y = nn.functional.conv2d(x, w, strides: [a[6], a[6]], padding: [a[5] / 2 * d, a[5] / 2 * d], dilation: [d, d], groups: a[7]);
    y.backward([ones_like(y)]);
    Console.WriteLine("ok");
    return;
}

if (mode == "speed")
{
    var shapes = new (int n, int cin, int cout, int h, int w, int k, int s)[] { (8, 64, 64, 88, 120, 3, 1), (8, 128, 128, 44, 60, 3, 1), (8, 256, 256, 22, 30, 3, 1), (8, 3, 64, 176, 240, 7, 2), (8, 32, 16, 176, 240, 3, 1), (8, 16, 11, 176, 240, 3, 1), (8, 512, 256, 11, 15, 1, 1) };
    foreach (var m in new[] { "native", "onednn-nchw", "onednn-cl" })
    {
        Ctx.OneDnn(m != "native");
        double total = 0;
        foreach (var sh in shapes)
        {
            var x = randn(sh.n, sh.cin, sh.h, sh.w);
            var xin = (m == "onednn-cl" ? CL(x) : x).requires_grad_(sh.cin != 3);
            var w = randn(sh.cout, sh.cin, sh.k, sh.k).requires_grad_(true);
            var times = new List<double>();
            for (int r = 0; r < 4; r++)
            {
                using var scope = NewDisposeScope();
                var sw = Stopwatch.StartNew();
                var y = nn.functional.conv2d(xin, w, strides: [sh.s, sh.s], padding: [sh.k / 2, sh.k / 2]);
                y.backward([ones_like(y)]);
                if (r > 0) times.Add(sw.Elapsed.TotalMilliseconds);
            }
            times.Sort();
            double med = times[times.Count / 2];
            total += med;
            Console.WriteLine($"{m,-12} {sh}  {med,8:F1} ms");
        }
        Console.WriteLine($"{m,-12} total {total:F0} ms");
    }
    return;
}

// check
var gen = new Generator(1);
bool transposed = args.Contains("transposed");
var list = new List<int[]>(); // n, cin, cout, h, w, k, stride, pad, dilation, groups
if (args.Contains("1x1"))
{
    foreach (var cin in new[] { 3, 11, 16, 40, 64, 256, 1024 }) foreach (var cout in new[] { 1, 4, 11, 16, 40, 256, 1024 }) foreach (var s in new[] { 1, 2 })
        list.Add([4, cin, cout, 24, 20, 1, s, 0, 1, 1]);
}
else if (transposed)
{
    foreach (var cin in new[] { 16, 32, 64 }) foreach (var cout in new[] { 8, 11, 16, 32 })
    {
        list.Add([4, cin, cout, 12, 10, 2, 2, 0, 1, 1]); list.Add([4, cin, cout, 12, 10, 3, 1, 1, 1, 1]); list.Add([4, cin, cout, 12, 10, 4, 2, 1, 1, 1]);
    }
}
else
{
    for (int cout = 1; cout <= 40; cout++) list.Add([4, 16, cout, 24, 20, 3, 1, 1, 1, 1]);
    foreach (var cin in new[] { 3, 11, 24, 40 }) foreach (var cout in new[] { 11, 24, 48 }) foreach (var k in new[] { 1, 3 }) list.Add([4, cin, cout, 24, 20, k, 1, k / 2, 1, 1]);
    foreach (var c in new[] { 16, 24, 32, 40, 96 }) { list.Add([4, c, c, 24, 20, 3, 1, 1, 1, c]); list.Add([4, c, c, 24, 20, 3, 2, 1, 1, c]); list.Add([4, c, c, 24, 20, 5, 1, 2, 1, c]); }
    foreach (var cout in new[] { 16, 11, 48 }) { list.Add([4, 32, cout, 24, 20, 3, 1, 6, 6, 1]); list.Add([4, 32, cout, 24, 20, 3, 2, 1, 1, 1]); list.Add([4, 3, cout, 64, 64, 7, 2, 3, 1, 1]); }
}
int bad = 0;
foreach (var sh in list)
{
    double fx = 0, gx = 0, gw = 0;
    for (int r = 0; r < 5; r++)
    {
        using var scope = NewDisposeScope();
        int n = sh[0], cin = sh[1], cout = sh[2], h = sh[3], w = sh[4], k = sh[5], s = sh[6], p = sh[7], d = sh[8], g = sh[9];
        Tensor Conv(Tensor x, Tensor wt) => transposed
            ? nn.functional.conv_transpose2d(x, wt, strides: [s, s], padding: [p, p], output_padding: [s - 1, s - 1])
            : nn.functional.conv2d(x, wt, strides: [s, s], padding: [p, p], dilation: [d, d], groups: g);
        var x64 = randn([n, cin, h, w], dtype: ScalarType.Float64, generator: gen);
        var w64 = randn(transposed ? [cin, cout, k, k] : [cout, cin / g, k, k], dtype: ScalarType.Float64, generator: gen);
        var xr = x64.clone().requires_grad_(true); var wr = w64.clone().requires_grad_(true);
        var y = Conv(xr, wr); var gy = randn_like(y); y.backward([gy]);
        var x32 = x64.to_type(ScalarType.Float32);
        var xf = (cl ? CL(x32) : x32).requires_grad_(true); var wf = w64.to_type(ScalarType.Float32).requires_grad_(true);
        var yf = Conv(xf, wf); yf.backward([gy.to_type(ScalarType.Float32)]);
        static double Err(Tensor a, Tensor b) => (a.to_type(ScalarType.Float64) - b).abs().max().item<double>() / b.abs().max().item<double>();
        fx = Math.Max(fx, Err(yf, y)); gx = Math.Max(gx, Err(xf.grad!, xr.grad!)); gw = Math.Max(gw, Err(wf.grad!, wr.grad!));
    }
    bool wrong = !(fx <= 1e-3 && gx <= 1e-3 && gw <= 1e-3);
    if (wrong) bad++;
    if (wrong || args.Contains("all"))
        Console.WriteLine($"{(wrong ? "WRONG" : "ok   ")} cin {sh[1],4} cout {sh[2],4} k {sh[5]} s {sh[6]} d {sh[8]} g {sh[9],3}: forward {fx:E1} input grad {gx:E1} weight grad {gw:E1}");
}
Console.WriteLine($"{bad} wrong of {list.Count} ({(cl ? "channels-last" : "NCHW")}{(transposed ? ", transposed" : "")}; ONEDNN_MAX_CPU_ISA={Environment.GetEnvironmentVariable("ONEDNN_MAX_CPU_ISA") ?? "(unset)"})");

static class Ctx
{
    [DllImport("libtorch_cpu", EntryPoint = "_ZN2at13globalContextEv")] static extern IntPtr G();
    [DllImport("libtorch_cpu", EntryPoint = "_ZN2at7Context20setUserEnabledMkldnnEb")] static extern void M(IntPtr c, [MarshalAs(UnmanagedType.U1)] bool e);
    [DllImport("libtorch_cpu", EntryPoint = "_ZN2at7Context20setUserEnabledNNPACKEb")] static extern void N(IntPtr c, [MarshalAs(UnmanagedType.U1)] bool e);
    public static void OneDnn(bool on) => M(G(), on);
    public static void NNPACK(bool on) => N(G(), on);
}

