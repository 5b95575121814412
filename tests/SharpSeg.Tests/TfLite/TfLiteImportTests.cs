using SharpSeg.Imaging;
using SharpSeg.Inference;
using SharpSeg.Portrait;
using SharpSeg.TfLite;
using SharpSeg.Onnx;
using TorchSharp;
using Xunit;
using static SharpSeg.Tests.TfLite.TfLiteFileWriter;
using static TorchSharp.torch;

namespace SharpSeg.Tests.TfLite;

/// <summary>
/// The TFLite importer on a tiny generated model (every operator the selfie models use, float16 weights, uneven SAME
/// padding, a non-square input) against a naive NHWC re-implementation of TensorFlow Lite's kernels; hostile files; and
/// the vendored MediaPipe models against MediaPipe's own output (fixture made by scripts/mediapipe-parity).
/// </summary>
public sealed class TfLiteModelsTests
{
    const int H = 8, W = 6;

    static float[] Values(int n, int seed, float scale = 0.5f)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)((rng.NextDouble() * 2 - 1) * scale)).ToArray();
    }

    sealed record Tiny(byte[] File, float[] W1, float[] B1, float[] Dw, float[] Bdw, float[] C8, float[] W2, float[] B2, float[] Wt, float[] Bt, float[] W3, float[] B3);

    /// <summary>input [1,8,6,3] → conv 3×3 s2 SAME (fp16 weights, RELU) → HARD_SWISH → depthwise 3×3 ×2 → MEAN → MUL →
    /// ADD const (RELU6) → conv 1×1 VALID → (transpose conv 2×2 s2) + (RESIZE_BILINEAR → conv 1×1) → LOGISTIC.</summary>
    static Tiny MakeTiny(int unsupportedOp = -1)
    {
        var t = new Tiny([], Values(4 * 3 * 3 * 3, 1), Values(4, 2), Values(3 * 3 * 8, 3), Values(8, 4), Values(8, 5), Values(2 * 8, 6), Values(2, 7),
            Values(2 * 2 * 2, 8, 1f), Values(1, 9), Values(2, 10, 1f), Values(1, 11));
        var f = new TfLiteFileWriter();
        int input = f.Tensor("input", [1, H, W, 3]);
        int w1h = f.Tensor("w1", [4, 3, 3, 3], t.W1, float16: true), w1 = f.Tensor("w1_dequantize", [4, 3, 3, 3]);
        f.Op(6, [w1h], [w1]);
        int b1 = f.Tensor("b1", [4], t.B1);
        int t1 = f.Tensor("conv1", [1, 4, 3, 4]);
        f.Op(3, [input, w1, b1], [t1], new Table((0, (byte)0), (1, 2), (2, 2), (3, (byte)1)), 1);
        int t2 = f.Tensor("hswish", [1, 4, 3, 4]);
        f.Op(117, [t1], [t2]);
        int dw = f.Tensor("dw", [1, 3, 3, 8], t.Dw), bdw = f.Tensor("bdw", [8], t.Bdw), t3 = f.Tensor("dwconv", [1, 4, 3, 8]);
        f.Op(4, [t2, dw, bdw], [t3], new Table((0, (byte)0), (1, 1), (2, 1), (3, 2)), 2);
        int axes = f.Tensor("axes", [2], int32Data: [1, 2]), t4 = f.Tensor("mean", [1, 1, 1, 8]);
        f.Op(40, [t3, axes], [t4], new Table((0, true)), 27);
        int t5 = f.Tensor("mul", [1, 4, 3, 8]);
        f.Op(18, [t3, t4], [t5]);
        int c8 = f.Tensor("c8", [8], t.C8), t6 = f.Tensor("add", [1, 4, 3, 8]);
        f.Op(0, [t5, c8], [t6], new Table((0, (byte)3)), 11);
        int w2 = f.Tensor("w2", [2, 1, 1, 8], t.W2), b2 = f.Tensor("b2", [2], t.B2), t7 = f.Tensor("conv2", [1, 4, 3, 2]);
        f.Op(3, [t6, w2, b2], [t7], new Table((0, (byte)1), (1, 1), (2, 1)), 1);
        int size = f.Tensor("size", [2], int32Data: [H, W]), t8 = f.Tensor("resize", [1, H, W, 2]);
        f.Op(23, [t7, size], [t8], new Table((3, true)), 15);
        int wt = f.Tensor("wt", [1, 2, 2, 2], t.Wt), bt = f.Tensor("bt", [1], t.Bt), t9 = f.Tensor("transpose", [1, H, W, 1]);
        var custom = new byte[12]; BitConverter.GetBytes(1).CopyTo(custom, 0); BitConverter.GetBytes(2).CopyTo(custom, 4); BitConverter.GetBytes(2).CopyTo(custom, 8);
        f.Op(32, [t7, wt, bt], [t9], custom: "Convolution2DTransposeBias", customOptions: custom);
        int w3 = f.Tensor("w3", [1, 1, 1, 2], t.W3), b3 = f.Tensor("b3", [1], t.B3), t10 = f.Tensor("conv3", [1, H, W, 1]);
        f.Op(3, [t8, w3, b3], [t10], new Table((0, (byte)1), (1, 1), (2, 1)), 1);
        int t11 = f.Tensor("sum", [1, H, W, 1]);
        f.Op(unsupportedOp >= 0 ? unsupportedOp : 0, [t9, t10], [t11]);
        int output = f.Tensor("output", [1, H, W, 1]);
        f.Op(14, [t11], [output]);
        return t with { File = f.Build(input, output) };
    }

    // ---------------------------------------------------------------- naive NHWC TFLite kernels (the reference)

    sealed record Map(int H, int W, int C, double[] V)
    {
        public double this[int y, int x, int c] { get => V[(y * W + x) * C + c]; set => V[(y * W + x) * C + c] = value; }
        public static Map Zeros(int h, int w, int c) => new(h, w, c, new double[h * w * c]);
    }

    static Map Conv(Map x, float[] w, float[] b, int outC, int k, int stride, bool same, Func<double, double> act)
    {
        int oh = same ? (x.H + stride - 1) / stride : (x.H - k) / stride + 1, ow = same ? (x.W + stride - 1) / stride : (x.W - k) / stride + 1;
        int padT = same ? Math.Max((oh - 1) * stride + k - x.H, 0) / 2 : 0, padL = same ? Math.Max((ow - 1) * stride + k - x.W, 0) / 2 : 0;
        var y = Map.Zeros(oh, ow, outC);
        for (int oy = 0; oy < oh; oy++) for (int ox = 0; ox < ow; ox++) for (int o = 0; o < outC; o++)
        {
            double s = b[o];
            for (int ky = 0; ky < k; ky++) for (int kx = 0; kx < k; kx++)
            {
                int iy = oy * stride + ky - padT, ix = ox * stride + kx - padL;
                if (iy < 0 || ix < 0 || iy >= x.H || ix >= x.W) continue;
                for (int i = 0; i < x.C; i++) s += x[iy, ix, i] * w[((o * k + ky) * k + kx) * x.C + i];
            }
            y[oy, ox, o] = act(s);
        }
        return y;
    }

    static Map Depthwise(Map x, float[] w, float[] b, int multiplier)
    {
        int outC = x.C * multiplier;
        var y = Map.Zeros(x.H, x.W, outC);
        for (int oy = 0; oy < x.H; oy++) for (int ox = 0; ox < x.W; ox++) for (int c = 0; c < x.C; c++) for (int m = 0; m < multiplier; m++)
        {
            int o = c * multiplier + m;
            double s = b[o];
            for (int ky = 0; ky < 3; ky++) for (int kx = 0; kx < 3; kx++)
            {
                int iy = oy + ky - 1, ix = ox + kx - 1;
                if (iy >= 0 && ix >= 0 && iy < x.H && ix < x.W) s += x[iy, ix, c] * w[(ky * 3 + kx) * outC + o];
            }
            y[oy, ox, o] = s;
        }
        return y;
    }

    static Map ResizeHalfPixel(Map x, int oh, int ow)
    {
        var y = Map.Zeros(oh, ow, x.C);
        double sy = (double)x.H / oh, sx = (double)x.W / ow;
        for (int oy = 0; oy < oh; oy++) for (int ox = 0; ox < ow; ox++) for (int c = 0; c < x.C; c++)
        {
            double fy = (oy + 0.5) * sy - 0.5, fx = (ox + 0.5) * sx - 0.5;
            int y0 = Math.Max((int)Math.Floor(fy), 0), y1 = Math.Min((int)Math.Ceiling(fy), x.H - 1), x0 = Math.Max((int)Math.Floor(fx), 0), x1 = Math.Min((int)Math.Ceiling(fx), x.W - 1);
            double ly = fy - Math.Floor(fy), lx = fx - Math.Floor(fx);
            double top = x[y0, x0, c] + (x[y0, x1, c] - x[y0, x0, c]) * lx, bottom = x[y1, x0, c] + (x[y1, x1, c] - x[y1, x0, c]) * lx;
            y[oy, ox, c] = top + (bottom - top) * ly;
        }
        return y;
    }

    static Map Reference(Tiny t, Map input)
    {
        var w1 = t.W1.Select(v => (float)(Half)v).ToArray(); // stored as float16
        var a = Conv(input, w1, t.B1, 4, 3, 2, same: true, v => Math.Max(v, 0));
        a = new Map(a.H, a.W, a.C, a.V.Select(v => v * Math.Min(Math.Max(v + 3, 0), 6) / 6).ToArray());
        var d = Depthwise(a, t.Dw, t.Bdw, 2);
        var mean = Enumerable.Range(0, 8).Select(c => Enumerable.Range(0, d.H * d.W).Average(p => d.V[p * 8 + c])).ToArray();
        var e = Map.Zeros(d.H, d.W, 8);
        for (int p = 0; p < d.H * d.W; p++) for (int c = 0; c < 8; c++) e.V[p * 8 + c] = Math.Clamp(d.V[p * 8 + c] * mean[c] + t.C8[c], 0, 6);
        var f = Conv(e, t.W2, t.B2, 2, 1, 1, same: false, v => v);
        var up = Conv(ResizeHalfPixel(f, H, W), t.W3, t.B3, 1, 1, 1, same: false, v => v);
        var result = Map.Zeros(H, W, 1);
        for (int iy = 0; iy < f.H; iy++) for (int ix = 0; ix < f.W; ix++) for (int ky = 0; ky < 2; ky++) for (int kx = 0; kx < 2; kx++)
        {
            double s = 0;
            for (int i = 0; i < 2; i++) s += f[iy, ix, i] * t.Wt[(ky * 2 + kx) * 2 + i];
            result[iy * 2 + ky, ix * 2 + kx, 0] += s;
        }
        for (int p = 0; p < H * W; p++) result.V[p] = 1 / (1 + Math.Exp(-(result.V[p] + t.Bt[0] + up.V[p])));
        return result;
    }

    static string WriteTemp(byte[] bytes, string name)
    {
        string path = Path.Combine(TestPaths.NewTempDir("tflite"), name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Fact]
    public void Tiny_model_matches_a_naive_implementation_of_the_TFLite_kernels()
    {
        var tiny = MakeTiny();
        using var net = new TfLiteNetwork(TfLiteModel.Read(tiny.File, "tiny.tflite"));
        Assert.Equal((H, W, 3, 2), (net.InputHeight, net.InputWidth, net.InChannels, net.NumClasses));
        Assert.Equal(TfLiteOutputKind.BinaryProbability, net.OutputKind);
        var pixels = Values(H * W * 3, 42, 1f).Select(v => (v + 1) / 2).ToArray();
        var expected = Reference(tiny, new Map(H, W, 3, pixels.Select(v => (double)v).ToArray()));
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var x = tensor(pixels).reshape(1, H, W, 3).permute(0, 3, 1, 2).contiguous();
        var p = net.Graph(x).reshape(-1).data<float>().ToArray();
        double worst = p.Select((v, i) => Math.Abs(v - expected.V[i])).Max();
        Assert.True(worst < 1e-5, $"largest difference {worst}");
        Assert.True(expected.V.Max() - expected.V.Min() > 0.05, "the reference output is flat; the test would not see a wrong kernel");
        // The full forward: logits whose softmax is [1 − p, p] at the input's own size.
        var logits = net.call(x);
        Assert.Equal(new long[] { 1, 2, H, W }, logits.shape);
        var fg = logits.softmax(1)[0, 1].reshape(-1).data<float>().ToArray();
        Assert.True(fg.Select((v, i) => Math.Abs(v - p[i])).Max() < 1e-5);
        // Another size is resized to the graph's and back.
        Assert.Equal(new long[] { 2, 2, 20, 14 }, net.call(rand(2, 3, 20, 14)).shape);
    }

    [Fact]
    public void Tiny_model_exports_to_ONNX_with_the_same_logits()
    {
        using var net = new TfLiteNetwork(TfLiteModel.Read(MakeTiny().File, "tiny.tflite"));
        string path = Path.Combine(TestPaths.NewTempDir("tflite-onnx"), "tiny.onnx");
        OnnxExporter.ExportTfLite(net, path, ["background", "thing"]);
        using var onnx = Predictor.FromOnnx(path);
        Assert.Equal(["background", "thing"], onnx.ClassNames);
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        foreach (var (h, w) in new[] { (H, W), (19, 13) })
        {
            var x = rand(1, 3, h, w);
            var expected = net.call(x);
            var actual = onnx.Backend.Logits(x);
            Assert.Equal(expected.shape, actual.shape);
            Assert.True((expected - actual).abs().max().item<float>() < 1e-4, $"{h}x{w}: largest difference {(expected - actual).abs().max().item<float>()}");
        }
    }

    [Fact]
    public void Unsupported_operator_damaged_and_foreign_files_are_one_line_errors()
    {
        var e = Assert.Throws<SharpSegException>(() => new TfLiteNetwork(TfLiteModel.Read(MakeTiny(unsupportedOp: 22).File, "reshape.tflite")));
        Assert.Contains("reshape.tflite", e.Message);
        Assert.Contains("RESHAPE", e.Message);
        Assert.Contains("not supported", e.Message);
        Assert.DoesNotContain('\n', e.Message);

        var good = MakeTiny().File;
        foreach (int cut in new[] { 12, good.Length / 3, good.Length / 2, good.Length - 40 })
        {
            var damaged = Record.Exception(() => new TfLiteNetwork(TfLiteModel.Read(good[..cut], "cut.tflite")));
            // a cut file either fails to parse (damaged) or, cut in the trailing data, loses its weights (refused); never a crash
            Assert.True(damaged is SharpSegException, $"cut at {cut}: {damaged}");
            Assert.Contains("cut.tflite", damaged!.Message);
        }
        var foreign = Assert.Throws<SharpSegException>(() => TfLiteModel.Read("PK\x03\x04 not a model at all"u8.ToArray(), "model.zip"));
        Assert.Contains("not a TensorFlow Lite model", foreign.Message);

        string bad = WriteTemp(MakeTiny(unsupportedOp: 22).File, "bad.tflite");
        var r = CliRunner.Run("predict", "--model", bad, "--input", Path.Combine(TestPaths.RepoRoot, "tests", "SharpSeg.Tests", "Fixtures", "mediapipe", "astronaut_192.png"), "--out", TestPaths.NewTempDir("tflite-cli"));
        r.AssertOneLineError("RESHAPE");
    }

    /// <summary>The vendored MediaPipe models against MediaPipe's own WebAssembly solution on the same picture (its
    /// confidence masks stored by scripts/mediapipe-parity/run.sh): per pixel within a few 8-bit steps, and the
    /// person mask (p ≥ 0.5) the same on at least 99.9 % of pixels.</summary>
    [Theory]
    [InlineData(SelfieModel.General, "general")]
    [InlineData(SelfieModel.Landscape, "landscape")]
    public void Selfie_models_agree_with_MediaPipe(SelfieModel model, string fixture)
    {
        string dir = Path.Combine(TestPaths.RepoRoot, "tests", "SharpSeg.Tests", "Fixtures", "mediapipe");
        var image = ImageFile.Load(Path.Combine(dir, "astronaut_192.png"), 3);
        var reference = ImageFile.Load(Path.Combine(dir, $"astronaut_192_mediapipe_{fixture}.png"), 1).Pixels;
        using var predictor = SelfieSegmentation.CreatePredictor(model);
        Assert.Equal(["background", "person"], predictor.ClassNames);
        var result = predictor.Infer(image, InferenceOptions.Default with { KeepProbabilities = true });
        int n = image.Width * image.Height;
        var person = result.Probabilities![n..];
        double meanDiff = person.Select((p, i) => Math.Abs(p * 255 - reference[i])).Average() / 255;
        double agreement = person.Select((p, i) => p >= 0.5 == reference[i] >= 128).Count(s => s) / (double)n;
        double share = reference.Count(v => v >= 128) / (double)n;
        Assert.True(share is > 0.3 and < 0.8, $"the fixture's person covers {share:P1}; expected the astronaut");
        Assert.True(meanDiff < 0.002, $"mean |p - MediaPipe| = {meanDiff:F5}");
        Assert.True(agreement > 0.999, $"mask agreement {agreement:P3}");
    }

    [Fact]
    public void Selfie_model_exports_to_ONNX_and_runs_in_ONNX_Runtime_like_TorchSharp()
    {
        using var net = SelfieSegmentation.Load(SelfieModel.Landscape);
        string path = Path.Combine(TestPaths.NewTempDir("selfie-onnx"), "selfie.onnx");
        OnnxExporter.ExportTfLite(net, path, SelfieSegmentation.ClassNames);
        using var onnx = Predictor.FromOnnx(path);
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var image = ImageFile.Load(Path.Combine(TestPaths.RepoRoot, "tests", "SharpSeg.Tests", "Fixtures", "mediapipe", "astronaut_192.png"), 3);
        var x = Preprocessing.Input(image, onnx.Normalization);
        var expected = net.call(x).softmax(1);
        var actual = onnx.Backend.Logits(x).softmax(1);
        float worst = (expected - actual).abs().max().item<float>();
        // float32 rounding through 40 layers in two runtimes: measured 2.2e-4 at most
        Assert.True(worst < 1e-3, $"largest probability difference {worst}");
        double agreement = expected.argmax(1).eq(actual.argmax(1)).to_type(ScalarType.Float64).mean().item<double>();
        Assert.True(agreement > 0.9999, $"masks agree on {agreement:P3} of pixels");
    }
}
