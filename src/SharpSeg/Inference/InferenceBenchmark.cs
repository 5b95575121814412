using System.Diagnostics;
using System.Text.Json;
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

/// <summary>Measures inference speed: warm-up runs, then the median of timed runs on a random image.</summary>
public static class InferenceBenchmark
{
    /// <summary>fp32 peak of this project's reference CPU per core: 2.45 GHz × 32 FLOP/cycle (two 256-bit FMA pipes).</summary>
    public const double ReferencePeakGflopsPerCore = 2.45 * 32;

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
        var config = predictor.Info.Model.Deserialize<ModelConfig>() ?? throw new SharpSegException("the model has no config to count operations from.");
        double s = predictor.Info.InferenceScale;
        long h = Math.Max(1, (long)Math.Round(height * s)), w = Math.Max(1, (long)Math.Round(width * s));
        using var model = ModelZoo.Create(config with { AuxHead = false });
        using var x = torch.zeros(1, config.InChannels, h, w);
        return FlopCounter.CountMacs(model, x) / 1e9;
    }
}
