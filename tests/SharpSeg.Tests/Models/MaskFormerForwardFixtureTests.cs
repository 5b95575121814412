using System.Text.Json;
using SharpSeg.Models.MaskClassification;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace SharpSeg.Tests.Models;

/// <summary>
/// One forward pass of the Mask2Former decoder against a plain-PyTorch re-implementation of the official code
/// (tests/fixtures-scripts/make_mask2former_forward_fixture.py, float64, the same weights by parameter name, four random
/// feature maps): class logits of every prediction, mask logits of the first and last, and the semantic log map. The
/// reference writes masked attention as the official code does (boolean mask, −∞, sigmoid &lt; 0.5, empty masks opened).
/// </summary>
public sealed class MaskFormerForwardFixtureTests
{
    static double[] Doubles(JsonElement e) => e.EnumerateArray().Select(v => v.GetDouble()).ToArray();
    static long[] Longs(JsonElement e) => e.EnumerateArray().Select(v => v.GetInt64()).ToArray();

    [Fact]
    public void DecoderMatchesThePyTorchReference()
    {
        var r = JsonDocument.Parse(File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "tests", "SharpSeg.Tests", "Fixtures", "maskclassification", "forward.json"))).RootElement;
        using var scope = NewDisposeScope();
        int k = r.GetProperty("num_classes").GetInt32();
        var options = new MaskFormerOptions
        {
            Queries = r.GetProperty("queries").GetInt32(), HiddenDim = r.GetProperty("hidden_dim").GetInt32(), Heads = r.GetProperty("heads").GetInt32(),
            FeedForwardDim = r.GetProperty("ffn").GetInt32(), Layers = r.GetProperty("layers").GetInt32(), MaskedAttention = true,
        };
        var channels = r.GetProperty("channels").EnumerateArray().Select(v => v.GetInt32()).ToArray();
        using var decoder = new MaskFormerDecoder(channels, [4, 8, 16, 32], k, options);
        decoder.to(ScalarType.Float64);
        decoder.eval();
        var stored = r.GetProperty("params");
        var names = decoder.named_parameters().Select(p => p.name).ToList();
        var expectedNames = stored.EnumerateObject().Select(p => p.Name).ToList();
        Assert.True(names.OrderBy(n => n).SequenceEqual(expectedNames.OrderBy(n => n)),
            $"parameters differ: SharpSeg only [{string.Join(", ", names.Except(expectedNames))}], reference only [{string.Join(", ", expectedNames.Except(names))}]");
        using (no_grad())
            foreach (var (name, p) in decoder.named_parameters())
            {
                var e = stored.GetProperty(name);
                p.copy_(tensor(Doubles(e.GetProperty("values"))).reshape(Longs(e.GetProperty("shape"))));
            }
        var features = r.GetProperty("features").EnumerateArray().Select(f => tensor(Doubles(f.GetProperty("values"))).reshape(Longs(f.GetProperty("shape")))).ToArray();
        using var noGrad = no_grad();
        var layers = decoder.ForwardLayers(features);
        var classLogits = r.GetProperty("class_logits").EnumerateArray().ToArray();
        Assert.Equal(classLogits.Length, layers.Count);
        for (int i = 0; i < layers.Count; i++) Close(Doubles(classLogits[i]), layers[i].ClassLogits, $"class logits of prediction {i}");
        Close(Doubles(r.GetProperty("mask_logits_first")), layers[0].MaskLogits, "first mask logits");
        Close(Doubles(r.GetProperty("mask_logits_last")), layers[^1].MaskLogits, "last mask logits");
        var semantic = decoder.call(features);
        Assert.Equal(Longs(r.GetProperty("semantic_shape")), semantic.shape);
        Close(Doubles(r.GetProperty("semantic")), semantic, "semantic log map");
    }

    static void Close(double[] expected, Tensor actual, string what)
    {
        var a = actual.contiguous().data<double>().ToArray();
        Assert.Equal(expected.Length, a.Length);
        double worst = expected.Zip(a, (x, y) => Math.Abs(x - y)).Max();
        Assert.True(worst < 1e-9, $"{what}: max |Δ| {worst}");
    }
}
