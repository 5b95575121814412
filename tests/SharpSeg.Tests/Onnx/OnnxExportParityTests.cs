using SharpSeg.Models;
using SharpSeg.Onnx;
using TorchSharp;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace SharpSeg.Tests.Onnx;

public sealed class OnnxExportParityTests(ITestOutputHelper output)
{
    public static IEnumerable<object[]> Entries => ModelZoo.Registered.Select(e => new object[] { e.Name });

    [Theory]
    [MemberData(nameof(Entries))]
    public void OnnxRuntimeLogitsMatchTorchSharpAtAwkwardSizes(string name)
    {
        var config = ModelZoo.Registered.Single(e => e.Name == name).TinyConfig;
        using var model = ExportFixture.SettledModel(config);
        string path = Path.Combine(TestPaths.NewTempDir("onnx-parity"), "model.onnx");
        OnnxExporter.Export(model, ExportFixture.Info(config), path, new OnnxExportOptions());
        using var backend = OnnxRuntimeBackend.Load(path);
        Assert.Equal(config.NumClasses, backend.Classes);
        foreach (var (n, h, w) in new[] { (1, 97, 131), (2, 64, 80), (1, 5, 7) })
        {
            using var scope = NewDisposeScope();
            using var noGrad = torch.no_grad();
            var x = randn(n, config.InChannels, h, w);
            var expected = model.forward(x);
            var actual = backend.Logits(x);
            Assert.Equal(expected.shape, actual.shape);
            var (diff, agree) = ExportFixture.Compare(expected, actual);
            output.WriteLine($"{name} {n}x{h}x{w}: max |Δ| {diff:E2}, argmax agreement {agree:P4}, max |logit| {expected.abs().max().item<float>():F2}");
            Assert.True(diff <= 1e-4, $"{name} at {h}x{w}: max abs diff {diff}");
            Assert.True(agree >= 0.9999, $"{name} at {h}x{w}: argmax agreement {agree}");
        }
    }
}
