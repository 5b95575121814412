using System.Diagnostics;
using SharpSeg.Imaging;

namespace SharpSeg.Inference;

/// <summary>Timing of whole-image inference (image → mask, as <c>predict</c> runs it) at a fixed size.</summary>
public sealed record InferenceTiming(int Width, int Height, int Runs, double MedianMs, double MinMs, double MaxMs, long PeakRssBytes);

/// <summary>Measures inference speed of a checkpoint: warm-up runs, then the median of timed runs on a random image.</summary>
public static class InferenceBenchmark
{
    public static InferenceTiming Run(Predictor predictor, int width, int height, int runs = 20, int warmup = 3)
    {
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
        return new InferenceTiming(width, height, runs, median, times[0], times[^1], Process.GetCurrentProcess().PeakWorkingSet64);
    }
}
