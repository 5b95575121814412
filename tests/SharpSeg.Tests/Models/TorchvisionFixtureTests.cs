using System.Text.Json;
using SharpSeg.Models.Encoders;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

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
        string path = Path.Combine(TestPaths.RepoRoot, "tests", "SharpSeg.Tests", "Models", "Fixtures", "torchvision_encoders.json");
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var expected = doc.RootElement.GetProperty("cases").GetProperty(name).EnumerateArray().ToArray();
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
        for (int s = 0; s < expected.Length; s++)
        {
            var e = expected[s];
            var f = features[s + 1];
            Assert.Equal(e.GetProperty("shape").EnumerateArray().Select(x => x.GetInt64()).ToArray(), f.shape);
            var flat = f.flatten().to_type(ScalarType.Float64);
            double sum = flat.sum().item<double>(), absSum = flat.abs().sum().item<double>();
            double eAbs = e.GetProperty("abs_sum").GetDouble();
            Assert.True(Math.Abs(absSum - eAbs) <= 1e-4 * eAbs, $"{name} stage {s + 1}: |x| sum {absSum} vs torchvision {eAbs}");
            Assert.True(Math.Abs(sum - e.GetProperty("sum").GetDouble()) <= 1e-4 * eAbs, $"{name} stage {s + 1}: sum {sum} vs torchvision {e.GetProperty("sum").GetDouble()}");
            var indices = e.GetProperty("indices").EnumerateArray().Select(x => x.GetInt64()).ToArray();
            var values = e.GetProperty("values").EnumerateArray().Select(x => x.GetDouble()).ToArray();
            for (int k = 0; k < indices.Length; k++)
            {
                double actual = flat[indices[k]].item<double>();
                Assert.True(Math.Abs(actual - values[k]) <= 1e-3 * Math.Max(1, Math.Abs(values[k])), $"{name} stage {s + 1} [{indices[k]}]: {actual} vs torchvision {values[k]}");
            }
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
