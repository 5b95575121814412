using System.Collections.Concurrent;
using SharpSeg.Data;
using SharpSeg.Data.Augmentation;
using SharpSeg.Imaging;
using TorchSharp;
using Xunit;
using SharpSeg.Data.Dataset;
using SharpSeg.Data.Loading;

namespace SharpSeg.Tests.Data;

[Collection(TensorCountingCollection.Name)]
public sealed class LoaderTests
{
    const int W = 8, H = 6;

    static List<SamplePair> Pairs(int n) => Enumerable.Range(0, n).Select(i => new SamplePair($"s{i:D2}", $"/nowhere/s{i:D2}.png", $"/nowhere/s{i:D2}_mask.png")).ToList();

    /// <summary>Sample i: every image byte = 10·i + channel, mask = i mod 3 except pixel 0 = 255.</summary>
    static SegmentationSample Decode(SamplePair p)
    {
        int i = int.Parse(p.Id[1..]);
        var img = new RgbImage(W, H, 3);
        for (int k = 0; k < img.Pixels.Length; k++) img.Pixels[k] = (byte)(10 * i + k % 3);
        var mask = new LabelMask(W, H);
        Array.Fill(mask.Labels, (byte)(i % 3));
        mask.Labels[0] = LabelMask.Ignore;
        return new SegmentationSample(p.Id, img, mask);
    }

    static SegmentationLoader Loader(int n, LoaderOptions options, IAugmentation? aug = null, Func<SamplePair, SegmentationSample>? decoder = null, Normalization? norm = null) =>
        new(Pairs(n), decoder ?? Decode, aug ?? AugmentationPipeline.Identity, norm ?? Normalization.UnitRange, options);

    /// <summary>
    /// Live tensors in the process after finalising old garbage: undisposed temporaries of earlier tests would otherwise
    /// be freed, and uncounted, at random moments during a leak check. Use it for the "before" count only.
    /// </summary>
    static long LiveTensors()
    {
        GC.Collect(); GC.WaitForPendingFinalizers(); GC.Collect();
        return torch.Tensor.TotalCount;
    }

    static List<string> Ids(SegmentationLoader loader, int epoch)
    {
        var ids = new List<string>();
        foreach (var b in loader.Epoch(epoch)) using (b) ids.AddRange(b.Ids);
        return ids;
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public void StartingAtABatchYieldsTheTailOfTheFullEpoch(int workers)
    {
        // A resumed run starts mid-epoch: batches 3.. must equal those of a full enumeration, without decoding 0..2.
        var options = new LoaderOptions { BatchSize = 2, Workers = workers, Seed = 9 };
        var full = new List<(int Index, string Ids, float Sum)>();
        foreach (var b in Loader(11, options).Epoch(4)) using (b) full.Add((b.Index, string.Join(",", b.Ids), b.Images.sum().item<float>()));
        int decoded = 0;
        var tail = new List<(int Index, string Ids, float Sum)>();
        var loader = Loader(11, options, decoder: p => { Interlocked.Increment(ref decoded); return Decode(p); });
        foreach (var b in loader.Epoch(4, 3)) using (b) tail.Add((b.Index, string.Join(",", b.Ids), b.Images.sum().item<float>()));
        Assert.Equal(full.Skip(3), tail);
        Assert.Equal(11 - 3 * 2, decoded);
    }

    [Fact]
    public void BatchesHaveShapesDtypesAndValues()
    {
        using var scope = torch.NewDisposeScope(); // frees the indexing temporaries below
        var norm = new Normalization([0.5f, 0.25f, 0f], [0.25f, 0.5f, 1f]);
        var loader = Loader(10, new LoaderOptions { BatchSize = 4, Shuffle = false }, norm: norm);
        Assert.Equal(3, loader.BatchCount);
        var sizes = new List<int>();
        foreach (var batch in loader.Epoch(0))
        {
            using var _ = batch;
            sizes.Add(batch.Count);
            Assert.Equal(torch.ScalarType.Float32, batch.Images.dtype);
            Assert.Equal(torch.ScalarType.Int64, batch.Masks.dtype);
            Assert.Equal(new long[] { batch.Count, 3, H, W }, batch.Images.shape);
            Assert.Equal(new long[] { batch.Count, H, W }, batch.Masks.shape);
            for (int b = 0; b < batch.Count; b++)
            {
                int i = int.Parse(batch.Ids[b][1..]);
                // Channel c of sample i has byte 10·i + c everywhere; normalised (v/255 − mean)/std.
                for (int c = 0; c < 3; c++)
                {
                    float expected = ((10 * i + c) / 255f - norm.Mean[c]) / norm.Std[c];
                    Assert.Equal(expected, batch.Images[b, c, 3, 5].item<float>(), 5);
                    Assert.Equal(expected, batch.Images[b, c, 0, 0].item<float>(), 5);
                }
                Assert.Equal(255L, batch.Masks[b, 0, 0].item<long>());
                Assert.Equal((long)(i % 3), batch.Masks[b, 5, 7].item<long>());
            }
        }
        Assert.Equal([4, 4, 2], sizes);
        Assert.Equal(["s00", "s01", "s02", "s03", "s04", "s05", "s06", "s07", "s08", "s09"], Ids(loader, 0));
        var dropLast = Loader(10, new LoaderOptions { BatchSize = 4, DropLast = true });
        Assert.Equal(2, dropLast.BatchCount);
        Assert.Equal(8, Ids(dropLast, 0).Count);
    }

    [Fact]
    public void GrayscaleImagesGiveOneChannel()
    {
        static SegmentationSample Gray(SamplePair p) => new(p.Id, new RgbImage(W, H, 1), new LabelMask(W, H));
        var loader = Loader(3, new LoaderOptions { BatchSize = 3 }, decoder: Gray);
        using var batch = loader.Epoch(0).Single();
        Assert.Equal(new long[] { 3, 1, H, W }, batch.Images.shape);
    }

    [Fact]
    public void EveryEpochVisitsEachSampleOnceInASeededOrder()
    {
        var loader = Loader(23, new LoaderOptions { BatchSize = 5, Seed = 11, Workers = 2 });
        var e0 = Ids(loader, 0); var e0again = Ids(loader, 0); var e1 = Ids(loader, 1);
        Assert.Equal(23, e0.Count);
        Assert.Equal(Pairs(23).Select(p => p.Id).Order(), e0.Order());
        Assert.Equal(Pairs(23).Select(p => p.Id).Order(), e1.Order());
        Assert.Equal(e0, e0again);
        Assert.NotEqual(e0, e1);
        Assert.NotEqual(Pairs(23).Select(p => p.Id), e0);
        Assert.Equal(e0, Ids(Loader(23, new LoaderOptions { BatchSize = 5, Seed = 11, Workers = 3 }), 0));
        Assert.NotEqual(e0, Ids(Loader(23, new LoaderOptions { BatchSize = 5, Seed = 12 }), 0));
    }

    [Fact]
    public void AugmentedBatchesDoNotDependOnWorkerCount()
    {
        static SegmentationSample Noisy(SamplePair p)
        {
            int i = int.Parse(p.Id[1..]);
            var rng = new Random(i);
            var img = new RgbImage(40, 30, 3); rng.NextBytes(img.Pixels);
            var mask = new LabelMask(40, 30); for (int k = 0; k < mask.Labels.Length; k++) mask.Labels[k] = (byte)rng.Next(4);
            return new SegmentationSample(p.Id, img, mask);
        }
        var aug = AugmentationPipeline.Build(new AugmentationOptions { Scale = [0.5, 1.5], Crop = [24, 32], Rotate = 20, Brightness = 0.3, Noise = 0.05 });
        float[] Run(int workers)
        {
            var loader = Loader(12, new LoaderOptions { BatchSize = 4, Workers = workers, Seed = 5 }, aug, Noisy);
            var all = new List<float>();
            foreach (var b in loader.Epoch(2))
                using (b)
                {
                    all.AddRange(b.Images.data<float>().ToArray());
                    all.AddRange(b.Masks.data<long>().ToArray().Select(v => (float)v));
                }
            return all.ToArray();
        }
        var inline = Run(0);
        Assert.Equal(inline, Run(1));
        Assert.Equal(inline, Run(3));
    }

    [Fact]
    public void DecoderExceptionReachesTheConsumerUnchanged()
    {
        SegmentationSample Broken(SamplePair p) => p.Id == "s13" ? throw new SharpSegException($"{p.ImagePath}: image file is truncated or damaged; re-export it.") : Decode(p);
        foreach (int workers in new[] { 0, 2 })
        {
            var loader = Loader(30, new LoaderOptions { BatchSize = 4, Workers = workers, Shuffle = false }, decoder: Broken);
            int seen = 0;
            var ex = Assert.Throws<SharpSegException>(() => { foreach (var b in loader.Epoch(0)) using (b) seen += b.Count; });
            Assert.Equal("/nowhere/s13.png: image file is truncated or damaged; re-export it.", ex.Message);
            Assert.Equal(12, seen); // batches before the broken one were delivered
        }
    }

    [Fact]
    public void DifferentSizesInABatchAskForACrop()
    {
        static SegmentationSample Sized(SamplePair p)
        {
            int i = int.Parse(p.Id[1..]);
            return new SegmentationSample(p.Id, new RgbImage(10 + i, 10, 3), new LabelMask(10 + i, 10));
        }
        var loader = Loader(4, new LoaderOptions { BatchSize = 2 }, decoder: Sized);
        var ex = Assert.Throws<SharpSegException>(() => { foreach (var b in loader.Epoch(0)) b.Dispose(); });
        Assert.Contains("crop", ex.Message);
        // With a crop the same data batches fine.
        var cropped = Loader(4, new LoaderOptions { BatchSize = 2 }, new RandomCrop(8, 8), Sized);
        Assert.Equal(4, Ids(cropped, 0).Count);
    }

    [Fact]
    public void StoppingEarlyStopsTheWorkersWithoutErrors()
    {
        int decoded = 0;
        SegmentationSample Slow(SamplePair p) { Interlocked.Increment(ref decoded); Thread.Sleep(2); return Decode(p); }
        var loader = Loader(400, new LoaderOptions { BatchSize = 4, Workers = 2, Prefetch = 3 }, decoder: Slow);
        foreach (var b in loader.Epoch(0))
        {
            b.Dispose();
            if (b.Index == 1) break;
        }
        int after = Volatile.Read(ref decoded);
        Thread.Sleep(100);
        Assert.Equal(after, Volatile.Read(ref decoded)); // nothing runs after the enumerator is disposed
        Assert.True(after < 40, $"{after} samples decoded for 2 batches: the prefetch is not bounded");

        using var cts = new CancellationTokenSource();
        Assert.ThrowsAny<OperationCanceledException>(() =>
        {
            foreach (var b in loader.Epoch(1, cts.Token)) { b.Dispose(); cts.Cancel(); }
        });
    }

    [Fact]
    public void RandomStopsAndFailuresNeverHangOrLeak()
    {
        // Many random combinations of size, batch, workers, prefetch, a failing sample and an early stop.
        var rnd = new Random(1);
        long before = LiveTensors();
        for (int iter = 0; iter < 150; iter++)
        {
            int n = rnd.Next(1, 40), bad = rnd.Next(0, 60), stopAt = rnd.Next(0, 12);
            var options = new LoaderOptions { BatchSize = rnd.Next(1, 6), Workers = rnd.Next(0, 5), Prefetch = rnd.Next(1, 5), Seed = iter };
            SegmentationSample Flaky(SamplePair p)
            {
                int i = int.Parse(p.Id[1..]);
                if (i == bad) throw new SharpSegException("bad " + p.Id);
                if (i % 7 == 0) Thread.Sleep(1);
                return Decode(p);
            }
            var loader = Loader(n, options, decoder: Flaky);
            try
            {
                foreach (var b in loader.Epoch(iter)) { b.Dispose(); if (b.Index == stopAt) break; }
            }
            catch (SharpSegException e)
            {
                Assert.StartsWith("bad s", e.Message);
                Assert.True(bad < n);
            }
        }
        Assert.Equal(before, torch.Tensor.TotalCount); // no GC here: a leaked batch must not be rescued by its finaliser
    }

    [Fact]
    public void CacheDecodesEachSampleOnce()
    {
        var calls = new ConcurrentDictionary<string, int>();
        SegmentationSample Counting(SamplePair p) { calls.AddOrUpdate(p.Id, 1, (_, c) => c + 1); return Decode(p); }
        var aug = new HorizontalFlip(0.5);
        var loader = Loader(9, new LoaderOptions { BatchSize = 2, Cache = true }, aug, Counting);
        Ids(loader, 0); Ids(loader, 1); Ids(loader, 2);
        Assert.Equal(9, calls.Count);
        Assert.All(calls.Values, c => Assert.Equal(1, c));
        var uncached = Loader(9, new LoaderOptions { BatchSize = 2 }, aug, Counting);
        Ids(uncached, 0);
        Assert.All(calls.Values, c => Assert.Equal(2, c));
    }

    [Fact]
    public void BatchesDoNotLeakTensors()
    {
        var loader = Loader(16, new LoaderOptions { BatchSize = 4 });
        Ids(loader, 0); // warm up
        long before = LiveTensors();
        for (int e = 0; e < 3; e++) Ids(loader, e);
        // Stopped early: the batches made ahead are freed too.
        foreach (var b in loader.Epoch(5)) { b.Dispose(); break; }
        Assert.Equal(before, torch.Tensor.TotalCount); // no GC here: a leaked batch must not be rescued by its finaliser
    }

    [Fact]
    public void BatchesBelongToTheCallerNotToAnEnclosingDisposeScope()
    {
        foreach (int workers in new[] { 0, 2 })
        {
            var loader = Loader(4, new LoaderOptions { BatchSize = 2, Workers = workers });
            Batch kept;
            using (torch.NewDisposeScope()) kept = loader.Epoch(0).First();
            Assert.False(kept.Images.IsInvalid);
            Assert.Equal(2 * 3 * H * W, kept.Images.numel());
            kept.Dispose();
            Assert.True(kept.Images.IsInvalid);
            Assert.True(kept.Masks.IsInvalid);
        }
    }

    [Fact]
    public void ImageTensorsConvertOneImageAndMask()
    {
        var img = new RgbImage(3, 2, 3, [0, 255, 51, 0, 255, 51, 0, 255, 51, 0, 255, 51, 0, 255, 51, 0, 255, 102]);
        using var scope = torch.NewDisposeScope();
        var t = ImageTensors.ToTensor(img, Normalization.UnitRange);
        Assert.Equal(new long[] { 1, 3, 2, 3 }, t.shape);
        Assert.Equal(1f, t[0, 1, 1, 2].item<float>());
        Assert.Equal(0.4f, t[0, 2, 1, 2].item<float>(), 5);
        var m = ImageTensors.ToTensor(new LabelMask(3, 2, [0, 1, 2, 255, 4, 5]));
        Assert.Equal(new long[] { 1, 2, 3 }, m.shape);
        Assert.Equal(torch.ScalarType.Int64, m.dtype);
        Assert.Equal(new long[] { 0, 1, 2, 255, 4, 5 }, m.data<long>().ToArray());
    }

    [Fact]
    public void InMemoryLoaderServesGeneratedScenes()
    {
        var samples = SharpSeg.Data.Synthetic.SyntheticSceneGenerator.Generate(new SharpSeg.Data.Synthetic.SyntheticSceneOptions { Train = 10 }).ToList();
        var loader = SegmentationLoader.InMemory(samples, new HorizontalFlip(0.5), Normalization.ImageNet, new LoaderOptions { BatchSize = 4, Seed = 3 });
        var ids = new List<string>();
        foreach (var b in loader.Epoch(0))
            using (b)
            {
                Assert.Equal(new long[] { b.Count, 3, 128, 128 }, b.Images.shape);
                ids.AddRange(b.Ids);
            }
        Assert.Equal(samples.Select(s => s.Id).Order(), ids.Order());
    }

    [Fact]
    public void BadOptionsAreUserErrors()
    {
        Assert.Throws<SharpSegException>(() => Loader(4, new LoaderOptions { BatchSize = 0 }));
        Assert.Throws<SharpSegException>(() => Loader(4, new LoaderOptions { Workers = -1 }));
        var wrongNorm = Loader(4, new LoaderOptions(), norm: new Normalization([0.5f, 0.5f], [1f, 1f]));
        Assert.Throws<SharpSegException>(() => Ids(wrongNorm, 0));
    }
}
