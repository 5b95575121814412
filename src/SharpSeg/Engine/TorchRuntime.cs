using TorchSharp;
using static TorchSharp.torch;

namespace SharpSeg.Engine;

/// <summary>Process-wide engine settings: compute device, CPU thread count, and seeding.</summary>
public static class TorchRuntime
{
    /// <summary>
    /// Call first thing in a process that will use libtorch, before any TorchSharp call (the CLI and the tests do).
    /// Unless the environment chooses an OpenMP wait policy (<c>OMP_WAIT_POLICY</c> or <c>GOMP_SPINCOUNT</c>), sets
    /// <c>GOMP_SPINCOUNT=10000</c>: libtorch's OpenMP threads spin briefly at the end of a parallel region, then sleep,
    /// instead of libgomp's default 300,000 spins. On a machine busy with other work, long-spinning threads take the cores
    /// from the thread they wait for. Measured here (<c>sharpseg demo --epochs 4</c>, 2 cores, docs/BENCHMARKS.md "OpenMP
    /// wait policy"): idle, default 30.1/33.1 s, 10,000 spins 32.7/34.1 s, PASSIVE 41.0/38.4 s; with two CPU hogs,
    /// default 156.8/166.8 s, 10,000 spins 84.4 s, PASSIVE 66.4/83.9 s. libgomp reads the variables once, when libtorch
    /// loads, so a later call changes nothing.
    /// </summary>
    /// <remarks>
    /// Also, on a CPU that does not report its cache hierarchy (<see cref="CpuInfo.CacheTopology"/> false: virtual
    /// machines whose CPUID leaves it empty), gives oneDNN plausible cache sizes (<see cref="OneDnnCacheSizes"/>): there
    /// it saw 1-byte caches, and its AVX, AVX2 and AVX-512 kernels computed wrong convolution gradients and crashed the
    /// process on some 1×1 convolutions (SIGFPE). With the sizes set, every probed shape is right at full width. Where
    /// the sizes cannot be set (another libtorch build), caps oneDNN at its SSE4.1 kernels
    /// (<c>ONEDNN_MAX_CPU_ISA=SSE41</c>, right on every shape tried, unless the user set that variable), as before
    /// (docs/TRAINING.md, "A CPU whose kernels are wrong"). This loads libtorch on such CPUs.
    /// <see cref="EnsureConfigured"/> checks the kernels either way.
    /// </remarks>
    public static void PrepareProcess()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("OMP_WAIT_POLICY")))
            NativeEnvironment.SetDefault("GOMP_SPINCOUNT", OpenMpSpinCount);
        ApplyOneDnnCacheFix();
    }

    // Before oneDNN's first kernel. EnsureConfigured applies it too, for a library user whose process did not call
    // PrepareProcess (oneDNN reads ONEDNN_MAX_CPU_ISA when it first dispatches a kernel, and the cache sizes whenever it
    // plans one).
    static void ApplyOneDnnCacheFix()
    {
        if (CpuInfo.Current.CacheTopology != false || OneDnnIsaCapped != null) return;
        if (Environment.GetEnvironmentVariable("SHARPSEG_ONEDNN_CACHE_FIX")?.Trim() != "0" && OneDnnCacheSizes.Apply()) return;
        if (OneDnnIsaCap(CpuInfo.Current) is { } cap && NativeEnvironment.SetDefault("ONEDNN_MAX_CPU_ISA", cap))
            OneDnnIsaCapped = cap;
    }

    /// <summary>The oneDNN instruction-set cap <see cref="PrepareProcess"/> falls back to on <paramref name="cpu"/> when
    /// it cannot set oneDNN's cache sizes: "SSE41" where an x86-64 CPU does not report its caches, else null (no cap).</summary>
    public static string? OneDnnIsaCap(CpuInfo cpu) => cpu.CacheTopology == false && cpu.VectorIsa is "AVX-512" or "AVX2" or "AVX" or "SSE" ? "SSE41" : null;

    /// <summary>The cap <see cref="PrepareProcess"/> set in this process (null when none: the CPU reports its caches,
    /// SharpSeg set oneDNN's cache sizes (<see cref="OneDnnCacheSizes.Applied"/>), or the user chose
    /// <c>ONEDNN_MAX_CPU_ISA</c>). <c>SHARPSEG_ONEDNN_CACHE_FIX=0</c> skips the cache sizes and takes the cap.</summary>
    public static string? OneDnnIsaCapped { get; private set; }

    /// <summary>The spin count <see cref="PrepareProcess"/> gives libgomp when the user chose none.</summary>
    public const string OpenMpSpinCount = "10000";

    /// <summary>
    /// Resolves a device name ("cpu", "cuda", "cuda:1", or "auto": CUDA when available, else CPU). Asking for CUDA where
    /// this build has no CUDA runtime is a user error with a clear message, not a crash.
    /// </summary>
    public static Device ResolveDevice(string? name)
    {
        string n = (name ?? "cpu").Trim().ToLowerInvariant();
        if (n == "auto") return cuda.is_available() ? CUDA : CPU;
        if (n == "cpu") return CPU;
        if (n.StartsWith("cuda", StringComparison.Ordinal))
        {
            if (!cuda.is_available())
                throw new SharpSegException($"--device {n}: CUDA is not available (this build references the CPU libtorch package; reference libtorch-cuda-12.8-linux-x64 and run on a machine with an NVIDIA driver, or use --device cpu).");
            return new Device(n);
        }
        throw new SharpSegException($"unknown device '{name}': use cpu, cuda, cuda:N or auto.");
    }

    /// <summary>Sets the number of CPU threads libtorch uses for intra-op parallelism (0 or less keeps the default).</summary>
    public static void SetThreads(int threads)
    {
        if (threads > 0) torch.set_num_threads(threads);
    }

    /// <summary>Seeds libtorch's generators (CPU and CUDA).</summary>
    public static void Seed(long seed)
    {
        torch.manual_seed(seed);
        if (cuda.is_available()) torch.cuda.manual_seed_all(seed);
    }

    /// <summary>
    /// What a training run does first: sets the CPU threads (<see cref="SetThreads"/>), seeds libtorch's generators
    /// (<see cref="Seed"/>) and resolves the device it runs on (<see cref="ResolveDevice"/>).
    /// </summary>
    public static Device StartRun(int threads, long seed, string? device)
    {
        EnsureHandlesKeptAlive();
        EnsureConfigured();
        SetThreads(threads);
        Seed(seed);
        return ResolveDevice(device);
    }

    /// <summary>
    /// True when the TorchSharp.dll in use carries SharpSeg's keep-alive fix (build/KeepTorchSharpHandlesAlive.cs,
    /// applied to every build and publish output): without it, a garbage collection at the wrong moment frees a Scalar or
    /// Tensor while libtorch still reads it, and training dies at random (docs/TRAINING.md).
    /// </summary>
    public static bool HandlesKeptAlive => typeof(torch).Assembly.GetType("TorchSharp.NativeHandleKeeper") != null;

    /// <summary>Refuses to train with a TorchSharp.dll that lacks the keep-alive fix (one line naming the file and the fix).</summary>
    public static void EnsureHandlesKeptAlive()
    {
        if (HandlesKeptAlive) return;
        string dll = typeof(torch).Assembly.Location;
        throw new SharpSegException($"{dll}: this TorchSharp.dll lacks SharpSeg's keep-alive fix, so runs could die at random (docs/TRAINING.md); build the project with 'dotnet build' (build/TorchSharpFixes.targets patches the copy in bin/) and run it from there, or copy TorchSharp.dll from that bin/ folder, not from ~/.nuget/packages.");
    }

    static readonly object configureLock = new();
    static KernelCheckResult? configured;

    /// <summary>
    /// One-line notices about how the engine was set up on this machine (e.g. oneDNN turned off because its kernels gave
    /// wrong results here). Raised once, by <see cref="EnsureConfigured"/>; the CLI prints them on stderr.
    /// </summary>
    public static event Action<string>? Notice;

    /// <summary>The notice <see cref="EnsureConfigured"/> raised in this process (null when none, or before it ran).</summary>
    public static string? ConfigurationNotice { get; private set; }

    /// <summary>
    /// Once per process, before the first training step or inference: turns NNPACK off (libtorch only considers it where
    /// oneDNN is not used, for batches of 16 or more, and on CPUs whose caches it cannot read its start-up prints "Could
    /// not initialize NNPACK! Reason: Unsupported hardware." at every convolution), then runs <see cref="KernelCheck"/>.
    /// When the check fails, convolutions are routed around oneDNN and the check runs again; a pass then is reported
    /// through <see cref="Notice"/>, a second failure is a one-line <see cref="SharpSegException"/>. Returns the result
    /// of the last check.
    /// </summary>
    public static KernelCheckResult EnsureConfigured()
    {
        lock (configureLock)
        {
            if (configured != null) return configured;
            ApplyOneDnnCacheFix();
            LibTorchContext.SetNNPACK(false);
            string? notice = null;
            configured = Configure(KernelCheck.Run, LibTorchContext.SetOneDnn, CpuInfo.Current, out notice);
            ConfigurationNotice = notice;
            if (notice != null) Notice?.Invoke(notice);
            return configured;
        }
    }

    /// <summary>
    /// True unless <see cref="EnsureConfigured"/> (which this runs) had to turn oneDNN off on this CPU. Channels-last
    /// inference pays only through oneDNN's kernels; without them libtorch's channels-last convolutions also probe NNPACK,
    /// which prints "Could not initialize NNPACK!" at each one on CPUs it does not know (AMD Zen 5), so the fused
    /// predictor stays channels-first there.
    /// </summary>
    public static bool OneDnnInUse
    {
        get
        {
            EnsureConfigured();
            return LibTorchContext.OneDnnEnabled() != false;
        }
    }

    /// <summary>The decision of <see cref="EnsureConfigured"/>, with the check and the oneDNN switch passed in (so that a
    /// failing CPU can be simulated in tests).</summary>
    internal static KernelCheckResult Configure(Func<KernelCheckResult> check, Func<bool, bool> setOneDnn, CpuInfo cpu, out string? notice)
    {
        notice = null;
        var first = check();
        if (first.Passed) return first;
        if (setOneDnn(false))
        {
            var second = check();
            if (second.Passed)
            {
                notice = $"notice: libtorch's oneDNN kernels computed wrong results on this CPU ({cpu}; {first.Failure}); oneDNN is off for this process, which is slower but correct (docs/TRAINING.md).";
                return second;
            }
            setOneDnn(true);
        }
        throw new SharpSegException($"libtorch computes wrong results on this CPU ({cpu}): {first.Failure}. Try running with ATEN_CPU_CAPABILITY=avx2 MKL_ENABLE_INSTRUCTIONS=AVX2 ONEDNN_MAX_CPU_ISA=AVX2 set, and report the CPU (docs/TRAINING.md, \"A CPU whose kernels are wrong\").");
    }

    /// <summary>A one-line description of the engine: versions, threads, and whether CUDA is usable.</summary>
    public static string Describe()
    {
        return $"TorchSharp {typeof(torch).Assembly.GetName().Version}, libtorch {torch.__version__}, {torch.get_num_threads()} CPU threads, CUDA {(cuda.is_available() ? "available" : "not available")}; CPU {CpuInfo.Current}";
    }

    /// <summary>Which kernels run convolutions here, in one line (for <c>sharpseg info</c> and benchmark records).</summary>
    public static string DescribeConvolutions()
    {
        EnsureConfigured();
        if (!OneDnnInUse) return "libtorch's native kernels (oneDNN is off: its kernels failed the check on this CPU)";
        string? isa = NativeEnvironment.Get("ONEDNN_MAX_CPU_ISA");
        string sizes = OneDnnCacheSizes.Sizes is { } c
            ? $", with cache sizes set by SharpSeg because this CPU does not report its caches (L1 {c.L1 / 1024} KB, L2 {c.L2 / 1024} KB, L3 {c.L3 / 1024} KB per core)"
            : "";
        return OneDnnIsaCapped != null
            ? $"oneDNN, capped at ONEDNN_MAX_CPU_ISA={OneDnnIsaCapped} because this CPU does not report its caches ({OneDnnCacheSizes.Outcome ?? "cache sizes not set"}; set ONEDNN_MAX_CPU_ISA yourself to override)"
            : "oneDNN" + (string.IsNullOrEmpty(isa) ? "" : $", ONEDNN_MAX_CPU_ISA={isa}") + sizes;
    }

    /// <summary>Whether <c>train.precision: bf16</c> (libtorch's CPU autocast) can pay here, for <c>sharpseg info</c>: where
    /// the CPU computes bfloat16 natively, <see cref="Bf16Probe"/>'s measured speed-up says whether it does.</summary>
    public static string DescribeMixedPrecision() =>
        !Autocast.Available ? "not available (this libtorch does not export autocast)"
        : CpuInfo.Current.NativeBf16 switch
        {
            true => Bf16Probe.SpeedUp is { } r
                ? $"bf16 native on this CPU (avx512_bf16 or amx_bf16); a convolution probe ran {r.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture)}× as fast as fp32, so " +
                  (r >= Bf16Probe.PaysFrom ? "train.precision: bf16 pays here (train --data plans it)" : "train.precision: bf16 does not pay here (train --data plans fp32)")
                : "bf16 native on this CPU (avx512_bf16 or amx_bf16)",
            false => "bf16 emulated on this CPU (no avx512_bf16 or amx_bf16): train.precision: bf16 would be slower than fp32",
            null => "bf16 available; whether this CPU computes it natively is unknown",
        };

    /// <summary>
    /// A warning for bf16 where it is slower than fp32, else null: on a CPU that emulates bfloat16, or on this machine's
    /// CPU where <see cref="Bf16Probe"/> measured bf16 slower (an Intel Xeon with avx512_bf16 and no AMX).
    /// <paramref name="setting"/> names what asked for it (<c>train.precision: bf16</c>, <c>--bf16</c>) and
    /// <paramref name="fix"/> how to go back to fp32; <paramref name="cpu"/> is this machine's unless given (then only its
    /// flags are read, nothing is measured).
    /// </summary>
    public static string? MixedPrecisionWarning(Device device, string setting = "train.precision: bf16", string fix = "set train.precision: fp32", CpuInfo? cpu = null)
    {
        if (device.type != DeviceType.CPU) return null;
        var flags = cpu ?? CpuInfo.Current;
        if (flags.NativeBf16 == false)
            return $"warning: {setting} on a CPU without avx512_bf16 or amx_bf16: libtorch emulates bfloat16 there, which is slower than fp32; {fix}.";
        if (cpu == null && Bf16Probe.SpeedUp is < 1.0 and var r)
            return $"warning: {setting}: bfloat16 convolutions ran at {r.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture)}× fp32's speed on this CPU (a probe; it has bf16 instructions, but its fp32 units are as fast: no AMX), so bf16 is slower here; {fix}.";
        return null;
    }
}
