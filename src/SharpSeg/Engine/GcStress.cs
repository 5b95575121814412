namespace SharpSeg.Engine;

/// <summary>
/// A stress aid that turns rare garbage-collection races into frequent ones: with the environment variable
/// <c>SHARPSEG_GC_STRESS=MS</c> (1..1000), a background thread forces a gen-0 collection every MS milliseconds for the
/// life of the process. A collection that lands while libtorch is using an object that only the collected thread's
/// stack referred to is exactly what freed TorchSharp Scalars mid-call before the keep-alive fix
/// (<see cref="TorchRuntime.HandlesKeptAlive"/>); <c>scripts/stress.sh</c> runs recipes under it. Never set in normal use.
/// </summary>
public static class GcStress
{
    public const string Variable = "SHARPSEG_GC_STRESS";

    static int started;

    /// <summary>The period in milliseconds asked for by <see cref="Variable"/>, or null when it is unset or 0.</summary>
    public static int? RequestedPeriod()
    {
        string? v = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrWhiteSpace(v) || v.Trim() == "0") return null;
        if (!int.TryParse(v, out int ms) || ms < 1 || ms > 1000)
            throw new SharpSegException($"{Variable}={v}: give a period in milliseconds from 1 to 1000, or unset it.");
        return ms;
    }

    /// <summary>Starts the collecting thread when <see cref="Variable"/> asks for it (once per process). Returns the period, or null.</summary>
    public static int? StartFromEnvironment()
    {
        int? ms = RequestedPeriod();
        if (ms is not int period || Interlocked.Exchange(ref started, 1) == 1) return ms;
        var thread = new Thread(() =>
        {
            while (true)
            {
                GC.Collect(0, GCCollectionMode.Forced, blocking: true);
                Thread.Sleep(period);
            }
        }) { IsBackground = true, Name = "sharpseg-gc-stress" };
        thread.Start();
        return ms;
    }
}
