using System.Diagnostics;
using SharpSeg.Imaging;
using SharpSeg.Instances;
using Xunit;
using Xunit.Abstractions;

namespace SharpSeg.Tests.Benchmarks;

/// <summary>
/// Opt-in measurement, not a timed assertion: connected components of a 4000×4000 mask. Runs only with SHARPSEG_BENCH=1:
/// <c>SHARPSEG_BENCH=1 dotnet test tests/SharpSeg.Tests -c Release --filter InstanceLabellingBenchmark --logger "console;verbosity=detailed"</c>.
/// Reports the median of 7 runs after one warm-up.
/// </summary>
public sealed class InstanceLabellingBenchmark(ITestOutputHelper output)
{
    const int Size = 4000, Runs = 7;

    /// <summary>Blobs: a 400×400 grid of random classes 0..3 scaled up ×10 (blocky regions, ~10^5 components).</summary>
    static LabelMask Blobs()
    {
        var random = new Random(1);
        var grid = new byte[400 * 400];
        for (int i = 0; i < grid.Length; i++) grid[i] = (byte)random.Next(4);
        var labels = new byte[Size * Size];
        for (int y = 0; y < Size; y++)
            for (int x = 0; x < Size; x++) labels[y * Size + x] = grid[(y / 10) * 400 + x / 10];
        return new LabelMask(Size, Size, labels);
    }

    /// <summary>Noise: every pixel a random class 0..3, the worst case for the union-find (millions of components).</summary>
    static LabelMask Noise()
    {
        var random = new Random(2);
        var labels = new byte[Size * Size];
        for (int i = 0; i < labels.Length; i++) labels[i] = (byte)random.Next(4);
        return new LabelMask(Size, Size, labels);
    }

    string Measure(string what, Func<int> work)
    {
        int count = work(); // warm-up (JIT)
        var times = new List<double>();
        var cpu = new List<double>();
        var process = Process.GetCurrentProcess();
        for (int r = 0; r < Runs; r++)
        {
            process.Refresh();
            var cpu0 = process.TotalProcessorTime;
            var sw = Stopwatch.StartNew();
            count = work();
            times.Add(sw.Elapsed.TotalMilliseconds);
            process.Refresh();
            cpu.Add((process.TotalProcessorTime - cpu0).TotalMilliseconds);
        }
        times.Sort();
        cpu.Sort();
        // The work is single-threaded: on a shared machine the process CPU time is what it costs, the wall time also
        // holds the waits for a core.
        string line = $"{what}: median {times[Runs / 2]:F0} ms wall (min {times[0]:F0}, max {times[^1]:F0}), median {cpu[Runs / 2]:F0} ms CPU, over {Runs} runs, {count:N0} components";
        output.WriteLine(line);
        return line;
    }

    [BenchmarkFact]
    public void Label4000x4000()
    {
        var all = new bool[256];
        Array.Fill(all, true);
        var blobs = Blobs();
        var noise = Noise();
        Measure("blobs 4000², 4 classes, 8-connected", () => ConnectedComponents.Label(blobs, Connectivity.Eight, all).Count);
        Measure("blobs 4000², 4 classes, 4-connected", () => ConnectedComponents.Label(blobs, Connectivity.Four, all).Count);
        Measure("noise 4000², 4 classes, 8-connected", () => ConnectedComponents.Label(noise, Connectivity.Eight, all).Count);
        Measure("noise 4000², 4 classes, 4-connected", () => ConnectedComponents.Label(noise, Connectivity.Four, all).Count);
        var things = new bool[256];
        things[1] = things[2] = true;
        Measure("blobs 4000², classes 1-2, 8-connected, fill holes", () => ConnectedComponents.Label(blobs, Connectivity.Eight, things, fillHoles: true).Count);
        var table = new SharpSeg.Data.Dataset.ClassTable(Enumerable.Range(0, 4).Select(i => new SharpSeg.Data.Dataset.ClassInfo($"c{i}", SharpSeg.Data.Dataset.ClassTable.DefaultColor(i), i)).ToArray());
        var options = new InstanceOptions { StuffClasses = ["c0"] }.Resolve(table, "benchmark");
        Measure("blobs 4000², full extraction (classes 1-3 + stuff c0: properties, RLE, polygons, panoptic ids)", () => InstanceExtraction.Extract(blobs, options).Instances.Count);
    }
}
