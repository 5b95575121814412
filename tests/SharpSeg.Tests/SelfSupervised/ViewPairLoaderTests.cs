using SharpSeg.Data;
using SharpSeg.Data.Augmentation;
using SharpSeg.Imaging;
using SharpSeg.SelfSupervised;
using SharpSeg.Tests.Data;
using TorchSharp;
using Xunit;
using SharpSeg.Data.Loading;

namespace SharpSeg.Tests.SelfSupervised;

/// <summary>
/// The view-pair loader's background work (shared with <see cref="SegmentationLoader"/>): errors reach the consumer as
/// themselves, an early stop or a cancellation stops the workers and frees what was made ahead, and no more than
/// <c>workers</c> batches are made ahead of the consumer.
/// </summary>
[Collection(TensorCountingCollection.Name)]
public sealed class ViewPairLoaderTests
{
    static RgbImage Image(int i)
    {
        var img = new RgbImage(24, 24, 3);
        for (int k = 0; k < img.Pixels.Length; k++) img.Pixels[k] = (byte)(7 * i + k);
        return img;
    }

    static ViewPairLoader Loader(int n, int workers, Func<int, RgbImage> decode, int batchSize = 4) =>
        new(Enumerable.Range(0, n).Select(i => $"img{i:D3}").ToList(), decode, new TwoViewTransform(ViewAugmentationOptions.SimClr(16, 16)),
            Normalization.ImageNet, new LoaderOptions { BatchSize = batchSize, Workers = workers, Shuffle = false, Seed = 2 });

    static long LiveTensors()
    {
        GC.Collect(); GC.WaitForPendingFinalizers(); GC.Collect();
        return torch.Tensor.TotalCount;
    }

    [Fact]
    public void A_decoding_error_reaches_the_consumer_as_itself_after_the_batches_before_it()
    {
        foreach (int workers in new[] { 0, 1, 3 })
        {
            RgbImage Broken(int i) => i == 13 ? throw new SharpSegException($"img{i:D3}.png: image file is truncated or damaged; re-export it.") : Image(i);
            long before = LiveTensors();
            int seen = 0;
            var ex = Assert.Throws<SharpSegException>(() => { foreach (var b in Loader(30, workers, Broken).Epoch(0)) using (b) seen += b.Count; });
            Assert.Equal("img013.png: image file is truncated or damaged; re-export it.", ex.Message);
            Assert.Equal(12, seen);
            Assert.Equal(before, torch.Tensor.TotalCount); // the batches made after the broken one were freed
        }
    }

    [Fact]
    public void Stopping_early_stops_the_workers_frees_the_batches_made_ahead_and_bounds_the_prefetch()
    {
        int decoded = 0;
        RgbImage Slow(int i) { Interlocked.Increment(ref decoded); Thread.Sleep(2); return Image(i); }
        var loader = Loader(400, 2, Slow);
        long before = LiveTensors();
        foreach (var b in loader.Epoch(0))
        {
            b.Dispose();
            if (b.Index == 1) { Thread.Sleep(200); break; } // time for the workers to fill their window
        }
        int after = Volatile.Read(ref decoded);
        Thread.Sleep(100);
        Assert.Equal(after, Volatile.Read(ref decoded)); // nothing runs after the enumerator is disposed
        // Two batches taken and at most two (the workers) made ahead: 4 batches of 4 images.
        Assert.True(after <= 16, $"{after} images decoded for 2 batches: the prefetch is not bounded by the workers");
        Assert.Equal(before, torch.Tensor.TotalCount);

        using var cts = new CancellationTokenSource();
        Assert.ThrowsAny<OperationCanceledException>(() =>
        {
            foreach (var b in loader.Epoch(1, cancellationToken: cts.Token)) { b.Dispose(); cts.Cancel(); }
        });
        Assert.Equal(before, torch.Tensor.TotalCount);
    }
}
