using Microsoft.ML.OnnxRuntime;
using SharpSeg.Data;
using SharpSeg.Evaluation;
using SharpSeg.Imaging;
using SharpSeg.Inference;
using SharpSeg.Models;
using SharpSeg.Models.Decoders;
using SharpSeg.Models.Encoders;
using SharpSeg.Onnx;
using SharpSeg.Tests.Training;
using SharpSeg.Training;
using TorchSharp;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;
using SharpSeg.Models.Onnx;
using SharpSeg.Data.Dataset;

namespace SharpSeg.Tests.Onnx;

/// <summary>A trained tiny U-Net exported to ONNX: the CLI, ONNX Runtime inference, metadata and int8.</summary>
/// <remarks>Sequential: the shared training run draws its weights from libtorch's one global generator, and the int8
/// agreement check depends on them.</remarks>
[Collection(SequentialCollection.Name)]
public sealed class OnnxCliTests(ITestOutputHelper output)
{
    /// <summary>One training run shared by the tests of this class (40 steps on the generated scenes: a model with real
    /// BatchNorm statistics and confident, non-trivial masks).</summary>
    static readonly Lazy<string> Trained = TestPaths.SharedLazy(() =>
    {
        string run = TestPaths.NewTempDir("onnx-run");
        return Trainer.Create(TrainingRecipe.Load(null, TrainingFixture.TinyRecipe(TrainingFixture.DatasetYaml, iterations: 40, valEvery: 40)), run).Run().BestCheckpoint;
    });

    static string Inputs()
    {
        string dir = TestPaths.NewTempDir("onnx-in");
        var spec = DatasetSpec.Load(TrainingFixture.DatasetYaml);
        var pairs = spec.ResolvePairs("val");
        File.Copy(pairs[0].ImagePath, Path.Combine(dir, "scene.png"));
        var odd = new RgbImage(97, 131, 3); new Random(1).NextBytes(odd.Pixels);
        ImageFile.SavePng(odd, Path.Combine(dir, "odd.png"));
        return dir;
    }

    static byte[] Mask(string dir, string stem) => ImageFile.Load(Path.Combine(dir, stem + "_mask.png"), 1).Pixels;

    static void Ok(CliRunner.Result r) => Assert.True(r.ExitCode == 0, r.ToString());

    [Fact]
    public void ExportedModelPredictsTheSameMasksAsTheCheckpointThroughTheCli()
    {
        string ckpt = Trained.Value, work = TestPaths.NewTempDir("onnx-cli"), inputs = Inputs();
        string onnx = Path.Combine(work, "model.onnx");
        var export = CliRunner.Run("export", "--checkpoint", ckpt, "--format", "onnx", "--out", onnx);
        Ok(export);
        Assert.Contains("opset 17", export.StdOut);
        string eager = Path.Combine(work, "eager"), ort = Path.Combine(work, "ort");
        Ok(CliRunner.Run("predict", "--checkpoint", ckpt, "--eager", "--input", inputs, "--out", eager));
        Ok(CliRunner.Run("predict", "--model", onnx, "--input", inputs, "--out", ort));
        foreach (var stem in new[] { "scene", "odd" })
            LabelAgreement.AssertNearlyEqual(Mask(eager, stem), Mask(ort, stem), what: stem);
    }

    [Fact]
    public void TilingTtaAndEvaluationRunTheSameOnEveryBackend()
    {
        string ckpt = Trained.Value, work = TestPaths.NewTempDir("onnx-backends");
        string onnx = Path.Combine(work, "model.onnx");
        OnnxExporter.ExportCheckpoint(ckpt, onnx, new OnnxExportOptions());
        using var eager = Predictor.FromCheckpoint(ckpt, fused: false);
        using var fused = Predictor.FromCheckpoint(ckpt);
        using var ort = Predictor.Load(onnx);
        Assert.IsType<OnnxRuntimeBackend>(ort.Backend);
        var image = new RgbImage(97, 131, 3); new Random(2).NextBytes(image.Pixels);
        var tiled = new InferenceOptions(TileSize: 48, Overlap: 0.5, Tta: new TestTimeAugmentation(true, [0.75, 1]));
        foreach (var options in new[] { InferenceOptions.Default, tiled })
        {
            var expected = eager.Predict(image, options).Labels;
            LabelAgreement.AssertNearlyEqual(expected, fused.Predict(image, options).Labels, what: "fused");
            LabelAgreement.AssertNearlyEqual(expected, ort.Predict(image, options).Labels, what: "onnx runtime");
        }
        // The same metrics within what a handful of rounding ties can move.
        var a = EvaluationRunner.Run(new EvaluationRequest(ckpt, TrainingFixture.DatasetYaml, "val")).Metrics;
        var b = EvaluationRunner.Run(new EvaluationRequest(onnx, TrainingFixture.DatasetYaml, "val")).Metrics;
        Assert.Equal(a.PerClass.Count, b.PerClass.Count);
        Assert.InRange(Math.Abs(a.MeanIoU!.Value - b.MeanIoU!.Value), 0, 1e-3);
        Assert.InRange(Math.Abs(a.PixelAccuracy!.Value - b.PixelAccuracy!.Value), 0, 1e-3);
    }

    [Fact]
    public void ArgmaxExportPredictsWholeImagesAndRefusesTiling()
    {
        string ckpt = Trained.Value, onnx = Path.Combine(TestPaths.NewTempDir("onnx-argmax"), "labels.onnx");
        OnnxExporter.ExportCheckpoint(ckpt, onnx, new OnnxExportOptions(ArgMax: true));
        using var eager = Predictor.FromCheckpoint(ckpt, fused: false);
        using var labels = Predictor.FromOnnx(onnx);
        Assert.True(((OnnxRuntimeBackend)labels.Backend).Metadata.OutputsLabels);
        var image = new RgbImage(97, 131, 3); new Random(3).NextBytes(image.Pixels);
        // Equal labels, except where the two best logits tie within float rounding: on random pixels a barely trained model
        // has such ties, and ONNX Runtime's arg-max and libtorch's (oneDNN on or off, as the CPU allows) may break them apart.
        var expected = eager.Predict(image).Labels;
        var actual = labels.Predict(image).Labels;
        using (torch.no_grad())
        {
            var logits = eager.Backend.Logits(Preprocessing.Input(image, eager.Normalization)).squeeze(0);
            var top2 = logits.topk(2, dim: 0).values;
            var margin = (top2[0] - top2[1]).data<float>().ToArray();
            for (int i = 0; i < expected.Length; i++)
                if (expected[i] != actual[i]) Assert.True(margin[i] < 1e-4, $"pixel {i}: labels {expected[i]} and {actual[i]} with a logit margin of {margin[i]}");
        }
        var ex = Assert.Throws<SharpSegException>(() => labels.Predict(image, new InferenceOptions(TileSize: 32)));
        Assert.Contains("--argmax", ex.Message);
        // Never tiled by itself (class indices cannot be stitched), and refused before any output exists.
        Assert.Null(InferenceOptions.Default.For(6000, 4000, 1.0, labels.Backend).TileSize);
        Assert.Contains("probability maps need logits", Assert.Throws<SharpSegException>(() => labels.CheckOptions(new InferenceOptions(KeepProbabilities: true))).Message);
        labels.CheckOptions(InferenceOptions.Default);
        string images = TestPaths.NewTempDir("onnx-argmax-in"), outDir = Path.Combine(TestPaths.NewTempDir("onnx-argmax-out"), "pred");
        ImageFile.SavePng(image, Path.Combine(images, "a.png"));
        var r = CliRunner.Run("predict", "--model", onnx, "--input", images, "--out", outDir, "--tta-flip");
        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.False(Directory.Exists(outDir));
    }

    [Fact]
    public void MetadataMakesTheFileSelfDescribing()
    {
        using var predictor = Predictor.FromCheckpoint(Trained.Value, fused: false);
        string path = Path.Combine(TestPaths.NewTempDir("onnx-meta"), "m.onnx");
        OnnxExporter.Export(predictor.Model, predictor.Info, path, new OnnxExportOptions());
        using var session = new InferenceSession(path);
        var props = session.ModelMetadata.CustomMetadataMap;
        foreach (var key in new[] { "classes", "mean", "std", "inference_scale", "model_config", "image_channels", "output", "quantization" })
            Assert.True(props.ContainsKey(key), key);
        Assert.Equal("logits", props["output"]);
        var meta = OnnxMetadata.Read(props, path);
        Assert.Equal(predictor.Info.Classes.Names, meta.Info.Classes.Names);
        Assert.Equal(predictor.Info.Classes.Colors, meta.Info.Classes.Colors);
        Assert.Equal(predictor.Info.Mean, meta.Info.Mean);
        Assert.Equal(predictor.Info.Std, meta.Info.Std);
        Assert.Equal(predictor.Info.InferenceScale, meta.Info.InferenceScale);
        Assert.Equal(predictor.Info.Model.ToJsonString(), meta.Info.Model.ToJsonString());
        // Dynamic batch, height and width.
        var input = session.InputMetadata["image"].Dimensions;
        Assert.Equal(new[] { -1, 3, -1, -1 }, input);
    }

    [Fact]
    public void Int8ModelRunsQuantisedConvolutionsAndAgreesWithFloat32()
    {
        using var predictor = Predictor.FromCheckpoint(Trained.Value, fused: false);
        string dir = TestPaths.NewTempDir("onnx-int8");
        string fp32 = Path.Combine(dir, "fp32.onnx"), int8 = Path.Combine(dir, "int8.onnx");
        OnnxExporter.Export(predictor.Model, predictor.Info, fp32, new OnnxExportOptions());
        var calibration = OnnxExporter.LoadCalibrationImages(TrainingFixture.DatasetYaml, "train", 16);
        var result = OnnxExporter.Export(predictor.Model, predictor.Info, int8, new OnnxExportOptions(CalibrationImages: calibration));
        Assert.Equal(16, result.CalibrationImages);
        Assert.True(result.QuantizedTensors > 0);

        // ONNX Runtime fuses the QDQ groups into integer convolutions.
        string optimized = Path.Combine(dir, "int8-optimized.onnx");
        using (var options = new SessionOptions { OptimizedModelFilePath = optimized })
        using (new InferenceSession(int8, options)) { }
        var ops = global::Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(optimized)).Graph.Node.Select(n => n.OpType).ToList();
        int integerConvs = ops.Count(o => o is "QLinearConv" or "ConvInteger");
        output.WriteLine($"optimised int8 graph: {integerConvs} integer convolutions of {ops.Count(o => o.Contains("Conv"))} convolutions");
        Assert.True(integerConvs >= 4, string.Join(", ", ops.Distinct()));

        using var a = Predictor.FromOnnx(fp32);
        using var b = Predictor.FromOnnx(int8);
        Assert.StartsWith("int8", b.Backend is OnnxRuntimeBackend o ? o.Metadata.Quantization : "");
        long same = 0, total = 0;
        foreach (var pair in DatasetSpec.Load(TrainingFixture.DatasetYaml).ResolvePairs("val"))
        {
            var image = a.LoadImage(pair.ImagePath);
            var ma = a.Predict(image).Labels;
            var mb = b.Predict(image).Labels;
            same += ma.Zip(mb).Count(p => p.First == p.Second);
            total += ma.Length;
        }
        double agreement = (double)same / total;
        output.WriteLine($"int8 vs fp32 arg-max agreement on the val split: {agreement:P2}");
        Assert.True(agreement >= 0.95, $"int8 agrees with fp32 on {agreement:P2} of pixels");
    }

    [Fact]
    public void AModuleWithoutAnEmitterIsAOneLineErrorNamingIt()
    {
        var config = new ModelConfig { NumClasses = 3, Depth = 2, BaseWidth = 4 };
        var encoder = new UNetEncoder(3, 2, 4);
        using var model = new SegmentationModel(encoder, new OpaqueDecoder(encoder.OutChannels), 3, config: config);
        string path = Path.Combine(TestPaths.NewTempDir("onnx-refused"), "model.onnx");
        var ex = Assert.Throws<SharpSegException>(() => OnnxExporter.Export(model, ExportFixture.Info(config), path, new OnnxExportOptions()));
        Assert.Contains("decoder.softplus", ex.Message);
        Assert.Contains("Softplus", ex.Message);
        Assert.Contains("has no ONNX emitter", ex.Message);
        Assert.DoesNotContain("\n", ex.Message);
        Assert.False(File.Exists(path)); // nothing half-written
    }

    /// <summary>A decoder whose forward uses a layer the exporter does not know.</summary>
    sealed class OpaqueDecoder : Decoder
    {
        private readonly nn.Module<Tensor, Tensor> softplus = nn.Softplus();

        public OpaqueDecoder(IReadOnlyList<int> channels) : base(nameof(OpaqueDecoder))
        {
            OutChannels = channels[0];
            RegisterComponents();
        }

        public override int OutChannels { get; }
        public override int OutputStride => 1;
        public override Tensor forward(Tensor[] features) => softplus.call(features[0]);
        public override OnnxValue ExportOnnx(OnnxGraphBuilder graph, OnnxValue[] features) => graph.Module(softplus, features[0]);
    }

    [Theory]
    [InlineData("--int8 needs --calibration-data", "export", "--checkpoint", "x.ckpt", "--out", "m.onnx", "--int8")]
    [InlineData("--format 'tflite'", "export", "--checkpoint", "x.ckpt", "--out", "m.onnx", "--format", "tflite")]
    [InlineData("--out m.txt: an ONNX model's file name ends in .onnx", "export", "--checkpoint", "x.ckpt", "--out", "m.txt")]
    [InlineData("not both", "predict", "--checkpoint", "x.ckpt", "--model", "m.onnx", "--input", "in", "--out", "o")]
    [InlineData("missing.onnx: ONNX model not found", "eval", "--model", "missing.onnx", "--data", "d.yaml")]
    public void BadArgumentsAreOneLineErrors(string expected, params string[] args)
    {
        var r = CliRunner.Run(args);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains(expected, r.StdErr);
        Assert.Single(r.StdErr.Trim().Split('\n'));
    }
}
