using System.Runtime.InteropServices;
using SharpSeg.Engine;
using Xunit;

namespace SharpSeg.Tests;

/// <summary>Training keeps freed native memory for reuse (<see cref="NativeHeap"/>): without it every step faulted in
/// about 150 MB of fresh pages. Sequential: the page-fault count it reads is the whole process's.</summary>
[Collection(SequentialCollection.Name)]
public sealed class NativeHeapTests
{
    [Fact]
    public void TheUsersOwnAllocatorSettingsWin()
    {
        string? None(string _) => null;
        Assert.Null(NativeHeap.LeaveAlone(None));
        Assert.Equal("left as is: SHARPSEG_RETAIN_HEAP=0", NativeHeap.LeaveAlone(n => n == "SHARPSEG_RETAIN_HEAP" ? " 0 " : null));
        Assert.Null(NativeHeap.LeaveAlone(n => n == "SHARPSEG_RETAIN_HEAP" ? "1" : null));
        Assert.Contains("GLIBC_TUNABLES", NativeHeap.LeaveAlone(n => n == "GLIBC_TUNABLES" ? "glibc.malloc.arena_max=2" : null));
        Assert.Null(NativeHeap.LeaveAlone(n => n == "GLIBC_TUNABLES" ? "glibc.cpu.hwcaps=-AVX512F" : null)); // not malloc's
        Assert.Contains("MALLOC_TRIM_THRESHOLD_", NativeHeap.LeaveAlone(n => n == "MALLOC_TRIM_THRESHOLD_" ? "1000" : null));
        Assert.Contains("LD_PRELOAD", NativeHeap.LeaveAlone(n => n == "LD_PRELOAD" ? "/usr/lib/libjemalloc.so.2" : null));
    }

    [Fact]
    public void DuringATrainingRunFreedMemoryIsReusedAndAfterItTheMemoryGoesBack()
    {
        if (!OperatingSystem.IsLinux()) return; // glibc and /proc/self/stat
        // A 48 MB block, as large as a batch's activations: glibc's default maps it afresh each time (12,288 page faults
        // to touch it); kept, the second block is the first one's memory, already in the process.
        const int size = 48 << 20, fresh = size / 4096;
        var run = NativeHeap.RetainFreedMemory();
        var overlapping = NativeHeap.RetainFreedMemory(); // e.g. two trainers in one process
        Assert.NotNull(NativeHeap.Outcome);
        Assert.Equal(NativeHeap.Outcome, NativeHeap.Describe());
        if (NativeHeap.LeaveAlone(Environment.GetEnvironmentVariable) != null)
        {
            Assert.False(NativeHeap.Retaining, NativeHeap.Outcome);
            run.Dispose();
            overlapping.Dispose();
            return;
        }
        Assert.True(NativeHeap.Retaining, NativeHeap.Outcome);
        Assert.StartsWith("glibc ", NativeHeap.Outcome);
        long reused = ReusedFaults(size);
        Assert.True(reused < fresh / 4, $"{reused} page faults for a reused 48 MB block during a run ({fresh} would mean fresh pages)");
        // On a thread whose own glibc heap is nearly full (60 MB of its at most 64 MB held), the block gets a heap of its own,
        // which glibc unmaps when the block is freed unless the top pad keeps it (the suite failed on this once: 12,289 faults).
        long crowded = 0;
        var thread = new Thread(() =>
        {
            IntPtr held = Marshal.AllocHGlobal(60 << 20);
            try { crowded = ReusedFaults(size); }
            finally { Marshal.FreeHGlobal(held); }
        });
        thread.Start();
        thread.Join();
        Assert.True(crowded < fresh / 4, $"{crowded} page faults for a reused 48 MB block on a thread whose heap is nearly full ({fresh} would mean fresh pages)");
        // A freed block stays in the process while a run lasts (touched again, so it is resident)...
        const int big = 48 << 20;
        Touch(big);
        long held = ResidentBytes();
        run.Dispose();
        run.Dispose(); // twice is once
        Assert.True(NativeHeap.Retaining); // the other run still trains
        overlapping.Dispose();
        Assert.False(NativeHeap.Retaining);
        // ...and goes back to the kernel when the last run ends: malloc_trim returns the main heap's free memory at once,
        // a thread heap's free top goes at its next free of 64 KB or more, as glibc's defaults have it.
        Touch(1 << 20);
        long after = ResidentBytes();
        Assert.True(held - after > big / 2, $"resident memory fell by {(held - after) >> 20} MB when the runs ended: the freed 48 MB should have gone back");
    }

    static long ResidentBytes()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        throw new InvalidOperationException("no VmRSS in /proc/self/status");
    }

    static long ReusedFaults(int size)
    {
        Touch(size);
        long before = MinorFaults();
        Touch(size);
        return MinorFaults() - before;
    }

    static void Touch(int size)
    {
        IntPtr p = Marshal.AllocHGlobal(size); // malloc on Unix
        try
        {
            for (int i = 0; i < size; i += 4096) Marshal.WriteByte(p, i, 1);
        }
        finally { Marshal.FreeHGlobal(p); }
    }

    static long MinorFaults()
    {
        // /proc/self/stat: field 10 is minflt, counted after the command name's closing parenthesis.
        string stat = File.ReadAllText("/proc/self/stat");
        string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[7]);
    }
}
