using System.Diagnostics;
using SharpSeg.Data;
using SharpSeg.Data.Augmentation;
using SharpSeg.Evaluation;
using SharpSeg.Imaging;
using SharpSeg.Inference;
using SharpSeg.Models;
using TorchSharp;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace SharpSeg.Tests.Inference;

[Collection(SequentialCollection.Name)]
public sealed class SlidingWindowPredictorTests(ITestOutputHelper output)
{
    static RgbImage RandomImage(int w, int h, int channels = 3, int seed = 1)
    {
        var img = new RgbImage(w, h, channels);
        new Random(seed).NextBytes(img.Pixels);
        return img;
    }

    /// <summary>A smooth random image (blocky noise, bilinearly upsampled) so tiny models give spatially coherent masks.</summary>
    static RgbImage SmoothImage(int w, int h, int seed = 1)
    {
        var rnd = new Random(seed);
        var img = new RgbImage(w, h, 3);
        int cell = 16, gw = w / cell + 2, gh = h / cell + 2;
        var grid = new double[gh, gw, 3];
        for (int y = 0; y < gh; y++) for (int x = 0; x < gw; x++) for (int c = 0; c < 3; c++) grid[y, x, c] = rnd.Next(256);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                double gy = (double)y / cell, gx = (double)x / cell; int iy = (int)gy, ix = (int)gx; double fy = gy - iy, fx = gx - ix;
                for (int c = 0; c < 3; c++)
                {
                    double v = grid[iy, ix, c] * (1 - fy) * (1 - fx) + grid[iy, ix + 1, c] * (1 - fy) * fx + grid[iy + 1, ix, c] * fy * (1 - fx) + grid[iy + 1, ix + 1, c] * fy * fx;
                    img.Pixels[(y * w + x) * 3 + c] = (byte)Math.Clamp(Math.Round(v), 0, 255);
                }
            }
        return img;
    }

    static double Agreement(LabelMask a, LabelMask b) => a.Labels.Zip(b.Labels).Count(p => p.First == p.Second) / (double)a.Labels.Length;

    [Theory]
    [InlineData(1.0)]
    [InlineData(0.5)]
    public void TileCoveringTheImageEqualsWholeImageInference(double inferenceScale)
    {
        torch.manual_seed(3);
        using var model = ModelZoo.Create(new ModelConfig { NumClasses = 4, Depth = 2, BaseWidth = 4, BatchNorm = false });
        model.eval();
        var image = RandomImage(150, 100);
        var whole = WholeImagePredictor.PredictMask(model, image, Normalization.ImageNet, CPU, inferenceScale);
        var engine = new SlidingWindowPredictor(model, 4, Normalization.ImageNet, CPU, inferenceScale);
        var tiled = engine.Predict(image, new InferenceOptions(TileSize: 256, Overlap: 0.5));
        Assert.Equal(1, tiled.Tiles);
        Assert.Equal(whole.Labels, tiled.Mask.Labels);
    }

    [Fact]
    public void TileOriginsEndAtTheBorder()
    {
        Assert.Equal(new[] { 0, 64, 128, 172 }, SlidingWindowPredictor.TileOrigins(300, 128, 64));
        Assert.Equal(new[] { 0 }, SlidingWindowPredictor.TileOrigins(100, 128, 64));
        Assert.Equal(new[] { 0, 28 }, SlidingWindowPredictor.TileOrigins(156, 128, 0));
    }

    [Fact]
    public void PointwiseModelTiledEqualsWholeImage()
    {
        torch.manual_seed(5);
        using var conv = nn.Conv2d(3, 5, 1);
        var image = RandomImage(300, 200);
        var engine = new SlidingWindowPredictor(conv, 5, Normalization.ImageNet);
        var whole = engine.Predict(image, InferenceOptions.Default);
        var tiled = engine.Predict(image, new InferenceOptions(TileSize: 128, Overlap: 0.5));
        Assert.Equal(12, tiled.Tiles); // x: 0,64,128,172; y: 0,64,72 → 4 × 3
        Assert.True(Agreement(whole.Mask, tiled.Mask) >= 0.99);
    }

    [Fact]
    public void SmallUNetTiledAgreesWithWholeImageOnNinetyNinePercent()
    {
        // A U-Net sees 2 levels of context; with overlap 0.5 and Gaussian weights, tile-border effects are out-voted.
        torch.manual_seed(7);
        using var model = ModelZoo.Create(new ModelConfig { NumClasses = 3, Depth = 2, BaseWidth = 4, BatchNorm = false });
        model.eval();
        var image = SmoothImage(300, 200);
        var engine = new SlidingWindowPredictor(model, 3, Normalization.ImageNet);
        var whole = WholeImagePredictor.PredictMask(model, image, Normalization.ImageNet, CPU);
        var tiled = engine.Predict(image, new InferenceOptions(TileSize: 128, Overlap: 0.5));
        double agreement = Agreement(whole, tiled.Mask);
        output.WriteLine($"agreement {agreement:P3}");
        Assert.True(agreement >= 0.99, $"agreement {agreement:P3}");
    }

    [Theory]
    [InlineData(BlendWindow.Gaussian)]
    [InlineData(BlendWindow.Linear)]
    [InlineData(BlendWindow.Uniform)]
    public void ConstantOutputIsStitchedExactlyEverywhere(BlendWindow blend)
    {
        float[] bias = { 0.1f, 0.5f, -0.3f, 2.0f };
        using var conv = nn.Conv2d(3, 4, 1);
        using (no_grad()) { conv.weight!.zero_(); conv.bias!.copy_(tensor(bias)); }
        double[] expected = Softmax(bias);
        var engine = new SlidingWindowPredictor(conv, 4, Normalization.ImageNet);
        var result = engine.Predict(RandomImage(300, 200), new InferenceOptions(TileSize: 64, Overlap: 0.3, Blend: blend, KeepProbabilities: true));
        Assert.True(result.Tiles > 20);
        var p = result.Probabilities!;
        int plane = 300 * 200;
        for (int c = 0; c < 4; c++)
            for (int i = 0; i < plane; i++)
                Assert.True(Math.Abs(p[c * plane + i] - expected[c]) < 1e-5, $"class {c} pixel ({i % 300}, {i / 300}): {p[c * plane + i]} vs {expected[c]}");
        Assert.All(result.Mask.Labels, l => Assert.Equal(3, l));
    }

    static double[] Softmax(IReadOnlyList<float> logits)
    {
        double max = logits.Max();
        var e = logits.Select(v => Math.Exp(v - max)).ToArray();
        double s = e.Sum();
        return e.Select(v => v / s).ToArray();
    }

    [Fact]
    public void FlipTtaOnAFlipEquivariantModelGivesTheSameMask()
    {
        torch.manual_seed(11);
        using var conv = nn.Conv2d(3, 4, 3, padding: 1);
        using (no_grad()) conv.weight!.copy_((conv.weight! + conv.weight!.flip(3)) / 2); // mirror-symmetric kernels
        var image = RandomImage(120, 90);
        var engine = new SlidingWindowPredictor(conv, 4, Normalization.ImageNet);
        var plain = engine.Predict(image, new InferenceOptions(KeepProbabilities: true));
        var tta = engine.Predict(image, new InferenceOptions(Tta: new TestTimeAugmentation(true, new[] { 1.0 }), KeepProbabilities: true));
        Assert.Equal(plain.Mask.Labels, tta.Mask.Labels);
        Assert.All(plain.Probabilities!.Zip(tta.Probabilities!), p => Assert.True(Math.Abs(p.First - p.Second) < 1e-5));
    }

    [Fact]
    public void FlipTtaAveragesProbabilitiesOfBothRuns()
    {
        // Logit 0 at x is the input at x − 1 (a shift), logit 1 is 0. Unflipped: p0(x) = σ(v[x−1]); the flipped run,
        // flipped back, sees v[x+1]. TTA must give their mean, with zero padding (σ(0) = ½) past the borders.
        using var conv = nn.Conv2d(1, 2, (1, 3), padding: (0, 1), bias: false);
        using (no_grad()) conv.weight!.copy_(tensor(new float[] { 1, 0, 0, 0, 0, 0 }).reshape(2, 1, 1, 3));
        var image = new RgbImage(5, 1, 1, new byte[] { 0, 51, 255, 102, 204 });
        var engine = new SlidingWindowPredictor(conv, 2, Normalization.UnitRange);
        var result = engine.Predict(image, new InferenceOptions(Tta: new TestTimeAugmentation(true, new[] { 1.0 }), KeepProbabilities: true));
        double[] v = image.Pixels.Select(b => b / 255.0).ToArray();
        static double Sigmoid(double z) => 1 / (1 + Math.Exp(-z));
        for (int x = 0; x < 5; x++)
        {
            double left = x > 0 ? v[x - 1] : 0, right = x < 4 ? v[x + 1] : 0;
            double expected = (Sigmoid(left) + Sigmoid(right)) / 2;
            Assert.Equal(expected, result.Probabilities![x], 5);
            Assert.Equal(1 - expected, result.Probabilities![5 + x], 5);
        }
    }

    [Fact]
    public void ScaleTtaOnAConstantImageChangesNothing()
    {
        torch.manual_seed(13);
        using var conv = nn.Conv2d(3, 3, 1);
        var image = new RgbImage(64, 48, 3);
        Array.Fill(image.Pixels, (byte)90);
        var engine = new SlidingWindowPredictor(conv, 3, Normalization.ImageNet);
        var plain = engine.Predict(image, new InferenceOptions(KeepProbabilities: true));
        var tta = engine.Predict(image, new InferenceOptions(TileSize: 32, Tta: new TestTimeAugmentation(true, new[] { 0.5, 1, 1.5 }), KeepProbabilities: true));
        Assert.All(plain.Probabilities!.Zip(tta.Probabilities!), p => Assert.True(Math.Abs(p.First - p.Second) < 1e-5));
    }

    [Fact]
    public void BandTilingOfA4000ImageKeepsOnlyOneTileRowOfAccumulator()
    {
        const int size = 4000, classes = 11, tile = 512;
        torch.manual_seed(17);
        using var conv = nn.Conv2d(3, classes, 1);
        var image = new RgbImage(size, size, 3);
        new Random(2).NextBytes(image.Pixels);
        var options = new InferenceOptions(TileSize: tile, Overlap: 0.25);
        var engine = new SlidingWindowPredictor(conv, classes, Normalization.ImageNet);
        GC.Collect();
        var process = Process.GetCurrentProcess();
        long before = process.PeakWorkingSet64;
        var sw = Stopwatch.StartNew();
        var result = engine.Predict(image, options);
        process.Refresh();
        long growth = process.PeakWorkingSet64 - before;
        long band = (long)(classes + 1) * tile * size * 4, full = (long)(classes + 1) * size * size * 4;
        output.WriteLine($"{result.Tiles} tiles in {sw.Elapsed.TotalSeconds:F1} s; accumulator {result.AccumulatorBytes / 1e6:F0} MB (full image would be {full / 1e6:F0} MB); peak working set grew {growth / 1e6:F0} MB");
        Assert.Equal(band, result.AccumulatorBytes);
        Assert.Equal(band, SlidingWindowPredictor.AccumulatorBytes(size, size, classes, options));
        Assert.Equal(121, result.Tiles);
        // Stated bound: the band (98 MB) + the 16 MB mask + one tile's tensors stay far below the 768 MB a full accumulator needs.
        Assert.True(growth < 500_000_000, $"peak working set grew {growth / 1e6:F0} MB");
        // Spot check: the mask is the pointwise arg-max of the 1×1 convolution.
        var probe = new RgbImage(size, 1, 3, image.Pixels.AsSpan(1234 * size * 3, size * 3).ToArray());
        var row = engine.Predict(probe, InferenceOptions.Default).Mask.Labels;
        double same = row.Zip(result.Mask.Labels.AsSpan(1234 * size, size).ToArray()).Count(p => p.First == p.Second) / (double)size;
        Assert.True(same >= 0.999, $"row 1234 agrees on {same:P2}");
    }

    /// <summary>Without a tile size, an image the network would see at more than 2048² pixels is inferred in tiles of
    /// 1024 network pixels (memory bounded whatever the photo); smaller ones, and any with --tile 0, stay whole.</summary>
    [Fact]
    public void Images_past_the_auto_tile_size_are_tiled_unless_told_whole()
    {
        var auto = InferenceOptions.Default;
        Assert.True(auto.AutoTile);
        Assert.Null(auto.For(2048, 2048, 1.0).TileSize);           // exactly the limit: whole
        Assert.Equal(1024, auto.For(3000, 2000, 1.0).TileSize);
        Assert.Null(auto.For(3000, 2000, 0.5).TileSize);           // 1.5 MP at the model's scale
        Assert.Equal(2048, auto.For(6000, 4000, 0.5).TileSize);    // 1024 network pixels
        Assert.Equal(auto.For(6000, 4000, 1.0), auto.For(6000, 4000, 1.0).For(6000, 4000, 1.0));
        Assert.Equal(512, new InferenceOptions(TileSize: 512).For(6000, 4000, 1.0).TileSize);
        var whole = InferenceOptions.FromFlags(0, 0.25, null, false, null);
        Assert.False(whole.AutoTile);
        Assert.Null(whole.For(6000, 4000, 1.0).TileSize);
        Assert.Contains("or 0 for the whole image", Assert.Throws<SharpSegException>(() => InferenceOptions.FromFlags(8, 0.25, null, false, null)).Message);

        torch.manual_seed(3);
        using var conv = nn.Conv2d(3, 4, 1);
        var engine = new SlidingWindowPredictor(conv, 4, Normalization.ImageNet);
        var image = RandomImage(2100, 2100);
        var tiled = engine.Predict(image, InferenceOptions.Default);
        Assert.Equal(9, tiled.Tiles);
        var one = engine.Predict(image, whole);
        Assert.Equal(1, one.Tiles);
        Assert.Equal(one.Mask.Labels, tiled.Mask.Labels);   // a pointwise model: tiling changes nothing
    }
}
