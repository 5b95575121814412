using System.Globalization;
using System.Runtime.Intrinsics.X86;

namespace SharpSeg.Engine;

/// <summary>
/// What this machine's CPU is, for logs, benchmark records and the peak-throughput estimate: model name, widest vector
/// instruction set the runtime may use (AVX-512, AVX2, …), core count and clock, and whether it reports its caches.
/// </summary>
/// <param name="CacheTopology">Whether the CPU reports its cache hierarchy (Linux: <c>/sys/devices/system/cpu/cpu0/cache</c>,
/// which the kernel fills from CPUID leaf 4 or 0x8000001D); false on virtual machines whose CPUID leaves it empty, null
/// where unknown (not Linux).</param>
public sealed record CpuInfo(string Model, string VectorIsa, bool Fma, int LogicalCores, double? ClockGHz, bool? CacheTopology = null)
{
    static readonly Lazy<CpuInfo> current = new(Read);

    /// <summary>This machine.</summary>
    public static CpuInfo Current => current.Value;

    /// <summary>The x86 CPU family number (<c>cpu family</c> in /proc/cpuinfo: 25 for AMD Zen 3 and Zen 4, 26 for Zen
    /// 5), or null where unknown.</summary>
    public int? Family { get; init; }

    /// <summary>The CPU vendor (<c>vendor_id</c>: AuthenticAMD, GenuineIntel), or null where unknown.</summary>
    public string? Vendor { get; init; }

    /// <summary>AMD Zen 4 (family 25 with AVX-512): it runs AVX-512 on 256-bit halves, two per cycle.</summary>
    bool Avx512OnHalves => Vendor == "AuthenticAMD" && Family == 25;

    /// <summary>
    /// fp32 FLOP per cycle per core assumed for the peak: two FMA pipes of the widest vectors (AVX-512: 64, but 32 on
    /// AMD Zen 4, whose AVX-512 runs on 256-bit halves; AVX2 with FMA: 32, AVX: 16, else 8). An estimate: some cores
    /// have one FMA pipe.
    /// </summary>
    public int FlopsPerCycle => VectorIsa switch
    {
        "AVX-512" when Fma && Avx512OnHalves => 32,
        "AVX-512" when Fma => 64,
        "AVX2" when Fma => 32,
        "AVX2" or "AVX" => 16,
        _ => 8,
    };

    /// <summary>Whether the CPU computes bfloat16 products natively (the Linux CPU flags avx512_bf16 or amx_bf16), so that
    /// <c>train.precision: bf16</c> can pay; null where unknown (not Linux). Elsewhere libtorch emulates bfloat16, slower
    /// than fp32.</summary>
    public bool? NativeBf16 { get; init; }

    /// <summary>Estimated fp32 peak of one core in GFLOP/s (clock × <see cref="FlopsPerCycle"/>), or null when the clock is unknown.</summary>
    public double? PeakGflopsPerCore => ClockGHz is double ghz ? ghz * FlopsPerCycle : null;

    /// <summary>One line, e.g. "AMD EPYC, AVX2 with FMA, 2 logical cores, 2.45 GHz" (", no cache topology" added where
    /// the CPU does not report its caches).</summary>
    public override string ToString() =>
        $"{Model}, {VectorIsa}{(Fma ? " with FMA" : "")}, {LogicalCores} logical cores{(ClockGHz is double g ? $", {g.ToString("0.00", CultureInfo.InvariantCulture)} GHz" : "")}{(CacheTopology == false ? ", no cache topology" : "")}";

    static CpuInfo Read()
    {
        string isa = Avx512F.IsSupported ? "AVX-512" : Avx2.IsSupported ? "AVX2" : Avx.IsSupported ? "AVX" : X86Base.IsSupported ? "SSE" : System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture.ToString();
        string model = "unknown CPU";
        double? mhz = null;
        bool? bf16 = null;
        int? family = null;
        string? vendor = null;
        try
        {
            if (File.Exists("/proc/cpuinfo"))
                foreach (var line in File.ReadLines("/proc/cpuinfo"))
                {
                    int colon = line.IndexOf(':');
                    if (colon < 0) continue;
                    string key = line[..colon].Trim(), value = line[(colon + 1)..].Trim();
                    if (key == "model name" && model == "unknown CPU") model = value;
                    else if (key == "cpu family" && family == null && int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int fam)) family = fam;
                    else if (key == "vendor_id" && vendor == null) vendor = value;
                    else if (key == "flags" && bf16 == null) bf16 = value.Split(' ').Any(f => f is "avx512_bf16" or "amx_bf16");
                    else if (key == "cpu MHz" && mhz == null && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double m)) mhz = m;
                }
            // The rated maximum where the kernel exposes it (bare metal); a VM usually has only the current clock above.
            string max = "/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq";
            if (File.Exists(max) && double.TryParse(File.ReadAllText(max).Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double khz) && khz > 0)
                mhz = khz / 1000;
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        bool? caches = OperatingSystem.IsLinux() && Directory.Exists("/sys/devices/system/cpu/cpu0")
            ? Directory.Exists("/sys/devices/system/cpu/cpu0/cache") && Directory.EnumerateDirectories("/sys/devices/system/cpu/cpu0/cache", "index*").Any()
            : null;
        return new CpuInfo(model, isa, System.Runtime.Intrinsics.X86.Fma.IsSupported, Environment.ProcessorCount, mhz is double f && f > 0 ? f / 1000 : null, caches) { NativeBf16 = bf16, Family = family, Vendor = vendor };
    }
}
