using SharpSeg.Engine;
using TorchSharp;
using Xunit;

namespace SharpSeg.Tests;

public sealed class EngineTests
{
    [Fact]
    public void TorchLoadsAndComputes()
    {
        // Fails with "doesn't contain a reference to libtorch-cpu-linux-x64" if the libstdc++ fix did not run.
        using var a = torch.arange(6, dtype: torch.float32).reshape(2, 3);
        using var b = torch.ones(3, 2);
        using var c = a.matmul(b);
        Assert.Equal(new float[] { 3, 3, 12, 12 }, c.data<float>().ToArray());
    }

    [Fact]
    public void CudaRequestWithoutCudaIsAClearUserError()
    {
        if (torch.cuda.is_available()) return;
        var ex = Assert.Throws<SharpSegException>(() => TorchRuntime.ResolveDevice("cuda"));
        Assert.Contains("CUDA is not available", ex.Message);
    }

    [Fact]
    public void CliInfoRunsAndUnknownCommandFailsCleanly()
    {
        var ok = CliRunner.Run("info");
        Assert.True(ok.ExitCode == 0, ok.ToString());
        Assert.Contains("libtorch 2.10", ok.StdOut);
        Assert.Contains("convolutions: ", ok.StdOut);
        Assert.Contains("channels-last training: " + (SharpSeg.Models.Fusion.ChannelsLast.PaysForTraining(torch.CPU, "unet", "unet") ? "on" : "off"), ok.StdOut);
        var bad = CliRunner.Run("no-such-command");
        Assert.NotEqual(0, bad.ExitCode);
        Assert.DoesNotContain("   at ", bad.All);
    }
}

public sealed class EngineConfigurationTests
{
    [Fact]
    public void KernelsAgreeWithTheReferencesAndNNPACKIsOff()
    {
        var result = TorchRuntime.EnsureConfigured();
        Assert.True(result.Passed, result.Failure);
        Assert.Equal(false, LibTorchContext.NNPACKEnabled());
        // oneDNN stays on unless its kernels failed the check on this CPU (AMD Zen 5 with AVX-512 does), and then the
        // process said so.
        if (LibTorchContext.OneDnnEnabled() == false)
            Assert.Contains("oneDNN is off for this process", TorchRuntime.ConfigurationNotice);
        else
        {
            Assert.Equal(true, LibTorchContext.OneDnnEnabled());
            Assert.Null(TorchRuntime.ConfigurationNotice);
        }
    }

    [Fact]
    public void AWrongKernelIsCaught()
    {
        // The size of the error the Zen 5 report showed (eager vs ONNX Runtime: 0.066) and an all-zero gradient.
        var shifted = KernelCheck.Run(x => x + 0.066f);
        Assert.False(shifted.Passed);
        Assert.Contains("conv 3x3", shifted.Failure);
        // Only the depthwise check wrong (a tamper that hits grouped weights, [24, 1, 3, 3], alone).
        var depthwise = KernelCheck.Run(x => x.dim() == 4 && x.shape[0] == 24 && x.shape[1] == 1 ? x * 1.5f : x);
        Assert.Contains("depthwise", depthwise.Failure);
        var zeroed = KernelCheck.Run(x => x * 0);
        Assert.Contains("is wrong", zeroed.Failure);
        var nan = KernelCheck.Run(x => x * float.NaN);
        Assert.False(nan.Passed);
    }

    static readonly CpuInfo Zen5 = new("AMD EPYC 9B45", "AVX-512", true, 2, 2.1);

    [Fact]
    public void WrongOneDnnKernelsAreRoutedAroundWithANotice()
    {
        var switches = new List<bool>();
        var results = new Queue<KernelCheckResult>([new("conv 3x3: forward is wrong"), new(null)]);
        var r = TorchRuntime.Configure(() => results.Dequeue(), on => { switches.Add(on); return true; }, Zen5, out var notice);
        Assert.True(r.Passed);
        Assert.Equal([false], switches);
        Assert.NotNull(notice);
        Assert.Contains("oneDNN is off", notice);
        Assert.Contains("AMD EPYC 9B45, AVX-512", notice);
        Assert.DoesNotContain("\n", notice);
    }

    [Fact]
    public void KernelsWrongEvenWithoutOneDnnStopWithOneLine()
    {
        var switches = new List<bool>();
        var e = Assert.Throws<SharpSegException>(() => TorchRuntime.Configure(() => new("matmul: product is wrong"), on => { switches.Add(on); return true; }, Zen5, out _));
        Assert.Equal([false, true], switches); // oneDNN is put back as it was
        Assert.Contains("ATEN_CPU_CAPABILITY=avx2", e.Message);
        Assert.Contains("matmul: product is wrong", e.Message);
        var passed = TorchRuntime.Configure(() => new(null), _ => throw new InvalidOperationException("not called when the check passes"), Zen5, out var none);
        Assert.True(passed.Passed);
        Assert.Null(none);
    }

    [Fact]
    public void ElfSymbolsFindsLibtorchsLocalAndExportedSymbols()
    {
        if (!OperatingSystem.IsLinux()) return; // ELF and /proc/self/maps
        _ = torch.get_num_threads();
        var (path, baseAddress) = OneDnnCacheSizes.MappedLibrary("libtorch_cpu.so");
        Assert.NotNull(path);
        var names = new[] { "CAXPY", OneDnnCacheSizes.CpuFunction, OneDnnCacheSizes.CpuObject, OneDnnCacheSizes.PerCoreCacheSize, "no_such_symbol_in_libtorch" };
        var found = ElfSymbols.Find(path!, names);
        // An exported function: the symbol table's value plus the mapped base is where the dynamic linker finds it.
        Assert.Equal(System.Runtime.InteropServices.NativeLibrary.GetExport(System.Runtime.InteropServices.NativeLibrary.Load(path!), "CAXPY"), baseAddress + (nint)found["CAXPY"]);
        // Local symbols (not exported; only the full symbol table has them), and a name that is not there.
        Assert.True(found.ContainsKey(OneDnnCacheSizes.CpuFunction) && found.ContainsKey(OneDnnCacheSizes.CpuObject) && found.ContainsKey(OneDnnCacheSizes.PerCoreCacheSize));
        Assert.False(found.ContainsKey("no_such_symbol_in_libtorch"));
        string notElf = Path.Combine(Path.GetTempPath(), $"sharpseg-not-elf-{Guid.NewGuid():N}.so");
        File.WriteAllBytes(notElf, new byte[128]);
        try { Assert.Throws<InvalidDataException>(() => ElfSymbols.Find(notElf, names)); }
        finally { File.Delete(notElf); }
    }

    [Fact]
    public void OneDnnGetsCacheSizesOnACpuThatDoesNotReportThem()
    {
        // ProcessSetup ran PrepareProcess, as the CLI does. On the Zen 5 VM (no cache topology) oneDNN saw 1-byte caches
        // and computed wrong gradients at full width; SharpSeg writes plausible sizes and leaves oneDNN uncapped.
        var (l1, l2, l3) = OneDnnCacheSizes.Plausible();
        Assert.InRange(l1, 16u * 1024, 1024u * 1024);
        Assert.InRange(l2, 128u * 1024, 16u * 1024 * 1024);
        Assert.Equal(2u * 1024 * 1024, l3);
        bool userChose = !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("ONEDNN_MAX_CPU_ISA")) || Environment.GetEnvironmentVariable("SHARPSEG_ONEDNN_CACHE_FIX")?.Trim() == "0";
        if (CpuInfo.Current.CacheTopology == false && RuntimeInformationIsX64() && !userChose)
        {
            Assert.True(OneDnnCacheSizes.Applied, OneDnnCacheSizes.Outcome);
            Assert.Equal((l1, l2, l3), OneDnnCacheSizes.Sizes);
            Assert.Null(TorchRuntime.OneDnnIsaCapped);
            Assert.Null(NativeEnvironment.Get("ONEDNN_MAX_CPU_ISA"));
            Assert.Contains("cache sizes set by SharpSeg", TorchRuntime.DescribeConvolutions());
            Assert.True(KernelCheck.Run().Passed);
            Assert.True(OneDnnCacheSizes.Apply()); // once per process; again is a no-op
        }
        else if (CpuInfo.Current.CacheTopology != false)
        {
            Assert.False(OneDnnCacheSizes.Applied);
            Assert.DoesNotContain("cache sizes set", TorchRuntime.DescribeConvolutions());
        }
    }

    static bool RuntimeInformationIsX64() => System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.X64;

    [Fact]
    public void OneDnnIsCappedAtSse41OnACpuThatDoesNotReportItsCaches()
    {
        // The Zen 5 virtual machine: CPUID leaves 4 and 0x8000001D empty, oneDNN's AVX-512 kernels wrong or crashing.
        var noCaches = Zen5 with { CacheTopology = false };
        Assert.Equal("SSE41", TorchRuntime.OneDnnIsaCap(noCaches));
        Assert.Null(TorchRuntime.OneDnnIsaCap(Zen5 with { CacheTopology = true }));
        Assert.Null(TorchRuntime.OneDnnIsaCap(Zen5)); // unknown (not Linux): no cap
        Assert.Null(TorchRuntime.OneDnnIsaCap(noCaches with { VectorIsa = "Arm64" })); // oneDNN's x86 levels mean nothing there
        Assert.EndsWith(", no cache topology", noCaches.ToString());
        Assert.DoesNotContain("cache", (Zen5 with { CacheTopology = true }).ToString());
        // This process: ProcessSetup ran PrepareProcess before libtorch loaded; the cap (the fallback where oneDNN's
        // cache sizes could not be set) is in the C library's environment (what oneDNN reads) unless the user chose
        // ONEDNN_MAX_CPU_ISA.
        if (TorchRuntime.OneDnnIsaCapped is { } cap)
        {
            Assert.Equal(TorchRuntime.OneDnnIsaCap(CpuInfo.Current), cap);
            Assert.Equal(cap, NativeEnvironment.Get("ONEDNN_MAX_CPU_ISA"));
            Assert.Contains($"ONEDNN_MAX_CPU_ISA={cap}", TorchRuntime.DescribeConvolutions());
        }
        else if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("ONEDNN_MAX_CPU_ISA")) && !OneDnnCacheSizes.Applied)
            Assert.Null(TorchRuntime.OneDnnIsaCap(CpuInfo.Current));
        if (OperatingSystem.IsLinux())
            Assert.Equal(Directory.Exists("/sys/devices/system/cpu/cpu0/cache"), CpuInfo.Current.CacheTopology);
    }

    [Fact]
    public void PeakEstimateFollowsTheVectorWidthAndSaysItIsAnEstimate()
    {
        Assert.Equal(64, Zen5.FlopsPerCycle);
        Assert.Equal(32, (Zen5 with { VectorIsa = "AVX2" }).FlopsPerCycle);
        // Zen 4 (AMD family 25) runs AVX-512 on 256-bit halves; Zen 5 (family 26) at full width.
        Assert.Equal(32, (Zen5 with { Vendor = "AuthenticAMD", Family = 25 }).FlopsPerCycle);
        Assert.Equal(64, (Zen5 with { Vendor = "AuthenticAMD", Family = 26 }).FlopsPerCycle);
        var peak = SharpSeg.Inference.InferenceBenchmark.EstimatePeak(2, Zen5)!;
        Assert.Equal(2 * 2.1 * 64, peak.Gflops, 6);
        Assert.Contains("an estimate", peak.Basis);
        Assert.Contains("AVX-512", peak.Basis);
        Assert.Null(SharpSeg.Inference.InferenceBenchmark.EstimatePeak(2, Zen5 with { ClockGHz = null }));
        var here = CpuInfo.Current;
        Assert.True(here.LogicalCores >= 1);
        if (OperatingSystem.IsLinux() && System.Runtime.Intrinsics.X86.X86Base.IsSupported)
        {
            Assert.NotNull(here.Family);
            Assert.NotNull(here.Vendor);
            Assert.Equal(File.ReadAllText("/proc/cpuinfo").Contains("avx512_bf16") || File.ReadAllText("/proc/cpuinfo").Contains("amx_bf16"), here.NativeBf16);
        }
        Assert.False(string.IsNullOrWhiteSpace(here.Model));
    }
}

public sealed class NativeEnvironmentTests
{
    [Fact]
    public void OpenMpSpinsBrieflyUnlessTheUserChoseAWaitPolicy()
    {
        // ProcessSetup ran TorchRuntime.PrepareProcess before libtorch loaded; the C library's environment (what libgomp
        // reads) holds the spin count, or the user's own choice untouched.
        string? policy = Environment.GetEnvironmentVariable("OMP_WAIT_POLICY"), spin = Environment.GetEnvironmentVariable("GOMP_SPINCOUNT");
        Assert.Equal(policy, NativeEnvironment.Get("OMP_WAIT_POLICY"));
        Assert.Equal(spin, NativeEnvironment.Get("GOMP_SPINCOUNT"));
        if (string.IsNullOrEmpty(policy)) Assert.False(string.IsNullOrEmpty(spin));
        string name = "SHARPSEG_TEST_" + Guid.NewGuid().ToString("N")[..8];
        Assert.True(NativeEnvironment.SetDefault(name, "a"));
        Assert.Equal("a", NativeEnvironment.Get(name));
        Assert.False(NativeEnvironment.SetDefault(name, "b")); // a value already there wins
        Assert.Equal("a", NativeEnvironment.Get(name));
    }
}
