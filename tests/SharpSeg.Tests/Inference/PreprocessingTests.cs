using SharpSeg.Data;
using SharpSeg.Evaluation;
using SharpSeg.Imaging;
using SharpSeg.Inference;
using SharpSeg.Training;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using SharpSeg.Checkpoints;
using SharpSeg.Curation.Scoring;
using SharpSeg.Data.Dataset;
using SharpSeg.Data.Loading;

namespace SharpSeg.Tests.Inference;

/// <summary>
/// The one path from image to network input (<see cref="Preprocessing"/>): checked against a hand-written reference,
/// and every caller that runs a model on an image (evaluate, predict whole and tiled, bench, score, ONNX calibration)
/// is checked to feed its network exactly those bits, through a backend that records what it is given. A caller that
/// re-inlined its own copy with other rounding (round half away from zero, ceiling, resize before normalising, bytes
/// resized instead of floats) fails here.
/// </summary>
public sealed class PreprocessingTests
{
    // 30 × 0.75 = 22.5 and 42 × 0.75 = 31.5: round half to even gives 22 and 32 (half away from zero: 23 and 32).
    const int W = 42, H = 30;
    const double Scale = 0.75;
    static readonly double[] Mean = [0.31, 0.52, 0.68], Std = [0.21, 0.26, 0.3];

    static RgbImage RandomImage(int width, int height, int channels, int seed)
    {
        var image = new RgbImage(width, height, channels);
        new Random(seed).NextBytes(image.Pixels);
        return image;
    }

    /// <summary>Written out without <see cref="Preprocessing"/>, <see cref="ImageTensors"/> or lookup tables: each byte
    /// v of channel c becomes (v / 255 − mean[c]) / std[c] in float32, laid out CHW; then a bilinear resize
    /// (align_corners false) to the size worked out by hand.</summary>
    static float[] Reference(RgbImage image, double[] mean, double[] std, long outHeight, long outWidth, out long[] shape)
    {
        int c = image.Channels, n = image.Width * image.Height;
        var chw = new float[c * n];
        for (int k = 0; k < c; k++)
        {
            float m = (float)mean[k], s = (float)std[k];
            for (int i = 0; i < n; i++) chw[k * n + i] = (image.Pixels[i * c + k] / 255f - m) / s;
        }
        using var scope = NewDisposeScope();
        var t = torch.tensor(chw, new long[] { 1, c, image.Height, image.Width });
        if (outHeight != image.Height || outWidth != image.Width)
            t = nn.functional.interpolate(t, size: new[] { outHeight, outWidth }, mode: InterpolationMode.Bilinear, align_corners: false);
        t = t.contiguous();
        shape = t.shape;
        return t.data<float>().ToArray();
    }

    static float[] ReferenceAtScale(RgbImage image, out long[] shape) => Reference(image, Mean, Std,
        image.Height == H ? 22 : Math.Max(1, (long)Math.Round(image.Height * Scale)), image.Width == W ? 32 : Math.Max(1, (long)Math.Round(image.Width * Scale)), out shape);

    static void AssertBitIdentical(float[] expected, long[] expectedShape, float[] actual, long[] actualShape, string what)
    {
        Assert.True(expectedShape.SequenceEqual(actualShape), $"{what}: shape [{string.Join(", ", actualShape)}], expected [{string.Join(", ", expectedShape)}]");
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                Assert.Fail($"{what}: element {i} is {actual[i]:R}, expected {expected[i]:R}");
    }

    /// <summary>Records every input it is given (as floats and shape) and answers with constant logits.</summary>
    sealed class RecordingBackend(int classes) : IInferenceBackend
    {
        public List<(float[] Data, long[] Shape)> Inputs { get; } = [];
        public int Classes => classes;
        public Device Device => CPU;
        public string Description => "recording";

        public Tensor Logits(Tensor input)
        {
            var x = input.cpu().contiguous();
            Inputs.Add((x.data<float>().ToArray(), x.shape));
            return torch.zeros(input.shape[0], classes, input.shape[2], input.shape[3]);
        }

        public void Dispose() { }
    }

    static CheckpointInfo Info(double inferenceScale) => new()
    {
        Model = new System.Text.Json.Nodes.JsonObject(),
        Classes = new ClassTable([new ClassInfo("a", new Rgb(0, 0, 0), null), new ClassInfo("b", new Rgb(255, 255, 255), null), new ClassInfo("c", new Rgb(9, 9, 9), null)]),
        Mean = Mean, Std = Std, ImageChannels = 3, InferenceScale = inferenceScale,
    };

    [Fact]
    public void Scaled_size_rounds_half_to_even_and_keeps_at_least_one_pixel()
    {
        Assert.Equal((22L, 32L), Preprocessing.ScaledSize(H, W, Scale));
        Assert.Equal((1L, 1L), Preprocessing.ScaledSize(3, 2, 0.01));
        Assert.Equal((H, W), Preprocessing.ScaledSize(H, W, 1.0));
    }

    [Theory]
    [InlineData(3, 1.0)]
    [InlineData(3, Scale)]
    [InlineData(1, Scale)]
    public void Input_matches_a_hand_written_reference_bit_for_bit(int channels, double scale)
    {
        var image = RandomImage(W, H, channels, seed: 5);
        double[] mean = channels == 3 ? Mean : [0.44], std = channels == 3 ? Std : [0.23];
        var expected = Reference(image, mean, std, scale == 1.0 ? H : 22, scale == 1.0 ? W : 32, out var shape);
        using var scope = NewDisposeScope();
        var input = Preprocessing.Input(image, Normalization.FromStored(mean, std), scale).contiguous();
        AssertBitIdentical(expected, shape, input.data<float>().ToArray(), input.shape, $"Preprocessing.Input, {channels} channel(s), scale {scale}");
    }

    [Fact]
    public void Restoring_logits_and_labels_returns_the_image_size()
    {
        using var scope = NewDisposeScope();
        var logits = torch.randn(1, 3, 22, 32);
        Assert.Same(logits, Preprocessing.RestoreLogits(logits, 22, 32));
        Assert.Equal(new long[] { 1, 3, H, W }, Preprocessing.RestoreLogits(logits, H, W).shape);
        var labels = torch.randint(0, 3, new long[] { 1, 22, 32 }, dtype: ScalarType.Int64);
        var back = Preprocessing.RestoreLabels(labels, H, W);
        Assert.Equal(new long[] { 1, H, W }, back.shape);
        Assert.True(back.data<float>().ToArray().All(v => v is 0 or 1 or 2)); // nearest: no blended classes
    }

    [Fact]
    public void Every_caller_feeds_the_network_the_same_bits()
    {
        var image = RandomImage(W, H, 3, seed: 7);
        var expected = ReferenceAtScale(image, out var shape);

        // predict, whole image
        var backend = new RecordingBackend(3);
        using (var predictor = Predictor.FromBackend(backend, Info(Scale)))
        {
            predictor.Predict(image);
            AssertBitIdentical(expected, shape, backend.Inputs.Single().Data, backend.Inputs.Single().Shape, "Predictor.Predict");

            // predict through the sliding-window path with the tile covering the image (probabilities kept)
            backend.Inputs.Clear();
            predictor.Infer(image, new InferenceOptions(TileSize: 512, KeepProbabilities: true));
            AssertBitIdentical(expected, shape, backend.Inputs.Single().Data, backend.Inputs.Single().Shape, "SlidingWindowPredictor, whole image");

            // score (curation)
            backend.Inputs.Clear();
            ImageScorer.Score(predictor, image, "image.png");
            AssertBitIdentical(expected, shape, backend.Inputs.Single().Data, backend.Inputs.Single().Shape, "ImageScorer.Score");

            // bench: its image is new Random(0)'s bytes
            backend.Inputs.Clear();
            InferenceBenchmark.Run(predictor, W, H, runs: 1, warmup: 0);
            var benchImage = RandomImage(W, H, 3, seed: 0);
            var benchExpected = ReferenceAtScale(benchImage, out var benchShape);
            AssertBitIdentical(benchExpected, benchShape, backend.Inputs.Single().Data, backend.Inputs.Single().Shape, "InferenceBenchmark.Run");
        }

        // evaluate
        var evalBackend = new RecordingBackend(3);
        var evaluator = new Evaluator(evalBackend, Normalization.FromStored(Mean, Std), ["a", "b", "c"], Scale);
        var sample = new SegmentationSample("s", image, new LabelMask(W, H));
        evaluator.Evaluate([new SamplePair("s", "s.png", "s.png")], _ => sample);
        AssertBitIdentical(expected, shape, evalBackend.Inputs.Single().Data, evalBackend.Inputs.Single().Shape, "Evaluator.Evaluate");

        // ONNX export: the int8 calibration input
        var (data, calibrationShape) = SharpSeg.Onnx.OnnxExporter.CalibrationInput(image, Normalization.FromStored(Mean, Std), Scale);
        AssertBitIdentical(expected, shape, data, calibrationShape, "OnnxExporter calibration");
    }

    [Fact]
    public void Every_tile_is_fed_as_its_crop_would_be_on_its_own()
    {
        var image = RandomImage(W, H, 3, seed: 9);
        var backend = new RecordingBackend(3);
        using var predictor = Predictor.FromBackend(backend, Info(Scale));
        var options = new InferenceOptions(TileSize: 20, Overlap: 0.25);
        predictor.Predict(image, options);
        var xs = SlidingWindowPredictor.TileOrigins(W, 20, options.OverlapPixels(20));
        var ys = SlidingWindowPredictor.TileOrigins(H, 20, options.OverlapPixels(20));
        Assert.Equal(xs.Count * ys.Count, backend.Inputs.Count);
        int k = 0;
        foreach (int y0 in ys)
            foreach (int x0 in xs)
            {
                var crop = new RgbImage(20, 20, 3);
                for (int y = 0; y < 20; y++)
                    Array.Copy(image.Pixels, ((y0 + y) * W + x0) * 3, crop.Pixels, y * 20 * 3, 20 * 3);
                var expected = Reference(crop, Mean, Std, 15, 15, out var shape); // 20 × 0.75 = 15
                AssertBitIdentical(expected, shape, backend.Inputs[k].Data, backend.Inputs[k].Shape, $"tile ({x0}, {y0})");
                k++;
            }
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(11)]
    [InlineData(40)]
    public void ArgMaxClasses_equals_argmax_over_the_class_dimension_with_ties_and_NaN(int classes)
    {
        using var scope = NewDisposeScope();
        var g = new Generator((ulong)(7 + classes));
        // Scores rounded to a few levels, so ties are common; a few NaN.
        var scores = (rand(new long[] { 2, classes, 9, 13 }, generator: g) * 4).floor();
        var nan = rand(new long[] { 2, classes, 9, 13 }, generator: g).lt(0.03);
        scores = scores.masked_fill(nan, double.NaN);
        var expected = scores.argmax(1).to(ScalarType.Byte);
        var actual = Preprocessing.ArgMaxClasses(scores);
        Assert.Equal(new long[] { 2, 9, 13 }, actual.shape);
        Assert.Equal(ScalarType.Byte, actual.dtype);
        Assert.Equal(0L, expected.ne(actual).sum().item<long>());
    }

    [Theory]
    [InlineData(11, 24, 18, 48, 36)]   // the CamVid case: twice the network's size
    [InlineData(5, 17, 13, 50, 31)]    // a scale that is not whole, different per axis
    [InlineData(3, 20, 16, 13, 11)]    // smaller than the scores
    [InlineData(2, 9, 7, 9, 7)]        // the same size: only the arg-max
    public void ResizedArgMax_equals_the_argmax_of_the_bilinearly_resized_scores(int classes, int w, int h, int width, int height)
    {
        using var scope = NewDisposeScope();
        var g = new Generator((ulong)(classes * 1000 + width));
        // Smooth scores (a coarse random field resized up), so that there are regions and boundaries, as in a network's
        // output; the shortcut (four equal source classes) and the interpolation both run.
        var coarse = randn(new long[] { 1, classes, 3, 4 }, generator: g) * 3;
        var scores = nn.functional.interpolate(coarse, size: new long[] { h, w }, mode: InterpolationMode.Bilinear, align_corners: false)
            + randn(new long[] { 1, classes, h, w }, generator: g) * 0.3;
        var resized = Preprocessing.RestoreLogits(scores, height, width);
        var expected = Preprocessing.ArgMaxClasses(resized).squeeze(0).contiguous().data<byte>().ToArray();
        var labels = new byte[width * height];
        Preprocessing.ResizedArgMax(ImageTensors.FloatSpan(scores.contiguous()), classes, w, h, width, height, labels);
        // Where libtorch's two best classes are within rounding of each other, either is right.
        var top2 = resized.squeeze(0).topk(2, dim: 0).values;
        var margin = (top2[0] - top2[1]).contiguous().data<float>().ToArray();
        int differ = 0, boundary = 0;
        var small = Preprocessing.ArgMaxClasses(scores).squeeze(0).contiguous().data<byte>().ToArray();
        for (int i = 0; i < labels.Length; i++)
        {
            if (labels[i] != expected[i]) { differ++; Assert.True(margin[i] < 1e-5f, $"pixel {i}: {labels[i]} against libtorch's {expected[i]}, margin {margin[i]}"); }
        }
        for (int i = 0; i < small.Length; i++) if (i % w + 1 < w && small[i] != small[i + 1]) boundary++;
        Assert.True(boundary > 0, "the scores should have class boundaries");
        Assert.True(differ <= labels.Length / 1000, $"{differ} of {labels.Length} pixels differ");
    }

    [Fact]
    public void ResizedArgMax_takes_the_first_class_on_ties_and_NaN_as_the_highest()
    {
        // Two classes, 2x1 scores resized to 4x1: equal scores everywhere → class 0; a NaN at class 1 of the right pixel
        // → class 1 wherever that pixel contributes.
        var labels = new byte[4];
        Preprocessing.ResizedArgMax(new float[] { 1, 1, 1, 1 }, 2, 2, 1, 4, 1, labels);
        Assert.Equal(new byte[] { 0, 0, 0, 0 }, labels);
        Preprocessing.ResizedArgMax(new float[] { 1, 1, 0, float.NaN }, 2, 2, 1, 4, 1, labels);
        using var scope = NewDisposeScope();
        var t = tensor(new float[] { 1, 1, 0, float.NaN }).reshape(1, 2, 1, 2);
        var expected = Preprocessing.ArgMaxClasses(Preprocessing.RestoreLogits(t, 1, 4)).flatten().data<byte>().ToArray();
        Assert.Equal(expected, labels);
        Assert.Equal(1, labels[3]);
        Assert.Throws<ArgumentException>(() => Preprocessing.ResizedArgMax(new float[3], 2, 2, 1, 4, 1, labels));
    }
}
