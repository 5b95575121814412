using System.Text.Json;
using SharpSeg.Models.Encoders;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using SharpSeg.Models.Encoders.ResNet;
using SharpSeg.Models.Encoders.MobileNet;

namespace SharpSeg.Tests.Models;

/// <summary>
/// The encoders compute what torchvision's backbones compute: both are filled with the same deterministic weights
/// (a function of each state-dict key, so this also checks that the names match) and run on the same image; the
/// fixture holds torchvision's feature-map sums and sampled values. Fixture: <c>Fixtures/torchvision_encoders.json</c>,
/// written by <c>python3 Fixtures/torchvision_encoders.py</c> (torch 2.11, torchvision 0.26).
/// </summary>
public sealed class TorchvisionFixtureTests
{
    public static IEnumerable<object[]> Cases => new[] { "resnet18/32", "resnet50/8", "mobilenet_v2/32", "mobilenet_v3_large/16" }.Select(c => new object[] { c });

    [Theory]
    [MemberData(nameof(Cases))]
    public void EncoderFeatureMapsMatchTorchvision(string name)
    {
        var expected = Expected(name);
        int outputStride = int.Parse(name.Split('/')[1]);
        using Encoder encoder = name.Split('/')[0] switch
        {
            "mobilenet_v2" => new MobileNetV2Encoder(outputStride: outputStride),
            "mobilenet_v3_large" => new MobileNetV3Encoder(outputStride: outputStride),
            var v => new ResNetEncoder(v, outputStride: outputStride),
        };
        encoder.eval();
        using var noGrad = no_grad();
        foreach (var (key, t) in encoder.state_dict()) Fill(key, t);
        using var scope = NewDisposeScope();
        var features = encoder.forward(Image());
        Assert.Equal(expected.Length, features.Length - 1); // torchvision has no stage 0 (the input)
        for (int s = 0; s < expected.Length; s++) AssertMatches(expected[s], features[s + 1], $"{name} stage {s + 1}");
    }

    public static IEnumerable<object[]> ModelCases =>
        new[] { "lraspp/mobilenet_v3_large", "deeplabv3/mobilenet_v3_large", "deeplabv3/resnet50", "fcn/resnet50" }.Select(c => new object[] { c });

    /// <summary>Whole torchvision segmentation models (21 → 3 classes, aux head where torchvision has one): same weights
    /// under torchvision's names give the same logits and aux logits.</summary>
    [Theory]
    [MemberData(nameof(ModelCases))]
    public void SegmentationModelLogitsMatchTorchvision(string name)
    {
        var expected = Expected(name);
        string architecture = name.Split('/')[0], encoderName = name.Split('/')[1];
        using var model = SharpSeg.Models.ModelZoo.Create(new SharpSeg.Models.ModelConfig
        {
            Architecture = architecture, Encoder = encoderName, NumClasses = 3, AuxHead = architecture != "lraspp",
            AsppRates = encoderName == "mobilenet_v3_large" && architecture == "deeplabv3" ? [12, 24, 36] : null,
        });
        model.eval();
        using var noGrad = no_grad();
        foreach (var (key, t) in model.state_dict())
            Fill(SharpSeg.Models.TorchvisionStateDictNames.ForSegmentationModel(key, architecture) ?? throw new InvalidOperationException($"no torchvision name for {key}"), t);
        using var scope = NewDisposeScope();
        var (logits, aux) = model.ForwardWithAux(Image());
        var outputs = aux is null ? new[] { logits } : new[] { logits, aux };
        Assert.Equal(expected.Length, outputs.Length);
        for (int i = 0; i < outputs.Length; i++) AssertMatches(expected[i], outputs[i], $"{name} output {i}");
    }

    private static JsonElement[] Expected(string name)
    {
        string path = Path.Combine(TestPaths.RepoRoot, "tests", "SharpSeg.Tests", "Models", "Fixtures", "torchvision_encoders.json");
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        return doc.RootElement.GetProperty("cases").GetProperty(name).EnumerateArray().Select(e => e.Clone()).ToArray();
    }

    private static void AssertMatches(JsonElement e, Tensor f, string what)
    {
        Assert.Equal(e.GetProperty("shape").EnumerateArray().Select(x => x.GetInt64()).ToArray(), f.shape);
        var flat = f.flatten().to_type(ScalarType.Float64);
        double sum = flat.sum().item<double>(), absSum = flat.abs().sum().item<double>();
        double eAbs = e.GetProperty("abs_sum").GetDouble(), eSum = e.GetProperty("sum").GetDouble();
        Assert.True(Math.Abs(absSum - eAbs) <= 1e-4 * eAbs, $"{what}: |x| sum {absSum} vs torchvision {eAbs}");
        Assert.True(Math.Abs(sum - eSum) <= 1e-4 * eAbs, $"{what}: sum {sum} vs torchvision {eSum}");
        var indices = e.GetProperty("indices").EnumerateArray().Select(x => x.GetInt64()).ToArray();
        var values = e.GetProperty("values").EnumerateArray().Select(x => x.GetDouble()).ToArray();
        for (int k = 0; k < indices.Length; k++)
        {
            double actual = flat[indices[k]].item<double>();
            Assert.True(Math.Abs(actual - values[k]) <= 1e-3 * Math.Max(1, Math.Abs(values[k])), $"{what} [{indices[k]}]: {actual} vs torchvision {values[k]}");
        }
    }

    // Same rule as Fixtures/torchvision_encoders.py: fill().
    private static void Fill(string key, Tensor t)
    {
        if (key.EndsWith("num_batches_tracked", StringComparison.Ordinal)) return;
        long n = t.numel();
        int h = 0;
        for (int i = 0; i < key.Length; i++) h = (h + (i + 1) * key[i]) % 997;
        var v = new float[n];
        double fanIn = t.dim() > 1 ? (double)n / t.shape[0] : 1;
        for (long j = 0; j < n; j++)
        {
            double s = Math.Sin(j * 0.37 + h);
            v[j] = (float)(key.EndsWith("running_var", StringComparison.Ordinal) ? 1.0 + 0.25 * s
                : key.EndsWith("running_mean", StringComparison.Ordinal) ? 0.1 * s
                : t.dim() == 1 && key.EndsWith("weight", StringComparison.Ordinal) ? 1.0 + 0.1 * s
                : t.dim() == 1 ? 0.05 * s
                : s / Math.Sqrt(fanIn));
        }
        using var source = torch.tensor(v).reshape(t.shape);
        t.copy_(source);
    }

    private static Tensor Image()
    {
        var v = new float[3 * 64 * 96];
        for (int j = 0; j < v.Length; j++) v[j] = (float)Math.Sin(j * 0.01);
        return torch.tensor(v).reshape(1, 3, 64, 96);
    }
}
