using System.Text.Json;
using SharpSeg.SelfSupervised;
using Xunit;
using static TorchSharp.torch;

namespace SharpSeg.Tests.SelfSupervised;

/// <summary>
/// NT-Xent and the pixel-contrast loss against a closed form and against Fixtures/selfsupervised/contrastive.json,
/// written once with PyTorch by tests/fixtures-scripts/make_contrastive_fixtures.py (anchor-by-anchor references).
/// </summary>
public sealed class ContrastiveLossTests
{
    static readonly Lazy<JsonElement> Fixture = new(() => JsonDocument.Parse(File.ReadAllText(
        Path.Combine(TestPaths.RepoRoot, "tests", "SharpSeg.Tests", "Fixtures", "selfsupervised", "contrastive.json"))).RootElement);

    static JsonElement Case(string name) => Fixture.Value.GetProperty("cases").EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);
    static double[] Doubles(JsonElement c, string key) => c.GetProperty(key).EnumerateArray().Select(v => v.GetDouble()).ToArray();
    static long[] Shape(JsonElement c, string key) => c.GetProperty(key).EnumerateArray().Select(v => v.GetInt64()).ToArray();

    [Theory]
    [InlineData(1.0)]
    [InlineData(0.5)]
    public void NtXent_on_two_orthogonal_images_equals_the_hand_computed_value(double t)
    {
        // Images a = (1, 0) and b = (0, 1), each view identical to its image. Anchor a (view 1): positive a (view 2),
        // cosine 1; negatives b, b, cosine 0. Every anchor is alike, so the mean is ℓ = −log(e^{1/t} / (e^{1/t} + 2)).
        using var scope = NewDisposeScope();
        var z = tensor(new double[] { 1, 0, 0, 1 }).reshape(2, 2);
        double loss = new NtXentLoss(t).Compute(z, z.clone()).item<double>();
        double expected = Math.Log(Math.Exp(1 / t) + 2) - 1 / t;
        Assert.Equal(expected, loss, 10);
    }

    [Fact]
    public void NtXent_of_a_single_image_is_zero_and_scale_does_not_matter()
    {
        using var scope = NewDisposeScope();
        var a = tensor(new double[] { 3, 4 }).reshape(1, 2);
        Assert.Equal(0.0, new NtXentLoss(0.2).Compute(a, a * 7).item<double>(), 10); // the positive is the only other projection
        var z1 = tensor(new double[] { 1, 2, -1, 0.5, 0, 1 }).reshape(3, 2);
        var z2 = tensor(new double[] { 2, 1, 0, -1, 1, 1 }).reshape(3, 2);
        var loss = new NtXentLoss(0.3);
        Assert.Equal(loss.Compute(z1, z2).item<double>(), loss.Compute(z1 * 5, z2 * 0.1).item<double>(), 10);
    }

    [Theory]
    [InlineData("ntxent_t0.5")]
    [InlineData("ntxent_t0.1")]
    public void NtXent_matches_the_pytorch_reference_in_value_and_gradient(string name)
    {
        using var scope = NewDisposeScope();
        var c = Case(name);
        var shape = Shape(c, "z1_shape");
        var z1 = tensor(Doubles(c, "z1")).reshape(shape).requires_grad_();
        var z2 = tensor(Doubles(c, "z2")).reshape(shape);
        var loss = new NtXentLoss(c.GetProperty("temperature").GetDouble()).Compute(z1, z2);
        loss.backward();
        Assert.Equal(c.GetProperty("loss").GetDouble(), loss.item<double>(), 9);
        var grad = z1.grad!.data<double>().ToArray();
        var expected = Doubles(c, "grad_z1");
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], grad[i], 9);
    }

    [Fact]
    public void Pixel_contrast_matches_the_pytorch_reference_in_value_and_gradient()
    {
        using var scope = NewDisposeScope();
        var c = Case("pixel_contrast");
        var d1 = tensor(Doubles(c, "d1")).reshape(Shape(c, "d1_shape")).requires_grad_();
        var d2 = tensor(Doubles(c, "d2")).reshape(Shape(c, "d2_shape"));
        var positives = tensor(c.GetProperty("positives").EnumerateArray().Select(v => v.GetInt32() == 1).ToArray()).reshape(2, 4, 6);
        var loss = new PixelContrastLoss(c.GetProperty("temperature").GetDouble()).Compute(d1, d2, positives);
        loss.backward();
        Assert.Equal(c.GetProperty("loss").GetDouble(), loss.item<double>(), 9);
        var grad = d1.grad!.data<double>().ToArray();
        var expected = Doubles(c, "grad_d1");
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], grad[i], 9);
    }

    [Fact]
    public void Pixel_contrast_without_any_positive_is_zero_and_keeps_the_graph()
    {
        using var scope = NewDisposeScope();
        var d1 = randn(2, 4, 2, 2, dtype: ScalarType.Float64).requires_grad_();
        var d2 = randn(2, 4, 2, 2, dtype: ScalarType.Float64);
        var loss = new PixelContrastLoss().Compute(d1, d2, zeros(2, 4, 4, dtype: ScalarType.Bool));
        Assert.Equal(0.0, loss.item<double>());
        loss.backward();
        Assert.Equal(0.0, d1.grad!.abs().sum().item<double>());
    }

    [Fact]
    public void Pixel_contrast_is_lower_when_matching_cells_agree()
    {
        // Two images, one cell each side matched; the loss must prefer features where matched cells are alike.
        using var scope = NewDisposeScope();
        var a = randn(2, 8, 2, 2, dtype: ScalarType.Float64, generator: new Generator(7));
        var positives = eye(4, dtype: ScalarType.Bool).unsqueeze(0).expand(2, 4, 4).contiguous();
        var loss = new PixelContrastLoss(0.3);
        double aligned = loss.Compute(a, a.clone(), positives).item<double>();
        double shuffled = loss.Compute(a, a.flip(2, 3), positives).item<double>();
        Assert.True(aligned < shuffled, $"aligned {aligned} should be below shuffled {shuffled}");
    }

    [Fact]
    public void Bad_temperatures_and_shapes_are_refused()
    {
        Assert.Throws<SharpSegException>(() => new NtXentLoss(0));
        Assert.Throws<SharpSegException>(() => new PixelContrastLoss(-1));
        using var scope = NewDisposeScope();
        Assert.Throws<ArgumentException>(() => new NtXentLoss().Compute(zeros(2, 3), zeros(3, 3)));
        Assert.Throws<ArgumentException>(() => new PixelContrastLoss().Compute(zeros(1, 2, 2, 2), zeros(1, 2, 2, 2), zeros(1, 4, 3, dtype: ScalarType.Bool)));
    }
}
