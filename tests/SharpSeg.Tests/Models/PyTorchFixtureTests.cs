using SharpSeg.IO;
using SharpSeg.Models;
using SharpSeg.Models.Decoders;
using SharpSeg.Models.Encoders;
using SharpSeg.Pretrained;
using TorchSharp;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;
using SharpSeg.Models.Encoders.ResNet;

namespace SharpSeg.Tests.Models;

/// <summary>
/// Weights written by PyTorch load into SharpSeg and compute what PyTorch computed. Fixtures in
/// <c>Fixtures/pytorch/</c>, written by <c>/usr/bin/python3 tests/fixtures-scripts/make_pytorch_fixtures.py
/// tests/SharpSeg.Tests/Fixtures/pytorch</c> (PyTorch 1.13.1): a torchvision-layout ResNet-18 (width 4, fc 10 classes)
/// as .pth and .safetensors, an SMP-layout U-Net on it as .pth, and their eval-mode outputs on a fixed input.
/// </summary>
public sealed class PyTorchFixtureTests(ITestOutputHelper output)
{
    private static string Fixture(string name) => Path.Combine(TestPaths.RepoRoot, "tests", "SharpSeg.Tests", "Fixtures", "pytorch", name);

    [Theory]
    [InlineData("tv_resnet18_w4.pth")]
    [InlineData("tv_resnet18_w4.safetensors")]
    public void TorchvisionResNetFeaturesMatchPyTorch(string file)
    {
        using var encoder = new ResNetEncoder("resnet18", width: 4);
        using var weights = StateDict.Load(Fixture(file));
        var report = PretrainedWeights.LoadEncoder(encoder, weights);
        Assert.Equal(StateDictLayout.Torchvision, report.Layout);
        Assert.True(report.Ignored >= 2, "fc.weight and fc.bias are not the encoder's"); // fc.*
        Assert.Equal(file.EndsWith(".pth"), report.Notes.Any(n => n.Contains("pickle")));
        encoder.eval();
        var (expected, _) = Safetensors.Read(Fixture("expected.safetensors"));
        var e = expected.ToDictionary(t => t.Key, t => t.Value);
        using var noGrad = no_grad();
        var features = encoder.forward(e["input"]);
        for (int i = 1; i <= 4; i++)
        {
            double diff = features[i + 1].sub(e[$"tv.layer{i}"]).abs().max().item<float>();
            output.WriteLine($"{file} layer{i}: max abs diff {diff:E2}");
            Assert.True(diff < 1e-4, $"layer{i} differs from PyTorch by {diff}");
        }
        foreach (var t in expected) t.Value.Dispose();
    }

    [Fact]
    public void SmpUNetLogitsMatchPyTorch()
    {
        using var model = SmpUNet();
        var report = PretrainedWeights.LoadModel(model, Fixture("smp_unet_resnet18_w4.pth"));
        Assert.Equal(StateDictLayout.Smp, report.Layout);
        Assert.Contains(report.Notes, n => n.Contains("start at zero"));
        model.eval();
        var (expected, _) = Safetensors.Read(Fixture("expected.safetensors"));
        var e = expected.ToDictionary(t => t.Key, t => t.Value);
        using var noGrad = no_grad();
        using var logits = model.forward(e["input"]);
        double diff = logits.sub(e["smp.logits"]).abs().max().item<float>();
        output.WriteLine($"SMP U-Net logits: max abs diff {diff:E2} (logits up to {e["smp.logits"].abs().max().item<float>():F3})");
        Assert.True(diff < 1e-4, $"U-Net logits differ from SMP's by {diff}");
        foreach (var t in expected) t.Value.Dispose();
    }

    [Fact]
    public void MismatchIsOneTableOfMissingUnexpectedAndShapeKeys()
    {
        using var weights = StateDict.Load(Fixture("tv_resnet18_w4.safetensors"));
        using var wrongDepth = new ResNetEncoder("resnet18_imagenet", width: 4); // one block more in layer4
        using var before = wrongDepth.state_dict()["conv1.weight"].clone();
        var e = Assert.Throws<SharpSegException>(() => PretrainedWeights.LoadEncoder(wrongDepth, weights));
        Assert.Contains("missing", e.Message);
        Assert.DoesNotContain("\n", e.Message);
        Assert.NotNull(e.Details);
        Assert.Contains("encoder.layer4.2.conv1.weight", e.Details);
        Assert.Contains("missing in file", e.Details);
        Assert.True(wrongDepth.state_dict()["conv1.weight"].allclose(before, 0, 0), "a refused load must not copy anything");
        output.WriteLine(e.Details);

        using var wrongWidth = new ResNetEncoder("resnet18", width: 8);
        var w = Assert.Throws<SharpSegException>(() => PretrainedWeights.LoadEncoder(wrongWidth, weights));
        Assert.Contains("shape [4, 3, 7, 7] in file, [8, 3, 7, 7] in model", w.Details);
    }

    [Fact]
    public void GreyModelsSumTheStemWeights()
    {
        using var weights = StateDict.Load(Fixture("tv_resnet18_w4.safetensors"));
        using var grey = new ResNetEncoder("resnet18", inChannels: 1, width: 4);
        var report = PretrainedWeights.LoadEncoder(grey, weights);
        Assert.Contains(report.Notes, n => n.Contains("summed"));
        using var expected = weights["conv1.weight"].sum(1, keepdim: true);
        Assert.True(grey.state_dict()["conv1.weight"].allclose(expected));
    }

    [Fact]
    public void UnknownFormatIsOneClearLine()
    {
        string dir = TestPaths.NewTempDir("weights");
        string path = Path.Combine(dir, "w.h5");
        File.WriteAllText(path, "x");
        var e = Assert.Throws<SharpSegException>(() => StateDict.Load(path));
        Assert.Contains("safetensors", e.Message);
        string broken = Path.Combine(dir, "broken.safetensors");
        File.WriteAllBytes(broken, [200, 0, 0, 0, 0, 0, 0, 0, (byte)'{']);
        Assert.Throws<SharpSegException>(() => StateDict.Load(broken));
    }

    [Fact]
    public void RecipeConfigBuildsSmpShapedUNets()
    {
        using var model = ModelZoo.Create(new ModelConfig { Architecture = "unet", Encoder = "resnet18", NumClasses = 5, Upsampling = "nearest", HeadKernel = 3 });
        var keys = model.state_dict();
        Assert.Equal(new long[] { 5, 16, 3, 3 }, keys["head.weight"].shape);
        Assert.All(keys.Keys, k => Assert.NotNull(StateDictKeyMap.FileKey(k, StateDictLayout.Smp, "unet")));
        Assert.Equal("decoder.blocks.4.conv2.1.running_var", StateDictKeyMap.FileKey("decoder.blocks.4.conv.layers.bn1.running_var", StateDictLayout.Smp, "unet"));
        Assert.Throws<SharpSegException>(() => ModelZoo.Create(new ModelConfig { HeadKernel = 5 }));
    }

    /// <summary>SMP's Unet(resnet18 at width 4, decoder_channels (16, 8, 8, 8, 4), 3 classes) in SharpSeg terms:
    /// nearest upsampling, 3×3 head, decoder widths full resolution first.</summary>
    internal static SegmentationModel SmpUNet()
    {
        var encoder = new ResNetEncoder("resnet18", width: 4);
        var decoder = new UNetDecoder(encoder.OutChannels, encoder.Strides, [4, 8, 8, 8, 16, 32], UpsamplingMode.Nearest, batchNorm: true);
        var config = new ModelConfig { Architecture = "unet", Encoder = "resnet18", NumClasses = 3, Upsampling = "nearest", HeadKernel = 3 };
        return new SegmentationModel(encoder, decoder, 3, InputPadding.Reflect, config, headKernel: 3);
    }
}
