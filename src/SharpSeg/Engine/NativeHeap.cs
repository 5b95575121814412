using System.Runtime.InteropServices;

namespace SharpSeg.Engine;

/// <summary>
/// The C library's heap during training. libtorch allocates every activation, gradient and autocast copy of a training
/// step afresh (its CPU allocator is <c>malloc</c>), and glibc's default gives the large blocks back to the kernel when
/// they are freed: blocks over its mmap threshold are unmapped at once, and the heap's free top is trimmed. The next step
/// asks for the same sizes again and the kernel has to fault in and zero every page anew: about 39,000 page faults
/// (150 MB) per step of the ImageNet U-Net at batch 8 in bf16 (docs/BENCHMARKS.md, "Page faults per step"), against
/// 1,200 in PyTorch 1.13 on the same network, whose process reuses what it freed (glibc's thresholds adapt there; in a
/// .NET process they did not settle).
/// <see cref="RetainFreedMemory"/> tells glibc to keep freed memory for the next request while a training run lasts:
/// <c>M_MMAP_MAX</c> 0 (large blocks come from the heap too), <c>M_TRIM_THRESHOLD</c> 2 GB (the heap's top is not
/// given back) and <c>M_TOP_PAD</c> 64 MB. The last is for threads other than the process's first: glibc gives such a
/// thread heaps of its own of at most 64 MB, and a block that does not fit in the room its current one has left gets a
/// new heap, which glibc unmaps when a free leaves it empty, whatever the trim threshold, unless the heap before it
/// could not take the top pad; with the pad as large as a heap, it never can, so the new heap stays (without it, a
/// 48 MB block freed and asked for again on such a thread was faulted in afresh: 12,289 page faults, and a test failed).
/// The pad only reserves address space: pages are touched when used. The process holds on to its high-water mark, which
/// a training run reaches in its first steps anyway; when the last run ends, glibc's defaults come back and the freed
/// memory is returned (<c>malloc_trim</c>).
/// </summary>
public static class NativeHeap
{
    const int M_TRIM_THRESHOLD = -1, M_TOP_PAD = -2, M_MMAP_MAX = -4;
    // glibc's DEFAULT_TRIM_THRESHOLD, DEFAULT_TOP_PAD, DEFAULT_MMAP_MAX
    const int DefaultTrimThreshold = 128 * 1024, DefaultTopPad = 128 * 1024, DefaultMmapMax = 65536;
    const int HeapPad = 64 << 20; // a thread heap's largest size on 64-bit (HEAP_MAX_SIZE)

    /// <summary>The environment variable that turns <see cref="RetainFreedMemory"/> off (<c>0</c>).</summary>
    public const string SwitchVariable = "SHARPSEG_RETAIN_HEAP";

    const string Settings = "M_MMAP_MAX 0, M_TRIM_THRESHOLD 2 GB, M_TOP_PAD 64 MB; " + SwitchVariable + "=0 turns this off";

    [DllImport("libc", EntryPoint = "mallopt")]
    private static extern int MallOpt(int param, int value);

    [DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int MallocTrim(nuint pad);

    [DllImport("libc", EntryPoint = "gnu_get_libc_version")]
    private static extern IntPtr GnuLibcVersion();

    static readonly object gate = new();
    static string? glibcVersion;
    static int runs;

    /// <summary>What training does to the heap in this process, in words (null before the first run asked).</summary>
    public static string? Outcome { get; private set; }

    /// <summary>True while a training run keeps freed memory (between <see cref="RetainFreedMemory"/> and the end of
    /// the last run that asked).</summary>
    public static bool Retaining => Volatile.Read(ref runs) > 0;

    /// <summary>
    /// For the length of a training run (dispose the result when it ends): on Linux with glibc, keeps freed memory in
    /// the heap for reuse. Runs may overlap; the last one to end restores glibc's defaults. Does nothing where the C
    /// library is not glibc, where the user set glibc's malloc tunables (<c>GLIBC_TUNABLES</c> with <c>glibc.malloc.</c>,
    /// <c>MALLOC_MMAP_MAX_</c>, <c>MALLOC_TRIM_THRESHOLD_</c>, <c>MALLOC_MMAP_THRESHOLD_</c>) or <c>LD_PRELOAD</c>ed
    /// another allocator, or with <c>SHARPSEG_RETAIN_HEAP=0</c>.
    /// </summary>
    public static IDisposable RetainFreedMemory()
    {
        lock (gate)
        {
            Outcome ??= Decide(Environment.GetEnvironmentVariable);
            if (glibcVersion == null) return new RetainedRun(counted: false);
            if (runs == 0)
            {
                // The trim threshold first: once it is set, glibc no longer adapts its thresholds. mallopt returns 1 on success.
                if (MallOpt(M_TRIM_THRESHOLD, int.MaxValue) != 1 || MallOpt(M_MMAP_MAX, 0) != 1 || MallOpt(M_TOP_PAD, HeapPad) != 1)
                {
                    Restore();
                    Outcome = $"left as is: glibc {glibcVersion} refused mallopt";
                    glibcVersion = null;
                    return new RetainedRun(counted: false);
                }
            }
            runs++;
            return new RetainedRun(counted: true);
        }
    }

    /// <summary>What a training run does to the heap on this machine, in one line (for <c>sharpseg info</c>).</summary>
    public static string Describe()
    {
        lock (gate) return Outcome ?? Decide(Environment.GetEnvironmentVariable);
    }

    /// <summary>Why the heap is left alone, or null when it may be changed (<paramref name="env"/> reads a variable).</summary>
    internal static string? LeaveAlone(Func<string, string?> env)
    {
        if (env(SwitchVariable)?.Trim() == "0") return $"left as is: {SwitchVariable}=0";
        if ((env("GLIBC_TUNABLES") ?? "").Contains("glibc.malloc.", StringComparison.Ordinal)) return "left as is: GLIBC_TUNABLES sets glibc's malloc";
        foreach (var name in new[] { "MALLOC_MMAP_MAX_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_" })
            if (!string.IsNullOrEmpty(env(name))) return $"left as is: {name} is set";
        if (!string.IsNullOrWhiteSpace(env("LD_PRELOAD"))) return "left as is: LD_PRELOAD may bring another allocator";
        return null;
    }

    // Sets glibcVersion when the heap may be changed.
    static string Decide(Func<string, string?> env)
    {
        if (!OperatingSystem.IsLinux()) return "left as is: not Linux";
        if (LeaveAlone(env) is { } why) return why;
        try { glibcVersion = Marshal.PtrToStringUTF8(GnuLibcVersion()) ?? "?"; }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { return "left as is: the C library is not glibc"; }
        return $"glibc {glibcVersion}: a training run keeps freed memory for reuse, and gives it back when it ends ({Settings})";
    }

    // glibc's defaults, and the freed memory back to the kernel.
    static void Restore()
    {
        MallOpt(M_MMAP_MAX, DefaultMmapMax);
        MallOpt(M_TOP_PAD, DefaultTopPad);
        MallOpt(M_TRIM_THRESHOLD, DefaultTrimThreshold);
        MallocTrim(0);
    }

    sealed class RetainedRun(bool counted) : IDisposable
    {
        bool disposed;

        public void Dispose()
        {
            lock (gate)
            {
                if (disposed || !counted) return;
                disposed = true;
                if (--runs == 0) Restore();
            }
        }
    }
}
