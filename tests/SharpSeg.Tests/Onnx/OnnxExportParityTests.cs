using SharpSeg.Data;
using SharpSeg.Data.Augmentation;
using SharpSeg.Imaging;
using SharpSeg.Inference;
using SharpSeg.Models;
using SharpSeg.Onnx;
using TorchSharp;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;
using SharpSeg.Models.Encoders;
using SharpSeg.Models.Encoders.MixTransformer;

namespace SharpSeg.Tests.Onnx;

public sealed class OnnxExportParityTests(ITestOutputHelper output)
{
    public static IEnumerable<object[]> Entries => ModelZoo.Registered.Select(e => new object[] { e.Name });

    /// <summary>One model per registered entry, three ways: eager TorchSharp (the reference), ONNX Runtime on the exported
    /// graph, and TorchSharp with BatchNorm folded and channels-last. Sizes not multiples of any stride, batch 2, and an
    /// image smaller than the padding (reflection falls back to replication).</summary>
    [Theory]
    [MemberData(nameof(Entries))]
    public void EagerFusedAndOnnxRuntimeLogitsAgree(string name) => CheckParity(name, ModelZoo.Registered.Single(e => e.Name == name).TinyConfig);

    /// <summary>Layers and options the registered tiny configs do not reach: transposed upsampling with conv biases
    /// and dropout, zero and edge padding, grey input, ResNet-50's bottleneck, output stride 8 with custom ASPP rates,
    /// MiT-B1 with stochastic depth (identity in eval mode).</summary>
    public static IEnumerable<object[]> Variants =>
    [
        ["unet transposed, no BatchNorm, zero padding, grey", new ModelConfig { InChannels = 1, NumClasses = 4, Depth = 3, BaseWidth = 4, Upsampling = "transposed", BatchNorm = false, Dropout = 0.1, Padding = "zeros" }],
        ["unet replicate padding", new ModelConfig { NumClasses = 2, Depth = 2, BaseWidth = 4, Padding = "replicate" }],
        ["deeplabv3plus/resnet50", new ModelConfig { Architecture = "deeplabv3plus", Encoder = "resnet50", NumClasses = 3 }],
        ["deeplabv3/resnet18 OS 8", new ModelConfig { Architecture = "deeplabv3", Encoder = "resnet18", NumClasses = 3, OutputStride = 8, AsppRates = [12, 24, 36] }],
        ["segformer/mit_b1, drop path 0.1", new ModelConfig { Architecture = "segformer", Encoder = "mit_b1", NumClasses = 3, DropPath = 0.1 }],
        ["fpn/resnet18 at decoder stride 2", new ModelConfig { Architecture = "fpn", Encoder = "resnet18", NumClasses = 3, DecoderStride = 2 }],
        ["fpn/resnet18 without layer4", new ModelConfig { Architecture = "fpn", Encoder = "resnet18", NumClasses = 3, EncoderDepth = 4, DecoderChannels = [32, 16] }],
    ];

    [Theory]
    [MemberData(nameof(Variants))]
    public void VariantsAgreeToo(string name, ModelConfig config) => CheckParity(name, config);

    /// <summary>int8 (QDQ) export of the attention and multi-branch models, whose emitters the convolutional U-Net of
    /// <c>OnnxCliTests</c> does not reach: calibration runs, ONNX Runtime fuses integer convolutions, and the int8
    /// logits stay close to eager TorchSharp on the calibration images.</summary>
    [Theory]
    [InlineData("segformer/mit_b0")]
    [InlineData("hrnet/hrnet_w18_small")]
    public void Int8ExportRunsAndStaysCloseToFloat32(string name)
    {
        var config = ModelZoo.Registered.Single(e => e.Name == name).TinyConfig;
        using var model = ExportFixture.SettledModel(config);
        var info = ExportFixture.Info(config);
        var random = new Random(11);
        var images = Enumerable.Range(0, 4).Select(_ => { var im = new RgbImage(80, 64, 3); random.NextBytes(im.Pixels); return im; }).ToList();
        string dir = TestPaths.NewTempDir("onnx-int8-models"), path = Path.Combine(dir, "int8.onnx");
        var result = OnnxExporter.Export(model, info, path, new OnnxExportOptions(CalibrationImages: images));
        Assert.True(result.QuantizedTensors > 0);

        string optimized = Path.Combine(dir, "int8-optimized.onnx");
        using (var options = new Microsoft.ML.OnnxRuntime.SessionOptions { OptimizedModelFilePath = optimized })
        using (new Microsoft.ML.OnnxRuntime.InferenceSession(path, options)) { }
        var ops = global::Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(optimized)).Graph.Node.Select(n => n.OpType).ToList();
        int integerConvs = ops.Count(o => o is "QLinearConv" or "ConvInteger"), convs = ops.Count(o => o.Contains("Conv"));
        output.WriteLine($"{name}: {integerConvs} integer convolutions of {convs} convolutions");
        // Every convolution but the float32 classifier (measured: 19 of 20 for SegFormer-B0, 145 of 146 for HRNet).
        Assert.True(integerConvs >= convs / 2, string.Join(", ", ops.Distinct()));

        var normalization = new Normalization(info.Mean.Select(v => (float)v).ToArray(), info.Std.Select(v => (float)v).ToArray());
        using var session = OnnxRuntimeBackend.Load(path);
        foreach (var image in images)
        {
            using var scope = NewDisposeScope();
            using var noGrad = torch.no_grad();
            var x = ImageTensors.ToTensor(image, normalization);
            var expected = model.forward(x);
            var actual = session.Logits(x);
            Assert.Equal(expected.shape, actual.shape);
            double relative = (expected - actual).abs().mean().item<float>() / expected.abs().mean().item<float>();
            var (_, agree) = ExportFixture.Compare(expected, actual);
            output.WriteLine($"{name} int8: mean |Δ| / mean |logit| {relative:P2}, argmax agreement {agree:P2}");
            // A broken quantisation is off by ~100 %. The tiny random models' weights come from libtorch's global generator,
            // which tests running in parallel also draw from, so they differ from run to run: measured 3.1 % to 10.2 %.
            Assert.True(relative <= 0.25, $"{name} int8: mean relative error {relative:P2}");
        }
    }

    void CheckParity(string name, ModelConfig config)
    {
        using var model = ExportFixture.SettledModel(config);
        var sizes = new[] { (1, 97, 131), (2, 64, 80), (1, 5, 7) };
        var inputs = sizes.Select(s => randn(s.Item1, config.InChannels, s.Item2, s.Item3)).ToList();
        List<Tensor> expected;
        using (torch.no_grad()) expected = inputs.Select(x => model.forward(x)).ToList();

        string path = Path.Combine(TestPaths.NewTempDir("onnx-parity"), "model.onnx");
        OnnxExporter.Export(model, ExportFixture.Info(config), path, new OnnxExportOptions());
        using (var session = OnnxRuntimeBackend.Load(path)) Check("ONNX Runtime", session);
        // Both fused layouts, whichever this CPU picks by default: folded NCHW, then (on the same folded model) channels-last.
        using (var folded = TorchInferenceBackend.Fused(model, channelsLast: false))
        {
            Assert.DoesNotContain(model.modules(), m => m is TorchSharp.Modules.BatchNorm2d);
            Check("folded", folded);
        }
        using (var fused = TorchInferenceBackend.Fused(model, channelsLast: true))
        {
            Assert.True(fused.ChannelsLast);
            Check("folded, channels-last", fused);
        }

        void Check(string what, IInferenceBackend backend)
        {
            Assert.Equal(config.NumClasses, backend.Classes);
            for (int i = 0; i < inputs.Count; i++)
            {
                using var scope = NewDisposeScope();
                using var noGrad = torch.no_grad();
                var actual = backend.Logits(inputs[i]);
                Assert.Equal(expected[i].shape, actual.shape);
                var (diff, agree) = ExportFixture.Compare(expected[i], actual);
                output.WriteLine($"{name} {what} {string.Join("x", inputs[i].shape)}: max |Δ| {diff:E2}, argmax agreement {agree:P4}");
                Assert.True(diff <= 1e-4, $"{name} {what} at {string.Join("x", inputs[i].shape)}: max abs diff {diff}");
                Assert.True(agree >= 0.9999, $"{name} {what} at {string.Join("x", inputs[i].shape)}: argmax agreement {agree}");
            }
        }
    }
}
