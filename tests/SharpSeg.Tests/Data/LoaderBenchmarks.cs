using System.Diagnostics;
using SharpSeg.Data;
using SharpSeg.Data.Augmentation;
using SharpSeg.Imaging;
using TorchSharp;
using Xunit;
using Xunit.Abstractions;
using SharpSeg.Data.Dataset;
using SharpSeg.Data.Loading;

namespace SharpSeg.Tests.Data;

/// <summary>
/// Loader throughput on CamVid train (367 PNGs, 480×360). Run:
/// <c>SHARPSEG_BENCH=1 dotnet test tests/SharpSeg.Tests --filter "FullyQualifiedName~LoaderBenchmarks" --logger "console;verbosity=detailed"</c>
/// </summary>
[Trait("Category", "Benchmark")]
[Collection(TensorCountingCollection.Name)]
public sealed class LoaderBenchmarks(ITestOutputHelper output)
{
    /// <summary>CamVid train pairs by file name (images/X.png ↔ masks/X.png).</summary>
    static List<SamplePair> CamVidTrain()
    {
        string root = Path.Combine(TestPaths.SharedDatasets ?? throw new InvalidOperationException("no shared datasets folder"), "camvid", "train");
        return Directory.GetFiles(Path.Combine(root, "images"), "*.png").Order(StringComparer.Ordinal)
            .Select(p => new SamplePair(Path.GetFileNameWithoutExtension(p), p, Path.Combine(root, "masks", Path.GetFileName(p))))
            .ToList();
    }

    /// <summary>CamVid decode: RGB image, 8-bit gray mask with 11 (void) mapped to ignore.</summary>
    static SegmentationSample DecodeCamVid(SamplePair p)
    {
        var img = ImageFile.Load(p.ImagePath);
        var gray = ImageFile.Load(p.MaskPath!, channels: 1);
        var labels = gray.Pixels;
        for (int i = 0; i < labels.Length; i++) if (labels[i] == 11) labels[i] = LabelMask.Ignore;
        return new SegmentationSample(p.Id, img, new LabelMask(gray.Width, gray.Height, labels));
    }

    [BenchmarkFact]
    public void CamVidTrainThroughput()
    {
        var pairs = CamVidTrain();
        Log($"CamVid train: {pairs.Count} pairs; {Environment.ProcessorCount} logical CPUs; {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; load average {LoadAverage()}");

        torch.empty(1).Dispose(); // load libtorch before timing anything
        var sw = Stopwatch.StartNew();
        foreach (var p in pairs.Take(50)) DecodeCamVid(p);
        Log($"decode only (1 thread): {50 / sw.Elapsed.TotalSeconds:F1} images/s");

        // Stage costs on one thread, over 50 decoded samples.
        var decoded = pairs.Take(50).Select(DecodeCamVid).ToList();
        var train = AugmentationPipeline.Build(new AugmentationOptions { Scale = [0.5, 2.0], Crop = [360, 480], Hflip = 0.5 });
        var augmented = new List<SegmentationSample>();
        sw.Restart();
        for (int i = 0; i < decoded.Count; i++) augmented.Add(train.Apply(decoded[i], new Random(i)));
        Log($"augment only (scale+crop 360x480+hflip, 1 thread): {decoded.Count / sw.Elapsed.TotalSeconds:F1} images/s");
        sw.Restart();
        foreach (var a in augmented) { ImageTensors.ToTensor(a.Image, Normalization.ImageNet).Dispose(); ImageTensors.ToTensor(a.Mask).Dispose(); }
        Log($"to tensors only (normalise + int64 mask, 1 thread): {augmented.Count / sw.Elapsed.TotalSeconds:F1} images/s");

        foreach (var (name, crop, cache, workers) in new (string, int[], bool, int)[]
        {
            ("crop 360x480", [360, 480], false, 2),
            ("crop 256x256", [256, 256], false, 2),
            ("crop 360x480, cache (decoded once)", [360, 480], true, 2),
            ("crop 360x480, 1 worker", [360, 480], false, 1),
        })
        {
            var aug = AugmentationPipeline.Build(new AugmentationOptions { Scale = [0.5, 2.0], Crop = crop, Hflip = 0.5 });
            var loader = new SegmentationLoader(pairs, DecodeCamVid, aug, Normalization.ImageNet,
                new LoaderOptions { BatchSize = 8, Workers = workers, Cache = cache, Seed = 1 });
            if (cache) foreach (var b in loader.Epoch(99)) b.Dispose(); // fill the cache first
            long peakBefore = Process.GetCurrentProcess().PeakWorkingSet64;
            var rates = new List<double>();
            for (int epoch = 0; epoch < 3; epoch++)
            {
                sw.Restart();
                int images = 0;
                foreach (var b in loader.Epoch(epoch)) using (b) images += b.Count;
                rates.Add(images / sw.Elapsed.TotalSeconds);
            }
            rates.Sort();
            Log($"{name}: batch 8, {workers} worker(s), scale [0.5, 2.0], hflip 0.5: median {rates[1]:F1} images/s over 3 epochs of {pairs.Count} " +
                $"(min {rates[0]:F1}, max {rates[2]:F1}; peak RSS {Process.GetCurrentProcess().PeakWorkingSet64 / (1 << 20)} MiB, before {peakBefore / (1 << 20)} MiB)");
        }
    }

    static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    void Log(string line)
    {
        output.WriteLine(line);
        string? file = Environment.GetEnvironmentVariable("SHARPSEG_BENCH_OUT");
        if (file != null) File.AppendAllText(file, line + Environment.NewLine);
    }
}
