using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using System.Text;

namespace SharpSeg.Engine;

/// <summary>
/// Gives oneDNN (inside libtorch_cpu) plausible cache sizes on a CPU whose CPUID does not describe its caches.
/// </summary>
/// <remarks>
/// <para>oneDNN sizes its convolution blocking from the per-core cache sizes that its copy of xbyak reads from CPUID
/// (leaves 4 and 0x8000001D). On a virtual machine that leaves those leaves empty (the AMD Zen 5 VM SharpSeg is
/// developed on) xbyak records three cache levels of <b>1 byte</b> each (read back from the running library:
/// <c>dnnl::impl::cpu::platform::get_per_core_cache_size(1..3)</c> returned 1, 1, 1). With 1-byte caches oneDNN's
/// AVX/AVX2/AVX-512 kernels computed wrong convolution gradients (49 of 88 probed shapes) and died of an integer division
/// by zero in the 1×1 brgemm blocking heuristic; with the sizes set here every probed shape is right and nothing dies
/// (docs/BENCHMARKS.md, "oneDNN on a CPU that does not report its caches").</para>
/// <para>How: the description is a function-local static, <c>dnnl::impl::cpu::x64::cpu()::cpu_</c> (an
/// <c>Xbyak::util::Cpu</c>). Its address comes from libtorch_cpu.so's symbol table and the address the library is
/// mapped at; <see cref="Apply"/> calls <c>cpu()</c> so that it is initialised, checks that the object is what it
/// expects (the CPU's family, model and stepping at their offsets, at most 10 cache levels, every recorded size under
/// 4 KB), and only then writes the sizes: L1 data and L2 from CPUID 0x80000005/0x80000006 where they are plausible
/// (else 32 KB and 1 MB), and an L3 share of 2 MB per core (the VM's reported L3 is not: 508 MB). Anything unexpected
/// (another libtorch build, no symbol table, a different layout) leaves oneDNN untouched and says why, and
/// <see cref="TorchRuntime"/> then caps oneDNN at its SSE4.1 kernels as before. The start-up
/// <see cref="KernelCheck"/> checks the kernels either way.</para>
/// </remarks>
public static class OneDnnCacheSizes
{
    internal const string CpuFunction = "_ZN4dnnl4impl3cpu3x643cpuEv";
    internal const string CpuObject = "_ZZN4dnnl4impl3cpu3x643cpuEvE4cpu_";
    internal const string PerCoreCacheSize = "_ZN4dnnl4impl3cpu8platform23get_per_core_cache_sizeEi";

    // Offsets in xbyak's Cpu (oneDNN 3.x, xbyak 7): Type type_ (16 bytes), bool x2APIC_supported_, uint32 numCores_[2],
    // uint32 dataCacheSize_[10], uint32 coresSharignDataCache_[10], uint32 dataCacheLevels_, uint32 avx10version_,
    // then int model, family, stepping.
    const int SizesOffset = 28, SharingOffset = 68, LevelsOffset = 108, ModelOffset = 116, FamilyOffset = 120, SteppingOffset = 124;
    const int MaxLevels = 10;

    static readonly object gate = new();
    static string? outcome;

    /// <summary>What <see cref="Apply"/> did in this process (null before it ran).</summary>
    public static string? Outcome { get { lock (gate) return outcome; } }

    /// <summary>True when <see cref="Apply"/> set the sizes in this process.</summary>
    public static bool Applied => Sizes != null;

    /// <summary>The per-core sizes written (L1 data, L2, L3 share), in bytes; null unless <see cref="Applied"/>.</summary>
    public static (uint L1, uint L2, uint L3)? Sizes { get; private set; }

    /// <summary>
    /// Once per process, on Linux x86-64 where the CPU does not report its caches: finds libtorch_cpu.so in this process
    /// (loading it through TorchSharp if it is not mapped yet), checks oneDNN's CPU description and writes plausible
    /// cache sizes into it. Returns true when the sizes are set (now or before); false, with <see cref="Outcome"/>
    /// saying why, otherwise. Must run before oneDNN's first kernel to matter; never throws.
    /// </summary>
    public static bool Apply()
    {
        lock (gate)
        {
            if (outcome != null) return Applied;
            try { outcome = Patch(); }
            catch (Exception e) { outcome = $"not set: {e.GetType().Name}: {e.Message}"; }
            return Applied;
        }
    }

    static unsafe string Patch()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64 || !X86Base.IsSupported)
            return "not needed: not Linux on x86-64";
        _ = TorchSharp.torch.get_num_threads(); // loads libtorch if nothing has yet
        var (path, baseAddress) = MappedLibrary("libtorch_cpu.so");
        if (path == null) return "not set: libtorch_cpu.so is not mapped in this process";
        var symbols = ElfSymbols.Find(path, [CpuFunction, CpuObject, PerCoreCacheSize]);
        foreach (var name in new[] { CpuFunction, CpuObject, PerCoreCacheSize })
            if (!symbols.ContainsKey(name)) return $"not set: {Path.GetFileName(path)} has no symbol {name} (another libtorch build?)";
        var cpuFunction = (delegate* unmanaged<nint>)(baseAddress + (nint)symbols[CpuFunction]);
        nint cpu = cpuFunction();
        if (cpu != baseAddress + (nint)symbols[CpuObject]) return $"not set: dnnl cpu() returned {cpu:x}, not its static at {baseAddress + (nint)symbols[CpuObject]:x}";

        var (eax, _, _, _) = X86Base.CpuId(1, 0);
        int model = (eax >> 4) & 0xF, family = (eax >> 8) & 0xF, stepping = eax & 0xF;
        int* fields = (int*)cpu;
        if (fields[ModelOffset / 4] != model || fields[FamilyOffset / 4] != family || fields[SteppingOffset / 4] != stepping)
            return $"not set: oneDNN's CPU description does not have the layout this code knows (model/family/stepping {fields[ModelOffset / 4]}/{fields[FamilyOffset / 4]}/{fields[SteppingOffset / 4]}, CPUID says {model}/{family}/{stepping})";
        uint* sizes = (uint*)(cpu + SizesOffset), sharing = (uint*)(cpu + SharingOffset), levels = (uint*)(cpu + LevelsOffset);
        if (*levels > MaxLevels) return $"not set: oneDNN's CPU description records {*levels} cache levels";
        for (int i = 0; i < *levels; i++)
            if (sizes[i] >= 4096) return $"not needed: oneDNN already sees a {sizes[i] / 1024} KB level-{i + 1} cache";

        var (l1, l2, l3) = Plausible();
        sizes[0] = l1; sizes[1] = l2; sizes[2] = l3;
        sharing[0] = sharing[1] = sharing[2] = 1;
        *levels = 3;
        var perCore = (delegate* unmanaged<int, uint>)(baseAddress + (nint)symbols[PerCoreCacheSize]);
        if (perCore(1) != l1 || perCore(2) != l2 || perCore(3) != l3)
            return $"not set: oneDNN reads back {perCore(1)}/{perCore(2)}/{perCore(3)} bytes after writing {l1}/{l2}/{l3}";
        Sizes = (l1, l2, l3);
        return $"set: oneDNN saw 1-byte caches (this CPU does not report its caches); it now uses L1 {l1 / 1024} KB, L2 {l2 / 1024} KB, L3 {l3 / 1024} KB per core";
    }

    /// <summary>L1 data and L2 sizes from CPUID's extended leaves where they are plausible (AMD reports both there, Intel
    /// the L2), else 32 KB and 1 MB; an L3 share of 2 MB per core.</summary>
    internal static (uint L1, uint L2, uint L3) Plausible()
    {
        uint l1 = 32 * 1024, l2 = 1024 * 1024;
        var (maxExtended, _, _, _) = X86Base.CpuId(unchecked((int)0x80000000), 0);
        if ((uint)maxExtended >= 0x80000006)
        {
            var (_, _, ecx5, _) = X86Base.CpuId(unchecked((int)0x80000005), 0);
            var (_, _, ecx6, _) = X86Base.CpuId(unchecked((int)0x80000006), 0);
            uint l1k = (uint)ecx5 >> 24, l2k = (uint)ecx6 >> 16;
            if (l1k is >= 16 and <= 1024) l1 = l1k * 1024;
            if (l2k is >= 128 and <= 16384) l2 = l2k * 1024;
        }
        return (l1, l2, 2 * 1024 * 1024);
    }

    /// <summary>The path of the mapped library whose file name is <paramref name="fileName"/> and the address its first
    /// byte (file offset 0) is mapped at, from /proc/self/maps; (null, 0) when it is not mapped.</summary>
    internal static (string? Path, nint Base) MappedLibrary(string fileName)
    {
        foreach (var line in File.ReadLines("/proc/self/maps"))
        {
            // address perms offset dev inode path
            var parts = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length < 6 || parts[2] != "00000000") continue;
            string path = parts[5].Trim();
            if (Path.GetFileName(path) != fileName) continue;
            return (path, (nint)Convert.ToInt64(parts[0][..parts[0].IndexOf('-')], 16));
        }
        return (null, 0);
    }
}

/// <summary>Looks symbols up by name in an ELF64 file's symbol table (<c>.symtab</c>, the full table that
/// <c>nm</c> reads, local symbols included), memory-mapped so that only the tables are read.</summary>
internal static class ElfSymbols
{
    /// <summary>Value (address relative to the load base) of each of <paramref name="names"/> found; names not found are
    /// missing from the result. An empty result for a file without a symbol table.</summary>
    public static unsafe Dictionary<string, ulong> Find(string path, IReadOnlyList<string> names)
    {
        var found = new Dictionary<string, ulong>(StringComparer.Ordinal);
        using var file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        using var view = file.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
        byte* p = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
        try
        {
            long length = (long)view.SafeMemoryMappedViewHandle.ByteLength;
            if (length < 64 || p[0] != 0x7F || p[1] != (byte)'E' || p[2] != (byte)'L' || p[3] != (byte)'F' || p[4] != 2 || p[5] != 1)
                throw new InvalidDataException($"{path} is not a little-endian ELF64 file");
            long shoff = *(long*)(p + 0x28);
            int shentsize = *(ushort*)(p + 0x3A), shnum = *(ushort*)(p + 0x3C);
            for (int s = 0; s < shnum; s++)
            {
                byte* sh = p + shoff + (long)s * shentsize;
                if (*(uint*)(sh + 4) != 2) continue; // SHT_SYMTAB
                long symOffset = *(long*)(sh + 0x18), symSize = *(long*)(sh + 0x20), entSize = *(long*)(sh + 0x38);
                int link = *(int*)(sh + 0x28);
                byte* strHeader = p + shoff + (long)link * shentsize;
                long strOffset = *(long*)(strHeader + 0x18), strSize = *(long*)(strHeader + 0x20);
                if (symOffset + symSize > length || strOffset + strSize > length || entSize < 24) throw new InvalidDataException($"{path}: symbol table out of bounds");
                // Where each name sits in the string table ("\0name\0"), then which symbol points there.
                var wanted = new Dictionary<long, string>();
                foreach (var name in names)
                    if (IndexOf(p + strOffset, strSize, Encoding.ASCII.GetBytes("\0" + name + "\0")) is long at and >= 0) wanted[at + 1] = name;
                for (long e = 0; e + entSize <= symSize && wanted.Count > found.Count; e += entSize)
                {
                    byte* sym = p + symOffset + e;
                    uint nameOffset = *(uint*)sym;
                    if (wanted.TryGetValue(nameOffset, out var name) && !found.ContainsKey(name)) found[name] = *(ulong*)(sym + 8);
                }
            }
        }
        finally { view.SafeMemoryMappedViewHandle.ReleasePointer(); }
        return found;
    }

    static unsafe long IndexOf(byte* data, long length, byte[] needle)
    {
        // Spans are int-sized: search in overlapping chunks.
        const int chunk = 1 << 30;
        for (long start = 0; start < length; start += chunk - needle.Length)
        {
            int n = (int)Math.Min(chunk, length - start);
            int i = new ReadOnlySpan<byte>(data + start, n).IndexOf(needle);
            if (i >= 0) return start + i;
            if (start + n >= length) break;
        }
        return -1;
    }
}
