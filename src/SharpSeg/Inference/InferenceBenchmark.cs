using System.Diagnostics;
using SharpSeg.Imaging;
using SharpSeg.Models;
using TorchSharp;

namespace SharpSeg.Inference;

/// <summary>Timing of whole-image inference (image → mask, as <c>predict</c> runs it) at a fixed size.</summary>
/// <param name="Backend">What ran (<see cref="IInferenceBackend.Description"/>).</param>
/// <param name="GMacs">Multiply-accumulates of one network pass at the size the network sees (after the inference
/// scale), in billions (<see cref="FlopCounter"/>); null when not counted.</param>
public sealed record InferenceTiming(int Width, int Height, int Runs, double MedianMs, double MinMs, double MaxMs, long PeakRssBytes,
    string Backend = "", double? GMacs = null)
{
    /// <summary>Achieved GFLOP/s: 2 · MACs per median run (pre- and post-processing included in the time).</summary>
    public double? GflopsPerSecond => GMacs is { } g ? 2 * g / (MedianMs / 1000) : null;
}

/// <summary>A peak throughput to compare against, and where it came from.</summary>
public sealed record PeakEstimate(double Gflops, string Basis);

/// <summary>Measures inference speed: warm-up runs, then the median of timed runs on a random image.</summary>
public static class InferenceBenchmark
{
    /// <summary>
    /// The fp32 peak of <paramref name="threads"/> cores of <paramref name="cpu"/>: threads × clock × FLOP per cycle
    /// (<see cref="Engine.CpuInfo.FlopsPerCycle"/>), with a sentence saying how it was estimated; null when the clock is
    /// unknown. An estimate: the vector width is read from the CPU, the number of FMA pipes is assumed.
    /// </summary>
    public static PeakEstimate? EstimatePeak(int threads, Engine.CpuInfo cpu)
    {
        ArgumentNullException.ThrowIfNull(cpu);
        if (cpu.PeakGflopsPerCore is not double perCore) return null;
        return new PeakEstimate(threads * perCore,
            $"an estimate: {threads} threads × {cpu.ClockGHz:0.00} GHz × {cpu.FlopsPerCycle} FLOP/cycle ({cpu.VectorIsa}{(cpu.Fma ? " with FMA" : "")}, two FMA pipes assumed); --peak-gflops overrides it");
    }

    public static InferenceTiming Run(Predictor predictor, int width, int height, int runs = 20, int warmup = 3, double? gmacs = null)
    {
        ArgumentNullException.ThrowIfNull(predictor);
        if (width < 1 || height < 1) throw new SharpSegException($"--size {width}x{height}: width and height must be positive.");
        if (runs < 1) throw new SharpSegException("--runs must be at least 1.");
        var image = new RgbImage(width, height, predictor.Info.ImageChannels);
        new Random(0).NextBytes(image.Pixels);
        for (int i = 0; i < warmup; i++) predictor.Predict(image);
        var times = new double[runs];
        for (int i = 0; i < runs; i++)
        {
            var sw = Stopwatch.StartNew();
            predictor.Predict(image);
            times[i] = sw.Elapsed.TotalMilliseconds;
        }
        Array.Sort(times);
        double median = runs % 2 == 1 ? times[runs / 2] : (times[runs / 2 - 1] + times[runs / 2]) / 2;
        return new InferenceTiming(width, height, runs, median, times[0], times[^1], Process.GetCurrentProcess().PeakWorkingSet64,
            predictor.Backend.Description, gmacs);
    }

    /// <summary>Billions of MACs of one pass of the model <paramref name="predictor"/> was built from (its config, from the
    /// checkpoint or the ONNX metadata) on a <paramref name="width"/>×<paramref name="height"/> image at its inference scale.</summary>
    public static double CountGMacs(Predictor predictor, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(predictor);
        var config = predictor.Info.Config;
        double s = predictor.Info.InferenceScale;
        var (h, w) = Preprocessing.ScaledSize(height, width, s);
        using var model = ModelZoo.Create(config with { AuxHead = false });
        using var x = torch.zeros(1, config.InChannels, h, w);
        return FlopCounter.CountMacs(model, x) / 1e9;
    }
}
